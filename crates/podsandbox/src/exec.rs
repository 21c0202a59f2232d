//! `kubectl exec`: a program from the node's filesystem run inside a pod's namespaces (those of
//! its init, joined in the forked child, see [`crate::nsenter`]), with the exec environment
//! containerd gives (the container's env, `PATH` default, `TERM=xterm` with a TTY), piped
//! stdio or a PTY that is the program's controlling terminal, and kubelet's exit codes
//! (128 + N when killed by signal N).
//!
//! A program that cannot be started yields [`Error::ExecFailed`] with containerd's text (see
//! [`crate::program`]); the agent turns it into kubectl's `Internal error occurred: error
//! executing command in container: failed to exec in container: failed to start exec "<id>": …`
//! (kubectl then exits with status 1, not 126/127, against containerd).

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::process::{Child, Command};

use crate::error::{Error, Result};
use crate::nsenter::PodNamespaces;
use crate::program::{complete_env, go_error, look_path, oci_exec_failed_message};
use crate::pty;
use crate::sandbox::PodSandbox;

/// Input of an exec'd program.
pub type ExecWriter = Box<dyn AsyncWrite + Send + Unpin>;
/// Output of an exec'd program.
pub type ExecReader = Box<dyn AsyncRead + Send + Unpin>;

/// What to run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecSpec {
    /// Program and arguments; the program is looked up in `PATH` from `env`.
    pub argv: Vec<String>,
    /// Environment (the container's), in order.
    pub env: Vec<(String, String)>,
    /// Working directory (the container's `workingDir`); `/` if `None`.
    pub cwd: Option<PathBuf>,
    /// Run on a new PTY (`kubectl exec -t`): stdout and stderr are both the terminal.
    pub tty: bool,
}

/// A running exec.
pub struct ExecProcess {
    child: Child,
    stdin: Option<ExecWriter>,
    stdout: Option<ExecReader>,
    stderr: Option<ExecReader>,
    pty: Option<OwnedFd>,
}

/// Starts `spec` in `sandbox`'s pod. Must be called within a tokio runtime.
pub fn exec_command(sandbox: &PodSandbox, spec: &ExecSpec) -> Result<ExecProcess> {
    let gone = || Error::InitGone(sandbox.uid().to_owned());
    if !sandbox.is_running() {
        return Err(gone());
    }
    let namespaces = PodNamespaces::open(sandbox.init_pid()).map_err(|_| gone())?;
    // The PID could have been reused between the check and the opens.
    if !sandbox.is_running() {
        return Err(gone());
    }
    let Some(program) = spec.argv.first() else {
        return Err(Error::ExecFailed(oci_exec_failed_message(
            "exec: \"\": executable file not found in $PATH",
        )));
    };
    let env = complete_env(&spec.env, spec.tty);
    let resolved = look_path(program, &env)
        .map_err(|reason| Error::ExecFailed(oci_exec_failed_message(&reason)))?;
    let cwd = spec.cwd.clone().unwrap_or_else(|| "/".into());
    let cwd = CString::new(cwd.as_os_str().as_bytes())
        .map_err(|_| Error::ExecFailed(format!("invalid working directory {cwd:?}")))?;

    let mut command = Command::new(&resolved);
    command
        .arg0(program)
        .args(&spec.argv[1..])
        .env_clear()
        .envs(env)
        .kill_on_drop(false);
    let mut master = None;
    if spec.tty {
        let pair = nix::pty::openpty(None, None).map_err(Error::sys("openpty"))?;
        let slave = pair.slave;
        let clone = |fd: &OwnedFd| fd.try_clone().map_err(|e| Error::ExecFailed(e.to_string()));
        command
            .stdin(Stdio::from(clone(&slave)?))
            .stdout(Stdio::from(clone(&slave)?))
            .stderr(Stdio::from(slave));
        master = Some(pair.master);
    } else {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
    }
    let tty = spec.tty;
    // SAFETY: the hook only makes async-signal-safe system calls on prepared values.
    unsafe {
        command.pre_exec(move || namespaces.enter(&cwd, tty));
    }
    let mut child = command.spawn().map_err(|e| {
        Error::ExecFailed(oci_exec_failed_message(&format!(
            "exec: {program:?}: {}",
            go_error(&e)
        )))
    })?;
    // The slave copies held by `command` must close, or reads would never see end-of-file.
    drop(command);
    let (stdin, stdout, stderr, pty): (
        Option<ExecWriter>,
        Option<ExecReader>,
        Option<ExecReader>,
        _,
    ) = match master {
        Some(master) => {
            let resize_fd = master
                .try_clone()
                .map_err(|e| Error::ExecFailed(e.to_string()))?;
            let (reader, writer) =
                pty::split(master).map_err(|e| Error::ExecFailed(e.to_string()))?;
            (
                Some(Box::new(writer)),
                Some(Box::new(reader)),
                None,
                Some(resize_fd),
            )
        }
        None => (
            child.stdin.take().map(|s| Box::new(s) as ExecWriter),
            child.stdout.take().map(|s| Box::new(s) as ExecReader),
            child.stderr.take().map(|s| Box::new(s) as ExecReader),
            None,
        ),
    };
    Ok(ExecProcess {
        child,
        stdin,
        stdout,
        stderr,
        pty,
    })
}

impl ExecProcess {
    /// The program's input (the terminal with a TTY). Dropping it closes stdin (without a TTY).
    pub fn take_stdin(&mut self) -> Option<ExecWriter> {
        self.stdin.take()
    }

    /// The program's output (the terminal, carrying stdout and stderr, with a TTY).
    pub fn take_stdout(&mut self) -> Option<ExecReader> {
        self.stdout.take()
    }

    /// The program's error output; `None` with a TTY.
    pub fn take_stderr(&mut self) -> Option<ExecReader> {
        self.stderr.take()
    }

    /// Sets the TTY's window size (`kubectl exec -t` resize events); ignored without a TTY, as
    /// kubelet does.
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        match &self.pty {
            Some(master) => {
                pty::resize(master, cols, rows).map_err(|e| Error::ExecFailed(e.to_string()))
            }
            None => Ok(()),
        }
    }

    /// Waits for the program; its exit code (128 + N if killed by signal N).
    pub async fn wait(&mut self) -> Result<i32> {
        let status = self
            .child
            .wait()
            .await
            .map_err(|e| Error::ExecFailed(format!("wait: {e}")))?;
        use std::os::unix::process::ExitStatusExt as _;
        Ok(status
            .code()
            .or_else(|| status.signal().map(|signal| 128 + signal))
            .unwrap_or(1))
    }
}
