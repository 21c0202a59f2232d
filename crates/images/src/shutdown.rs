//! Waiting for the stop signals a container runtime sends: SIGTERM from
//! `kubectl delete` and the kubelet's graceful termination, SIGINT from a
//! terminal.
//!
//! The handlers are installed when a [`Shutdown`] is created, not when it is
//! awaited, so a signal arriving in between is not lost. Installing them also
//! matters when the program is PID 1 of a PID namespace, where signals without
//! a handler are ignored.

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Installed SIGTERM and SIGINT handlers.
#[derive(Debug)]
pub(crate) struct Shutdown {
    terminate: Signal,
    interrupt: Signal,
}

impl Shutdown {
    /// Installs the handlers. Must be called inside a tokio runtime.
    pub(crate) fn install() -> io::Result<Shutdown> {
        Ok(Shutdown {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Resolves when SIGTERM or SIGINT arrives.
    pub(crate) async fn requested(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}
