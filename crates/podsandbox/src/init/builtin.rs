//! Built-in containers without an exec. A container whose program is the kubelite binary the
//! init itself runs (`kubelite image-whoami …`) would pay the dynamic loader and glibc's start
//! (which probes the CPU with `cpuid`, trapping to the hypervisor in a VM) for a program that is
//! already in memory. So the init forks a *spare* as soon as it has entered the pod, before it
//! builds its tokio runtime (whose process-wide state, such as the signal self-pipe, a fork
//! taken later would inherit): a clean single-threaded child waiting on a socketpair. The pod's
//! first container, if it is a built-in, is handed to the spare (its argv, env, working
//! directory and stdio), which becomes it: its own process group (or session with a controlling
//! terminal), the container's stdio on 0–2 and no other descriptor, exactly its environment,
//! then the built-in from the [`Builtins`] function the binary gave [`crate::zygote_main`]. Any
//! other first container, or a restart, is exec'd as usual and the spare, its socket closed,
//! exits (and is reaped like any orphan).

use std::ffi::OsString;
use std::fs;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd as _, AsRawFd as _, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sys::socket::{
    AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, sendmsg, socketpair,
};
use nix::unistd::{ForkResult, fork};
use serde::{Deserialize, Serialize};

use crate::fds::close_range;
use crate::init::console::ChildStdio;

/// Runs the built-in image `subcommand` (the container's `argv[1]`) with the arguments after
/// it and returns its exit status; `None` if `subcommand` is not a built-in.
pub type Builtins = fn(&str, Vec<OsString>) -> Option<u8>;

/// The largest container handed to the spare (argv and env as JSON); larger ones are exec'd.
const MAX_REQUEST: usize = 256 * 1024;

/// What the spare becomes.
#[derive(Serialize, Deserialize)]
struct Request {
    program: PathBuf,
    argv: Vec<String>,
    env: Vec<(String, String)>,
    cwd: PathBuf,
    terminal: bool,
}

/// The init's handle on its spare. Dropping it lets the spare exit.
pub(crate) struct Spare {
    pid: i32,
    socket: OwnedFd,
    /// Device and inode of the binary the init runs.
    exe: (u64, u64),
}

impl Spare {
    /// Forks the spare. Must be called while the init is single-threaded, after it has entered
    /// the pod. `None` if that fails (every container is then exec'd).
    pub(crate) fn fork(builtins: Builtins) -> Option<Spare> {
        let meta = fs::metadata("/proc/self/exe").ok()?;
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .ok()?;
        // SAFETY: the init is single-threaded here (`init_main` checked), so the child may run
        // any code.
        match unsafe { fork() }.ok()? {
            ForkResult::Parent { child } => Some(Spare {
                pid: child.as_raw(),
                socket: ours,
                exe: (meta.dev(), meta.ino()),
            }),
            ForkResult::Child => {
                drop(ours);
                spare_main(theirs, builtins)
            }
        }
    }

    /// Whether a container of `program` can be handed to the spare: it is the binary the init
    /// runs (a replaced binary is not: the new one is exec'd).
    pub(crate) fn runs(&self, program: &Path) -> bool {
        fs::metadata(program).is_ok_and(|m| (m.dev(), m.ino()) == self.exe)
    }

    /// Hands the container to the spare and returns its PID (the spare's). On failure the
    /// caller still owns `stdio` and execs the container instead.
    pub(crate) fn start(
        self,
        program: &Path,
        argv: &[String],
        env: &[(String, String)],
        cwd: &Path,
        stdio: &ChildStdio,
    ) -> io::Result<i32> {
        let request = serde_json::to_vec(&Request {
            program: program.to_owned(),
            argv: argv.to_vec(),
            env: env.to_vec(),
            cwd: cwd.to_owned(),
            terminal: stdio.terminal,
        })?;
        if request.len() > MAX_REQUEST {
            return Err(io::Error::other("container too large for the spare"));
        }
        let fds = [
            stdio.stdin.as_raw_fd(),
            stdio.stdout.as_raw_fd(),
            stdio.stderr.as_raw_fd(),
        ];
        sendmsg::<()>(
            self.socket.as_raw_fd(),
            &[IoSlice::new(&request)],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::MSG_NOSIGNAL,
            None,
        )?;
        Ok(self.pid)
    }
}

