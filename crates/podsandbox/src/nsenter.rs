//! Code that runs in a forked child of the agent between `fork` and `exec` (a `pre_exec` hook),
//! where only async-signal-safe calls are allowed: no allocation, no locks, only system calls
//! on values prepared by the parent. The agent changes namespaces only here, never on one of
//! its threads (the pod init enters its new namespaces itself, see [`crate::init`]).
//!
//! - [`PodNamespaces::enter`]: for `exec` — join the init's namespaces, then fork, because only
//!   children of a process created after `setns(CLONE_NEWPID)` live in that PID namespace. The
//!   intermediate process closes every descriptor, waits for the program and exits with its
//!   status (128 + N if killed by signal N), so the agent's `wait` sees the program's status.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd as _, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sched::{CloneFlags, setns};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, chdir, fork, setsid};

/// Descriptors of a running pod init's namespaces, in the order they are joined.
pub(crate) struct PodNamespaces {
    namespaces: [(OwnedFd, CloneFlags); 5],
}

impl PodNamespaces {
    /// Opens `/proc/<pid>/ns/{ipc,uts,net,pid,mnt}`.
    pub(crate) fn open(pid: i32) -> io::Result<PodNamespaces> {
        let open = |name: &str| -> io::Result<OwnedFd> {
            Ok(File::open(format!("/proc/{pid}/ns/{name}"))?.into())
        };
        Ok(PodNamespaces {
            namespaces: [
                (open("ipc")?, CloneFlags::CLONE_NEWIPC),
                (open("uts")?, CloneFlags::CLONE_NEWUTS),
                (open("net")?, CloneFlags::CLONE_NEWNET),
                (open("pid")?, CloneFlags::CLONE_NEWPID),
                (open("mnt")?, CloneFlags::CLONE_NEWNS),
            ],
        })
    }

    /// `pre_exec` body for exec: joins the namespaces, changes to `cwd` and forks. Returns in
    /// the program's process (made a session leader with the TTY on stdin as controlling
    /// terminal if `tty`); the intermediate process never returns.
    pub(crate) fn enter(&self, cwd: &CStr, tty: bool) -> io::Result<()> {
        for (fd, kind) in &self.namespaces {
            setns(fd.as_fd(), *kind)?;
        }
        chdir(cwd)?;
        // SAFETY: we are the single-threaded child of `fork`; both sides below only make
        // async-signal-safe system calls before `exec` or `_exit`.
        match unsafe { fork() }? {
            ForkResult::Child => {
                if tty {
                    setsid()?;
                    // SAFETY: fd 0 is the PTY slave std installed as stdin.
                    rustix::process::ioctl_tiocsctty(unsafe { BorrowedFd::borrow_raw(0) })?;
                }
                Ok(())
            }
            ForkResult::Parent { child } => {
                close_all();
                let code = loop {
                    match waitpid(child, None) {
                        Ok(WaitStatus::Exited(_, code)) => break code,
                        Ok(WaitStatus::Signaled(_, signal, _)) => break 128 + signal as i32,
                        Ok(_) | Err(Errno::EINTR) => {}
                        Err(_) => break 1,
                    }
                };
                // SAFETY: `_exit` is async-signal-safe and skips the parent's atexit handlers.
                unsafe { libc::_exit(code) }
            }
        }
    }
}

/// Closes every descriptor of the intermediate process, so that std's exec-error pipe and the
/// program's stdio see end-of-file when the program (not its waiting parent) is done.
fn close_all() {
    crate::fds::close_range(0, u32::MAX);
}
