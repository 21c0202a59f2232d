//! What the init remembers about each container, so that a restarted agent gets truthful
//! `containerStatuses`: the current state, the previous termination (`lastState`) and the
//! restart count. Exit codes follow containerd: a process killed by signal N reports 128+N.

use std::time::SystemTime;

use nix::sys::wait::WaitStatus;
use serde::{Deserialize, Serialize};

/// How a container process ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Termination {
    /// Exit status, or 128 + signal number when killed by a signal.
    pub exit_code: i32,
    /// The signal that killed it, if any.
    pub signal: Option<i32>,
    /// When it was started.
    pub started_at: SystemTime,
    /// When the init reaped it.
    pub finished_at: SystemTime,
}

/// A container the init has just started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Started {
    /// PID inside the pod's PID namespace.
    pub pid: i32,
    /// When it was started: the `started_at` of its status.
    pub started_at: SystemTime,
}

/// A container's current state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum ContainerState {
    /// Its main process runs.
    Running {
        /// PID inside the pod's PID namespace.
        pid: i32,
        /// When it was started.
        started_at: SystemTime,
    },
    /// Its main process has ended.
    Exited(Termination),
}

/// One container as the init knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    /// Container name.
    pub name: String,
    /// Starts of this name after the first.
    pub restart_count: u32,
    /// Current state.
    pub state: ContainerState,
    /// The termination before the current run (kubelet's `lastState.terminated`).
    pub last_termination: Option<Termination>,
}

/// A container's main process ended (pushed to [`crate::ExitEvents`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerExit {
    /// Container name.
    pub name: String,
    /// How it ended.
    pub termination: Termination,
}

/// Exit code and killing signal of a reaped process; `None` for stop/continue notifications.
pub(crate) fn exit_of(status: WaitStatus) -> Option<(i32, Option<i32>)> {
    match status {
        WaitStatus::Exited(_, code) => Some((code, None)),
        WaitStatus::Signaled(_, signal, _) => Some((128 + signal as i32, Some(signal as i32))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use nix::sys::signal::Signal;
    use nix::unistd::Pid;

    use super::*;

    #[test]
    fn exit_codes() {
        let pid = Pid::from_raw(9);
        let cases = [
            (WaitStatus::Exited(pid, 0), Some((0, None))),
            (WaitStatus::Exited(pid, 7), Some((7, None))),
            (
                WaitStatus::Signaled(pid, Signal::SIGTERM, false),
                Some((143, Some(15))),
            ),
            (
                WaitStatus::Signaled(pid, Signal::SIGKILL, false),
                Some((137, Some(9))),
            ),
            (WaitStatus::Stopped(pid, Signal::SIGSTOP), None),
        ];
        for (status, want) in cases {
            assert_eq!(exit_of(status), want, "{status:?}");
        }
    }
}
