//! The pod zygote: a small single-threaded kubelite process, started once per agent, that forks
//! every pod init. Exec'ing the kubelite binary for each pod cost more than the rest of the
//! init's start (the dynamic loader, glibc's CPU feature probing with `cpuid`, which traps to
//! the hypervisor in a VM, and faulting a fresh image in); a fork of the idle zygote costs a
//! copy of its few page tables.
//!
//! The agent and the zygote share a `SOCK_SEQPACKET` socketpair (the zygote's stdin). A request
//! is one message: the init's arguments, NUL-separated, with three file descriptors (stdout and
//! stderr for the new process, and the pod's network namespace). The zygote forks; the child
//! points its stdio at them and runs the pod init ([`crate::init`]), as a freshly exec'd
//! process would.
//!
//! The zygote lives in a mount namespace of its own, a recursive slave of the node's (mounts
//! inside never reach the node; unmounts on the node still propagate in), from which the
//! node's netns directory (`--netns-dir`: every pod's network namespace is a bind mount in it)
//! is detached at start. Each init's new mount namespace is a copy of the zygote's, so it
//! never holds (or pins) other pods' network namespaces, and starting N pods copies N small
//! mount tables, not N tables growing with every pod; that is also why the init gets its
//! network namespace as a descriptor, not as a path. There is no reply, so the
//! agent can send many requests while the zygote waits for a CPU: everything the agent learns
//! comes through the stdout it passed (the init's handshake; the zygote's own `error: …` if the
//! fork failed; the end of the pipe if the zygote died first). The zygote ignores `SIGCHLD`, so
//! the kernel reaps its children (the child restores the default for its own), and exits when
//! the agent's end of the socket closes.

use std::ffi::OsString;
use std::io::{self, IoSlice, IoSliceMut, Write as _};
use std::os::fd::{AsFd as _, AsRawFd as _, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, setns, unshare};
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::socket::{
    AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, recvmsg,
    sendmsg, socketpair,
};
use nix::unistd::{ForkResult, fork};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::sync::Mutex;

use crate::init::Builtins;

/// The largest request: the init's arguments (paths and a hostname).
const MAX_REQUEST: usize = 64 * 1024;

/// The agent's handle on its zygote; started lazily, and again if it died.
pub struct Zygote {
    program: PathBuf,
    args: Vec<OsString>,
    conn: Mutex<Option<Conn>>,
}

/// A running zygote: the agent's end of the socket and the process (reaped by tokio once
/// dropped, after the socket's close made it exit).
struct Conn {
    socket: AsyncFd<OwnedFd>,
    _process: tokio::process::Child,
}

impl Zygote {
    /// A zygote run as `program args...` (e.g. `kubelite pod-zygote`), which must call
    /// [`zygote_main`] before starting any thread.
    pub fn new(program: &Path, args: Vec<OsString>) -> Zygote {
        Zygote {
            program: program.to_owned(),
            args,
            conn: Mutex::new(None),
        }
    }

    /// Has the zygote fork a pod init running `init_main(args)` with `stdout` and `stderr`, in
    /// network namespace `netns`. Returns once the request is sent; the outcome arrives on
    /// `stdout`. A zygote found dead is started again, once.
    pub(crate) async fn fork_init(
        &self,
        args: &[OsString],
        stdout: OwnedFd,
        stderr: OwnedFd,
        netns: OwnedFd,
    ) -> io::Result<()> {
        if args.iter().map(|a| a.len() + 1).sum::<usize>() > MAX_REQUEST {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "pod init arguments too long",
            ));
        }
        let mut request = Vec::new();
        for arg in args {
            if arg.as_bytes().contains(&0) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("argument {arg:?} contains a NUL byte"),
                ));
            }
            request.extend_from_slice(arg.as_bytes());
            request.push(0);
        }
        let fds = [stdout.as_raw_fd(), stderr.as_raw_fd(), netns.as_raw_fd()];
        let mut conn = self.conn.lock().await;
        let mut retried = false;
        loop {
            if conn.is_none() {
                *conn = Some(Conn::start(&self.program, &self.args)?);
            }
            let socket = &conn.as_ref().expect("started above").socket;
            let sent = socket
                .async_io(Interest::WRITABLE, |fd| {
                    let cmsg = [ControlMessage::ScmRights(&fds)];
                    let iov = [IoSlice::new(&request)];
                    sendmsg::<()>(fd.as_raw_fd(), &iov, &cmsg, MsgFlags::MSG_NOSIGNAL, None)
                        .map_err(io::Error::from)
                })
                .await;
            match sent {
                Err(e) if !retried && matches!(e.raw_os_error(), Some(libc::EPIPE)) => {
                    tracing::warn!("pod zygote gone ({e}); starting another");
                    *conn = None;
                    retried = true;
                }
                outcome => return outcome.map(drop),
            }
        }
    }
}

