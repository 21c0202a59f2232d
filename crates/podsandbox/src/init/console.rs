//! A container's stdin and terminal, held by the init so that they live as long as the
//! container and not as long as an agent or an attach session.
//!
//! - **stdin** (`stdin: true`): a pipe whose read end is the container's stdin. The init keeps
//!   the write end in a writer task fed by a channel ([`StdinPort`]); attach sessions send
//!   chunks to it. Without `stdin`, the container's stdin is `/dev/null` (or, with `tty`, a
//!   terminal nobody types into).
//! - **stdinOnce**: the first session that uses stdin claims it; when that session ends, the
//!   port closes after the data already sent, and the container reads end-of-file.
//! - **tty**: a PTY whose slave is the container's stdin, stdout and stderr (and controlling
//!   terminal); the init keeps the master, writes input to it and relays its output to the
//!   container's stdout file until every slave is closed (`drained`).
//!
//! Dropping the [`Console`] (the container exited) hangs up stdin at once. Every descriptor
//! the init keeps is close-on-exec, so no other container inherits it.

use std::fs::File;
use std::io::{self, Write as _};
use std::os::fd::{AsFd as _, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{mpsc, oneshot, watch};

use crate::pty;

/// How many chunks of input may wait for a container that does not read.
const QUEUE: usize = 16;

/// What an attach session sends to a container's stdin.
enum Input {
    Data(Vec<u8>),
    /// Close stdin after what was sent before.
    Close,
}

/// A handle on a container's stdin for attach sessions.
#[derive(Clone)]
pub(crate) struct StdinPort {
    tx: mpsc::Sender<Input>,
    once: bool,
    claimed: Arc<AtomicBool>,
}

impl StdinPort {
    /// Whether stdin still accepts input.
    pub(crate) fn is_open(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Records that a session uses stdin; true if it is the `stdinOnce` session whose end
    /// closes stdin.
    pub(crate) fn claim(&self) -> bool {
        self.once && !self.claimed.swap(true, Ordering::SeqCst)
    }

    /// Queues `bytes`; false once stdin is closed.
    pub(crate) async fn send(&self, bytes: Vec<u8>) -> bool {
        self.tx.send(Input::Data(bytes)).await.is_ok()
    }

    /// Closes stdin after what was queued.
    pub(crate) async fn close(&self) {
        let _ = self.tx.send(Input::Close).await;
    }

    /// Resolves once stdin is closed.
    pub(crate) async fn closed(&self) {
        self.tx.closed().await;
    }
}

/// The init's side of one container run's stdio.
pub(crate) struct Console {
    stdin: Option<StdinPort>,
    /// Dropped with the console: the writer task then closes stdin.
    _hangup: oneshot::Sender<()>,
    /// The PTY master, for resizes.
    master: Option<OwnedFd>,
    /// Becomes true once the terminal's output is all in the stdout file.
    drained: Option<watch::Receiver<bool>>,
}

/// The container process's stdio (close-on-exec descriptors, to be made its 0, 1 and 2).
pub(crate) struct ChildStdio {
    pub(crate) stdin: OwnedFd,
    pub(crate) stdout: OwnedFd,
    pub(crate) stderr: OwnedFd,
    /// stdin is a PTY slave that must become the controlling terminal of a new session.
    pub(crate) terminal: bool,
}

impl Console {
    /// Stdio without a terminal: output to the log files, stdin a held pipe if `stdin`.
    /// Must be called within a tokio runtime.
    pub(crate) fn pipes(
        stdin: bool,
        once: bool,
        stdout: File,
        stderr: File,
    ) -> io::Result<(Console, ChildStdio)> {
        let (hangup, hung_up) = oneshot::channel();
        let (child_stdin, port) = if stdin {
            let (reader, writer) = io::pipe()?;
            let writer = tokio::net::unix::pipe::Sender::from_owned_fd(writer.into())?;
            let port = spawn_writer(Box::new(writer), once, hung_up);
            (OwnedFd::from(reader), Some(port))
        } else {
            let null = File::options().read(true).write(true).open("/dev/null")?;
            (OwnedFd::from(null), None)
        };
        let console = Console {
            stdin: port,
            _hangup: hangup,
            master: None,
            drained: None,
        };
        let stdio = ChildStdio {
            stdin: child_stdin,
            stdout: stdout.into(),
            stderr: stderr.into(),
            terminal: false,
        };
        Ok((console, stdio))
    }

    /// Stdio on a new PTY whose output is appended to `stdout`; input is accepted if `stdin`.
    /// Must be called within a tokio runtime.
    pub(crate) fn terminal(
        stdin: bool,
        once: bool,
        stdout: File,
    ) -> io::Result<(Console, ChildStdio)> {
        let pair = nix::pty::openpty(None, None).map_err(io::Error::from)?;
        for fd in [&pair.master, &pair.slave] {
            fcntl(fd.as_fd(), FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(io::Error::from)?;
        }
        let resize = pair.master.try_clone()?;
        let (reader, writer) = pty::split(pair.master)?;
        let (drained_tx, drained) = watch::channel(false);
        tokio::spawn(relay(reader, stdout, drained_tx));
        let (hangup, hung_up) = oneshot::channel();
        let port = stdin.then(|| spawn_writer(Box::new(writer), once, hung_up));
        let slave = pair.slave;
        let stdio = ChildStdio {
            stdin: slave.try_clone()?,
            stdout: slave.try_clone()?,
            stderr: slave,
            terminal: true,
        };
        let console = Console {
            stdin: port,
            _hangup: hangup,
            master: Some(resize),
            drained: Some(drained),
        };
        Ok((console, stdio))
    }

    /// Whether the container runs on a terminal.
    pub(crate) fn tty(&self) -> bool {
        self.master.is_some()
    }

    /// The container's stdin, if it has one.
    pub(crate) fn stdin(&self) -> Option<StdinPort> {
        self.stdin.clone()
    }

    /// Sets the terminal's window size; a no-op without a terminal (as kubelet does).
    pub(crate) fn resize(&self, cols: u16, rows: u16) -> io::Result<()> {
        match &self.master {
            Some(master) => pty::resize(master, cols, rows),
            None => Ok(()),
        }
    }

    /// Consumes the console (hanging up stdin); with a terminal, what tells when its output
    /// is all relayed.
    pub(crate) fn hang_up(self) -> Option<watch::Receiver<bool>> {
        self.drained
    }
}

fn spawn_writer(
    to: Box<dyn AsyncWrite + Send + Unpin>,
    once: bool,
    hung_up: oneshot::Receiver<()>,
) -> StdinPort {
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(write_input(to, rx, hung_up));
    StdinPort {
        tx,
        once,
        claimed: Arc::new(AtomicBool::new(false)),
    }
}

/// Writes queued input in order until a close, a hang-up or a write error; dropping `to`
/// then closes the container's stdin.
async fn write_input(
    mut to: Box<dyn AsyncWrite + Send + Unpin>,
    mut rx: mpsc::Receiver<Input>,
    mut hung_up: oneshot::Receiver<()>,
) {
    loop {
        let input = tokio::select! {
            _ = &mut hung_up => return,
            input = rx.recv() => input,
        };
        let Some(Input::Data(bytes)) = input else {
            return;
        };
        let written = tokio::select! {
            _ = &mut hung_up => return,
            written = to.write_all(&bytes) => written,
        };
        if written.is_err() {
            return;
        }
    }
}

/// Appends the terminal's output to the container's stdout file until every slave is closed.
async fn relay(mut from: pty::PtyReader, mut to: File, drained: watch::Sender<bool>) {
    let mut buf = vec![0u8; 16 << 10];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    drained.send_replace(true);
}

#[cfg(test)]
mod tests {
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::io::AsyncReadExt as _;

    use super::*;

    fn files(dir: &std::path::Path) -> (File, File) {
        let open = |name: &str| File::create(dir.join(name)).unwrap();
        (open("out"), open("err"))
    }

    /// A port's queued input reaches the reader in order, and `close` ends it after that.
    #[tokio::test]
    async fn stdin_once_closes_after_queued_input() {
        let dir = tempfile::tempdir().unwrap();
        let (out, err) = files(dir.path());
        let (console, stdio) = Console::pipes(true, true, out, err).unwrap();
        let port = console.stdin().unwrap();
        assert!(!console.tty());
        assert!(port.claim(), "the first session closes stdin");
        assert!(!port.claim(), "later sessions do not");
        assert!(port.send(b"one\n".to_vec()).await);
        assert!(port.send(b"two\n".to_vec()).await);
        port.close().await;
        // The container's end: it reads everything, then end-of-file.
        let output = tokio::process::Command::new("cat")
            .stdin(stdio.stdin)
            .output()
            .await
            .unwrap();
        assert_eq!(output.stdout, b"one\ntwo\n");
        assert!(!port.send(b"late\n".to_vec()).await);
    }

    /// Without `stdinOnce` nobody closes stdin but the hang-up when the container ends.
    #[tokio::test]
    async fn hang_up_closes_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let (out, err) = files(dir.path());
        let (console, stdio) = Console::pipes(true, false, out, err).unwrap();
        let port = console.stdin().unwrap();
        assert!(!port.claim());
        let mut cmd = tokio::process::Command::new("cat");
        let mut child = cmd
            .stdin(stdio.stdin)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        drop(cmd);
        assert!(port.send(b"hi\n".to_vec()).await);
        let mut stdout = child.stdout.take().unwrap();
        let mut got = [0u8; 3];
        stdout.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"hi\n");
        assert!(port.is_open());
        assert!(console.hang_up().is_none());
        tokio::time::timeout(Duration::from_secs(5), port.closed())
            .await
            .unwrap();
        assert!(!port.is_open());
        assert!(!port.send(b"late\n".to_vec()).await);
        assert!(child.wait().await.unwrap().success());
    }

    /// Without stdin the container reads end-of-file at once.
    #[tokio::test]
    async fn no_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let (out, err) = files(dir.path());
        let (console, stdio) = Console::pipes(false, false, out, err).unwrap();
        assert!(console.stdin().is_none());
        let status = tokio::process::Command::new("cat")
            .stdin(stdio.stdin)
            .status()
            .await
            .unwrap();
        assert!(status.success());
    }
}
