//! The contract between the streaming server and the node agent: [`PodRuntime`] (what the
//! agent implements) and [`Process`] (a running exec or an attached container).

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use kubelite_podsandbox::ExecProcess;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::error::StreamError;

/// Input of a process (its stdin, or the TTY).
pub type ProcessInput = Box<dyn AsyncWrite + Send + Unpin>;
/// Output of a process (its stdout or stderr, or the TTY).
pub type ProcessOutput = Box<dyn AsyncRead + Send + Unpin>;

/// What the node agent does for the streaming server. Names are the Pod's namespace and
/// name and a container name the API server has already validated against the Pod spec; an
/// implementation still answers [`StreamError::NotFound`] for pods it does not run.
#[async_trait]
pub trait PodRuntime: Send + Sync + 'static {
    /// Starts `command` inside the container's pod (`kubectl exec`), with a PTY when `tty`.
    /// A program that cannot be started is an error ([`StreamError::exec_failed`]); it is
    /// reported to kubectl on the error channel after the upgrade, as kubelet does.
    async fn exec(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        command: Vec<String>,
        tty: bool,
    ) -> Result<Process, StreamError>;

    /// Connects to the running container's own stdio (`kubectl attach`, `kubectl run -i`).
    ///
    /// The returned process's outputs carry what the container writes from now on, its input
    /// (if any) feeds the container's stdin, and [`ProcessControl::wait`] resolves when the
    /// container exits. A runtime whose containers have no stdin pipe returns `stdin: None`
    /// (kubectl's input is then discarded); one whose output goes only to log files may
    /// follow the log file from its end. `tty` is what the client asked for.
    async fn attach(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        tty: bool,
    ) -> Result<Process, StreamError>;

    /// A TCP connection to `127.0.0.1:port` in the pod's network namespace (or to the pod IP
    /// from the node). The error's text is shown by kubectl after
    /// `an error occurred forwarding L -> P: error forwarding port P to pod …: `.
    async fn port_forward(
        &self,
        namespace: &str,
        pod: &str,
        port: u16,
    ) -> Result<TcpStream, StreamError>;

    /// The CRI-format log file of the container's current run, or of the previous run when
    /// `previous`. A rotated predecessor, if any, is `<path>.1`. A missing file reads as empty.
    async fn log_path(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<PathBuf, StreamError>;

    /// Whether the container run writing `path` (as returned by [`PodRuntime::log_path`])
    /// still runs; `kubectl logs -f` ends once it does not and the file is read to its end.
    async fn log_active(&self, path: &Path) -> bool;
}

/// Lifetime operations of a [`Process`].
#[async_trait]
pub trait ProcessControl: Send {
    /// Sets the TTY's window size; a no-op without a TTY.
    fn resize(&self, width: u16, height: u16) -> io::Result<()>;

    /// Waits for the process to exit and returns its exit code (128 + N when killed by
    /// signal N). Must be cancel-safe: it is raced against resize events.
    async fn wait(&mut self) -> Result<i32, StreamError>;
}

/// A running program as the streaming server drives it. With a TTY, `stdout` is the
/// terminal and `stderr` is `None`.
pub struct Process {
    /// Where the client's input goes; `None` discards it.
    pub stdin: Option<ProcessInput>,
    /// The program's output; read to end-of-file.
    pub stdout: Option<ProcessOutput>,
    /// The program's error output.
    pub stderr: Option<ProcessOutput>,
    /// Resize and exit.
    pub control: Box<dyn ProcessControl>,
}

impl Process {
    /// Wraps a `kubelite-podsandbox` exec.
    pub fn from_exec(mut exec: ExecProcess) -> Process {
        Process {
            stdin: exec.take_stdin(),
            stdout: exec.take_stdout(),
            stderr: exec.take_stderr(),
            control: Box::new(exec),
        }
    }
}

#[async_trait]
impl ProcessControl for ExecProcess {
    fn resize(&self, width: u16, height: u16) -> io::Result<()> {
        ExecProcess::resize(self, width, height).map_err(io::Error::other)
    }

    async fn wait(&mut self) -> Result<i32, StreamError> {
        ExecProcess::wait(self)
            .await
            .map_err(|e| StreamError::Internal(e.to_string()))
    }
}