impl Conn {
    fn start(program: &Path, args: &[OsString]) -> io::Result<Conn> {
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        )?;
        // The zygote blocks on its end.
        rustix::io::ioctl_fionbio(&theirs, false)?;
        // Every symbol of the shared libraries is bound when the zygote starts, not on first
        // call: lazily bound, each init and container (forks of the zygote) would look up
        // again every libc function it calls first, writing (and so copying) the pages of
        // the binding tables (a pod init made 99 page faults, 81 with this).
        let process = tokio::process::Command::new(program)
            .args(args)
            .env_clear()
            .env("LD_BIND_NOW", "1")
            .current_dir("/")
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        // SAFETY: the socket is owned by the `AsyncFd` from here on and never swapped out.
        let socket = unsafe { AsyncFd::register(ours) }.map_err(|e| e.into_parts().1)?;
        Ok(Conn {
            socket,
            _process: process,
        })
    }
}

/// The body of the hidden `pod-zygote` subcommand, given the arguments after it
/// (`[--netns-dir DIR]`): serves fork requests on stdin until the agent closes it; each init's
/// spare may run one of `builtins` (see [`Builtins`]). Never returns. Must be called before the
/// process starts any thread.
pub fn zygote_main(args: Vec<OsString>, builtins: Builtins) -> ! {
    // SAFETY: stdin is the zygote's end of the socketpair (see `Conn::start`), owned from here.
    let socket = unsafe { OwnedFd::from_raw_fd(0) };
    let netns_dir = match args.as_slice() {
        [] => None,
        [flag, dir] if flag == "--netns-dir" => Some(PathBuf::from(dir)),
        _ => {
            eprintln!("pod-zygote: unexpected arguments {args:?}");
            std::process::exit(1);
        }
    };
    if let Err(e) = own_mounts(netns_dir.as_deref()) {
        eprintln!("pod-zygote: {e}");
        std::process::exit(1);
    }
    // SAFETY: no handler is installed; the kernel reaps the children.
    if let Err(e) = unsafe { signal(Signal::SIGCHLD, SigHandler::SigIgn) } {
        eprintln!("pod-zygote: ignore SIGCHLD: {e}");
        std::process::exit(1);
    }
    let own_pid_ns = match std::fs::File::open("/proc/self/ns/pid") {
        Ok(ns) => ns,
        Err(e) => {
            eprintln!("pod-zygote: open /proc/self/ns/pid: {e}");
            std::process::exit(1);
        }
    };
    let mut buf = vec![0u8; MAX_REQUEST];
    loop {
        let (len, fds) = match receive(socket.as_raw_fd(), &mut buf) {
            Ok((0, _)) => std::process::exit(0),
            Ok(received) => received,
            Err(nix::Error::EINTR) => continue,
            Err(e) => {
                eprintln!("pod-zygote: {e}");
                std::process::exit(1);
            }
        };
        // A request without its three descriptors has nobody to answer to.
        if let Ok([stdout, stderr, netns]) = <[OwnedFd; 3]>::try_from(fds) {
            let args = buf[..len]
                .split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| OsString::from_vec(a.to_vec()))
                .collect();
            fork_init(&own_pid_ns, stdout, stderr, netns, args, builtins);
        }
    }
}

