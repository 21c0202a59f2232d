//! Drives one exec or attach independently of the transport: copies the client's input to the
//! process, the process's output to the client, applies terminal resizes, and waits for the
//! exit. WebSocket and SPDY transports only supply the client-side ends ([`ClientIo`]).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;

use crate::error::StreamError;
use crate::runtime::{Process, ProcessOutput};

/// How long output may still drain after the process exited (a background child may hold
/// the pipe open forever).
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// A terminal size from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct TerminalSize {
    #[serde(rename = "Width")]
    pub width: u16,
    #[serde(rename = "Height")]
    pub height: u16,
}

/// Where a process's output goes on the client's side.
pub type ClientOutput = Box<dyn AsyncWrite + Send + Unpin>;

/// The client's side of a session.
#[derive(Default)]
pub struct ClientIo {
    /// The client's input; end-of-file closes the process's stdin.
    pub stdin: Option<Box<dyn AsyncRead + Send + Unpin>>,
    /// Receives the process's stdout; shut down at the end of output.
    pub stdout: Option<ClientOutput>,
    /// Receives the process's stderr.
    pub stderr: Option<ClientOutput>,
    /// Terminal size changes.
    pub resize: Option<mpsc::Receiver<TerminalSize>>,
}

/// Client-side handles a session is done with. Transports drop them only after their final
/// message, because dropping a SPDY stream that the peer has not finished resets it.
pub type Leftovers = Vec<Box<dyn Send>>;

/// Runs `process` wired to `client` until it exited and its output was delivered; returns
/// the exit code and the client-side handles.
pub async fn run(process: Process, client: ClientIo) -> (Result<i32, StreamError>, Leftovers) {
    let Process {
        stdin,
        stdout,
        stderr,
        mut control,
    } = process;
    let stdin_task = match (client.stdin, stdin) {
        (Some(mut from), Some(mut to)) => Some(tokio::spawn(async move {
            let _ = tokio::io::copy(&mut from, &mut to).await;
            let _ = to.shutdown().await;
        })),
        // The client's input has nowhere to go: drain it so the transport keeps flowing.
        (Some(mut from), None) => Some(tokio::spawn(async move {
            let _ = tokio::io::copy(&mut from, &mut tokio::io::sink()).await;
        })),
        (None, _) => None,
    };
    let outputs = [
        spawn_output(stdout, client.stdout),
        spawn_output(stderr, client.stderr),
    ];
    let mut resize = client.resize;
    let exit = loop {
        tokio::select! {
            code = control.wait() => break code,
            Some(size) = recv(&mut resize) => {
                if let Err(e) = control.resize(size.width, size.height) {
                    tracing::debug!("resize to {}x{}: {e}", size.width, size.height);
                }
            }
        }
    };
    let mut leftovers: Leftovers = Vec::new();
    for task in outputs.into_iter().flatten() {
        let abort = task.abort_handle();
        match tokio::time::timeout(DRAIN_AFTER_EXIT, task).await {
            Ok(Ok(Some(writer))) => leftovers.push(Box::new(writer)),
            Ok(_) => {}
            Err(_) => abort.abort(),
        }
    }
    if let Some(task) = stdin_task {
        task.abort();
    }
    (exit, leftovers)
}

async fn recv(rx: &mut Option<mpsc::Receiver<TerminalSize>>) -> Option<TerminalSize> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Copies one output to the client, then ends the client's side; the task hands the
/// client's writer back.
fn spawn_output(
    from: Option<ProcessOutput>,
    to: Option<ClientOutput>,
) -> Option<tokio::task::JoinHandle<Option<ClientOutput>>> {
    let mut from = from?;
    Some(tokio::spawn(async move {
        match to {
            Some(mut to) => {
                let _ = tokio::io::copy(&mut from, &mut to).await;
                let _ = to.shutdown().await;
                Some(to)
            }
            None => {
                let _ = tokio::io::copy(&mut from, &mut tokio::io::sink()).await;
                None
            }
        }
    }))
}
