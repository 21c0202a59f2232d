//! `kubectl attach` to a running container, with CRI semantics.
//!
//! - **Output.** The pod init appends a container's stdout and stderr (with a TTY: the
//!   terminal, one stream) to raw files (see [`crate::log_pump`]); the session follows them
//!   from their current end, so every session and the log file see the same output.
//! - **Input.** The session's input goes to the container's stdin through the init
//!   ([`PodSandbox::attach`]), which holds stdin for the container's life, so sessions work
//!   the same after an agent restart. A container without stdin discards the input.
//! - **End.** The session ends when the run ends. When the client's input ends, it ends too
//!   (detaches) — except for a `stdinOnce` container without a TTY, whose stdin the init then
//!   closes while the session follows the output until the container exits (containerd's
//!   behaviour, which `kubectl run -i --rm … -- cat` relies on).
//! - **Resize.** Terminal sizes go to the init, in order, from a task of the session.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kubelite_podsandbox::{Attachment, ContainerState, PodSandbox};
use kubelite_streaming::{Process, ProcessControl, ProcessOutput, StreamError};
use tokio::fs::File;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _, DuplexStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::log_pump::RawOutput;
use crate::logs::run_of;
use crate::registry::Registry;

/// How often the raw files and the run's state are checked.
const POLL: Duration = Duration::from_millis(100);

/// The run an attach session is for.
pub(crate) struct Target {
    pub(crate) registry: Arc<Registry>,
    pub(crate) sandbox: Arc<PodSandbox>,
    /// Namespace and name.
    pub(crate) pod: (String, String),
    pub(crate) container: String,
    /// The log file of the run.
    pub(crate) log: PathBuf,
}

/// Attaches to `target`'s run.
pub(crate) async fn attach(target: Target) -> Result<Process, StreamError> {
    // Output counts from the request on, not from the end of the round trips to the init.
    let run = run_of(&target.log).unwrap_or_default();
    let RawOutput { stdout, stderr, .. } =
        RawOutput::new(target.sandbox.dir(), &target.container, run);
    let (stdout, stderr) = (end_of(stdout).await, end_of(stderr).await);
    let failed = |e: kubelite_podsandbox::Error| match e {
        kubelite_podsandbox::Error::Rejected(message) => StreamError::BadRequest(message),
        other => StreamError::Internal(other.to_string()),
    };
    let spec = target
        .sandbox
        .container_spec(&target.container)
        .await
        .map_err(failed)?;
    let mut session = target
        .sandbox
        .attach(&target.container, true)
        .await
        .map_err(failed)?;
    let tty = session.tty();
    let stdin_once = spec.is_some_and(|s| s.stdin_once);
    let detaches = tty || !stdin_once;
    let stdin = session.take_stdin();
    // The first session of a `stdinOnce` container (what `kubectl run -i` attaches) sees the
    // run's output from its start: the container starts before kubectl can attach, and what it
    // printed meanwhile (`kubectl run -i --rm t --image=busybox -- echo hi`) would be lost.
    let (stdout, stderr) = if stdin_once && stdin.is_some() {
        ((stdout.0, 0), (stderr.0, 0))
    } else {
        (stdout, stderr)
    };
    let detached = CancellationToken::new();
    let follow = |raw: (PathBuf, u64)| {
        follow(
            target.registry.clone(),
            raw,
            target.log.clone(),
            detached.clone(),
        )
    };
    let resize = tty.then(|| resizer(target.sandbox.clone(), target.container.clone()));
    Ok(Process {
        stdin,
        stdout: Some(follow(stdout)),
        stderr: (!tty).then(|| follow(stderr)),
        control: Box::new(Attached {
            target,
            session,
            detaches,
            detached,
            resize,
        }),
    })
}

/// A raw file and its current length.
async fn end_of(raw: PathBuf) -> (PathBuf, u64) {
    let len = tokio::fs::metadata(&raw).await.map_or(0, |m| m.len());
    (raw, len)
}

/// Applies terminal sizes to `container`'s terminal in the order they came.
fn resizer(sandbox: Arc<PodSandbox>, container: String) -> mpsc::UnboundedSender<(u16, u16)> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(u16, u16)>();
    tokio::spawn(async move {
        while let Some((cols, rows)) = rx.recv().await {
            if let Err(e) = sandbox.resize_container(&container, cols, rows).await {
                tracing::debug!("attach: resize {container}: {e}");
            }
        }
    });
    tx
}

/// What is appended to `raw` after `offset`, until the run writing `log` has ended (or the
/// session detached) and `raw` is read to its end.
fn follow(
    registry: Arc<Registry>,
    (raw, offset): (PathBuf, u64),
    log: PathBuf,
    detached: CancellationToken,
) -> ProcessOutput {
    let (reader, writer) = tokio::io::duplex(64 << 10);
    tokio::spawn(async move {
        if let Err(e) = copy_new(&registry, &raw, offset, &log, &detached, writer).await {
            tracing::debug!(path = %raw.display(), "attach: {e}");
        }
    });
    Box::new(reader)
}

async fn copy_new(
    registry: &Registry,
    raw: &Path,
    mut offset: u64,
    log: &Path,
    detached: &CancellationToken,
    mut out: DuplexStream,
) -> io::Result<()> {
    let mut buf = vec![0; 32 << 10];
    loop {
        let live = registry.log_is_live(log) && !detached.is_cancelled();
        let mut moved = false;
        if let Ok(mut file) = File::open(raw).await {
            if file.metadata().await?.len() < offset {
                // Truncated by the log pump once consumed.
                offset = 0;
            }
            file.seek(io::SeekFrom::Start(offset)).await?;
            loop {
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                out.write_all(&buf[..n]).await?;
                offset += n as u64;
                moved = true;
            }
        }
        if !live && !moved {
            return out.shutdown().await;
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = detached.cancelled(), if live => {}
        }
    }
}

/// The attached run: resizes its terminal; waits for the run to end or the session to
/// detach.
struct Attached {
    target: Target,
    session: Attachment,
    /// The end of the session's input ends the session.
    detaches: bool,
    detached: CancellationToken,
    resize: Option<mpsc::UnboundedSender<(u16, u16)>>,
}

#[async_trait]
impl ProcessControl for Attached {
    fn resize(&self, width: u16, height: u16) -> io::Result<()> {
        if let Some(resize) = &self.resize {
            let _ = resize.send((width, height));
        }
        Ok(())
    }

    async fn wait(&mut self) -> Result<i32, StreamError> {
        let t = &self.target;
        while t.registry.log_is_live(&t.log) {
            tokio::select! {
                () = self.session.input_done(), if self.detaches => {
                    self.detached.cancel();
                    return Ok(0);
                }
                () = tokio::time::sleep(POLL) => {}
            }
        }
        let (namespace, pod) = &t.pod;
        if let Some(code) = t
            .registry
            .get(namespace, pod)
            .and_then(|p| p.exits.get(&t.log).copied())
        {
            return Ok(code);
        }
        let statuses = t
            .sandbox
            .container_status()
            .await
            .map_err(|e| StreamError::Internal(e.to_string()))?;
        let status = statuses.iter().find(|s| s.name == t.container);
        let code = match status.map(|s| (&s.state, &s.last_termination)) {
            Some((ContainerState::Exited(term), _)) => term.exit_code,
            Some((ContainerState::Running { .. }, Some(last))) => last.exit_code,
            _ => 0,
        };
        Ok(code)
    }
}