/// The spare: lets go of the init's descriptors (the handshake pipe above all, whose end the
/// agent awaits), waits for its container and becomes it; exits if none comes.
fn spare_main(socket: OwnedFd, builtins: Builtins) -> ! {
    let code = match wait_for_container(socket) {
        Ok(Some((request, stdio))) => match become_container(stdio, &request.env, &request.cwd) {
            Ok(()) => run(builtins, &request),
            Err(e) => {
                eprintln!("pod-init: starting built-in container: {e}");
                127
            }
        },
        Ok(None) => 0,
        Err(e) => {
            eprintln!("pod-init spare: {e}");
            1
        }
    };
    std::process::exit(code)
}

fn wait_for_container(socket: OwnedFd) -> io::Result<Option<(Request, ChildStdio)>> {
    let null = fs::File::options()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    nix::unistd::dup2_stdin(&null)?;
    nix::unistd::dup2_stdout(&null)?;
    nix::unistd::dup2_stderr(&null)?;
    drop(null);
    let kept = socket.as_raw_fd() as u32;
    if kept > 3 {
        close_range(3, kept - 1);
    }
    close_range(kept + 1, u32::MAX);
    let mut buf = vec![0u8; MAX_REQUEST];
    let (len, fds) = crate::zygote::receive(socket.as_raw_fd(), &mut buf)?;
    drop(socket);
    if len == 0 {
        return Ok(None);
    }
    let request: Request = serde_json::from_slice(&buf[..len])?;
    let Ok([stdin, stdout, stderr]) = <[OwnedFd; 3]>::try_from(fds) else {
        return Err(io::Error::other("container without its stdio"));
    };
    let stdio = ChildStdio {
        stdin,
        stdout,
        stderr,
        terminal: request.terminal,
    };
    Ok(Some((request, stdio)))
}

/// What an exec'd container process would start with.
fn become_container(stdio: ChildStdio, env: &[(String, String)], cwd: &Path) -> io::Result<()> {
    if stdio.terminal {
        nix::unistd::setsid()?;
    } else {
        nix::unistd::setpgid(nix::unistd::Pid::from_raw(0), nix::unistd::Pid::from_raw(0))?;
    }
    nix::unistd::dup2_stdin(&stdio.stdin)?;
    nix::unistd::dup2_stdout(&stdio.stdout)?;
    nix::unistd::dup2_stderr(&stdio.stderr)?;
    if stdio.terminal {
        // SAFETY: fd 0 is the PTY slave just installed as stdin.
        let fd = unsafe { BorrowedFd::borrow_raw(0) };
        rustix::process::ioctl_tiocsctty(fd.as_fd())?;
    }
    drop(stdio);
    close_range(3, u32::MAX);
    std::env::set_current_dir(cwd)?;
    for (key, _) in std::env::vars_os() {
        // SAFETY: this process has a single thread.
        unsafe { std::env::remove_var(key) };
    }
    for (key, value) in env {
        // SAFETY: as above.
        unsafe { std::env::set_var(key, value) };
    }
    Ok(())
}

/// Runs the built-in; exec's the program if it is none.
fn run(builtins: Builtins, request: &Request) -> i32 {
    let subcommand = request.argv.get(1).cloned().unwrap_or_default();
    let args: Vec<OsString> = request.argv.iter().skip(2).map(OsString::from).collect();
    if let Some(code) = builtins(&subcommand, args) {
        return i32::from(code);
    }
    let e = Command::new(&request.program)
        .arg0(&request.argv[0])
        .args(&request.argv[1..])
        .env_clear()
        .envs(request.env.iter().cloned())
        .exec();
    eprintln!("pod-init: exec {}: {e}", request.program.display());
    127
}