/// One message of a `SOCK_SEQPACKET` socket: its bytes in `buf` and the descriptors passed
/// along (owned from here; at most three). Also how a pod init's spare receives its container.
pub(crate) fn receive(fd: RawFd, buf: &mut [u8]) -> nix::Result<(usize, Vec<OwnedFd>)> {
    let mut space = nix::cmsg_space!([RawFd; 3]);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<()>(fd, &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC)?;
    let mut fds = Vec::new();
    for cmsg in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(received) = cmsg {
            // SAFETY: the kernel just installed these descriptors in this process for us.
            fds.extend(
                received
                    .into_iter()
                    .map(|f| unsafe { OwnedFd::from_raw_fd(f) }),
            );
        }
    }
    if msg
        .flags
        .intersects(MsgFlags::MSG_TRUNC | MsgFlags::MSG_CTRUNC)
    {
        // Senders never send more than fits (`MAX_REQUEST` bytes and three descriptors here).
        return Err(nix::Error::EMSGSIZE);
    }
    Ok((msg.bytes, fds))
}

/// The zygote's own mount namespace (see the module documentation): a recursive slave copy of
/// the node's, without `netns_dir`. Needs a single thread.
fn own_mounts(netns_dir: Option<&Path>) -> Result<(), String> {
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("unshare the mount namespace: {e}"))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("make / a slave mount: {e}"))?;
    let Some(dir) = netns_dir else {
        return Ok(());
    };
    match umount2(dir, MntFlags::MNT_DETACH) {
        // Not a mount point (or not there yet): nothing to detach.
        Ok(()) | Err(Errno::EINVAL | Errno::ENOENT) => Ok(()),
        Err(e) => Err(format!("detach {}: {e}", dir.display())),
    }
}

/// Forks the init as PID 1 of a new PID namespace: a new PID namespace only applies to
/// children, so the zygote unshares one before the fork and goes back to its own (`own_pid_ns`)
/// after, for the next init to get a new one too. A failure is reported on the request's
/// stdout; if the zygote cannot go back, it exits (the agent starts another).
fn fork_init(
    own_pid_ns: &std::fs::File,
    stdout: OwnedFd,
    stderr: OwnedFd,
    netns: OwnedFd,
    args: Vec<OsString>,
    builtins: Builtins,
) {
    if let Err(e) = unshare(CloneFlags::CLONE_NEWPID) {
        let _ = writeln!(
            std::fs::File::from(stdout),
            "error: unshare the PID namespace: {e}"
        );
        return;
    }
    // SAFETY: the zygote is single-threaded, so the child may run any code.
    let forked = unsafe { fork() };
    if !matches!(forked, Ok(ForkResult::Child))
        && let Err(e) = setns(own_pid_ns, CloneFlags::CLONE_NEWPID)
    {
        eprintln!("pod-zygote: back to its own PID namespace: {e}");
        std::process::exit(1);
    }
    match forked {
        Ok(ForkResult::Parent { .. }) => {}
        Err(e) => {
            let _ = writeln!(std::fs::File::from(stdout), "error: fork: {e}");
        }
        Ok(ForkResult::Child) => {
            let stdio = (|| -> nix::Result<()> {
                // SAFETY: restoring the default disposition installs no handler.
                unsafe { signal(Signal::SIGCHLD, SigHandler::SigDfl) }?;
                let null = std::fs::File::open("/dev/null").map_err(|_| nix::Error::ENOENT)?;
                nix::unistd::dup2_stdin(null.as_fd())?;
                nix::unistd::dup2_stdout(stdout.as_fd())?;
                nix::unistd::dup2_stderr(stderr.as_fd())?;
                Ok(())
            })();
            // Stdin no longer is the agent's socket; the passed descriptors are copied.
            drop((stdout, stderr));
            // Nor does the pod keep the zygote's way back to the node's PID namespace.
            // SAFETY: this child never returns to the zygote's loop, so the `File` behind the
            // descriptor is never used or dropped here again.
            unsafe { libc::close(own_pid_ns.as_raw_fd()) };
            if let Err(e) = stdio {
                eprintln!("pod-zygote: child stdio: {e}");
                std::process::exit(1);
            }
            crate::init::init_main(args, netns, builtins)
        }
    }
}
