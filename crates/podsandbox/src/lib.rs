//! Pod sandboxes for kubelite's node agent: each Pod runs as plain processes from the node's
//! filesystem inside namespaces of its own, under a small init that outlives the agent.
//!
//! # Design
//!
//! - **Namespaces.** A pod has network (made by `kubelite-netns`, joined here), UTS, IPC, mount
//!   and PID namespaces. [`create`] asks the agent's [`Zygote`] (a single-threaded kubelite
//!   process started once, `kubelite pod-zygote`) to fork the init; the init calls `setsid`,
//!   `setns(netns)` (a descriptor the agent passed through the zygote) and
//!   `unshare(UTS|IPC|NS)` itself, so no agent thread ever changes namespace and no pod costs
//!   an exec. The zygote forks each init as PID 1 of a new PID namespace (it unshares one for
//!   its next child before each fork, and returns to its own after), and the init records its
//!   PID and start time in `init.json`. The zygote has a mount namespace of its own, a
//!   recursive slave of the node's without the node's netns directory, which each init's is a
//!   copy of.
//! - **The init** (PID 1) bind-mounts the pod's
//!   `resolv.conf` and `hosts` over `/etc/resolv.conf` and `/etc/hosts`, mounts a fresh `/proc`,
//!   sets the hostname, and serves the control socket `<state_dir>/<uid>/init.sock`. It starts
//!   containers (each in its own process group, stdout and stderr appended to log files;
//!   with `tty`, on a PTY whose output the init relays to the stdout file), holds their
//!   stdin pipes and PTY masters for the containers' lives, forwards
//!   SIGHUP/INT/QUIT/TERM/USR1/USR2 to them, reaps every zombie of the pod, and remembers each
//!   container's state, last termination and restart count.
//! - **Surviving the agent.** The init has its own session, no parent-death signal, and owns
//!   all pod state. A restarted agent calls [`PodSandbox::connect`], which trusts `init.json`
//!   only if the PID still has the recorded start time, and reads truthful status from the
//!   init. [`list`] and [`destroy`] garbage-collect sandboxes no longer wanted.
//! - **Stopping.** [`PodSandbox::stop`] asks the init to SIGTERM every container, SIGKILL what
//!   remains after the grace period, report final statuses and exit; the kernel then kills
//!   anything left in the PID namespace and the namespaces disappear (the netns mount is
//!   `kubelite-netns`'s to remove). [`PodSandbox::destroy`] SIGKILLs the init if needed and
//!   removes the state directory.
//! - **Attach.** [`PodSandbox::attach`] opens a connection of its own to the init; the
//!   session's input goes to the container's stdin (closed after the first session that used
//!   it ends if `stdinOnce`), resizes go to its terminal. Output is read from the log files.
//!   Because the init holds stdin and the terminal, a restarted agent attaches again.
//! - **Exec.** [`exec_command`] joins the init's namespaces through `/proc/<pid>/ns/*` in the
//!   forked child, forks again (PID namespaces apply to children), and runs the program with
//!   pipes or a PTY ([`ExecProcess::resize`]).
//!
//! # Wiring
//!
//! The kubelite binary must dispatch `kubelite pod-zygote` to [`zygote_main`] **before** it
//! starts any thread (before building its tokio runtime), because the zygote forks. It passes
//! its built-in images as [`Builtins`]: a Pod's first container, if it is one of them, runs in
//! a spare the pod init forked early instead of an exec of the binary.
//!
//! Everything else is async and runs on the agent's tokio runtime.

mod attach;
mod control;
mod create;
mod error;
mod exec;
mod fds;
mod init;
mod layout;
mod nsenter;
mod program;
mod protocol;
mod pty;
mod record;
mod sandbox;
mod status;
mod zygote;

pub use attach::Attachment;
pub use create::{SandboxSpec, create};
pub use error::{Error, Result};
pub use exec::{ExecProcess, ExecReader, ExecSpec, ExecWriter, exec_command};
pub use init::Builtins;
pub use nix::sys::signal::Signal;
pub use program::{DEFAULT_PATH, oci_create_failed_message};
pub use protocol::ContainerSpec;
pub use sandbox::{ExitEvents, PodSandbox, destroy, list};
pub use status::{ContainerExit, ContainerState, ContainerStatus, Started, Termination};
pub use zygote::{Zygote, zygote_main};
