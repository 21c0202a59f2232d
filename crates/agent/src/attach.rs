//! `kubectl attach` to a running container. The pod init appends a container's stdout and
//! stderr to raw files (see [`crate::log_pump`]) and gives it no stdin pipe, so attaching
//! follows those files from their current end until the run ends, discards the client's
//! input, and reports the run's exit code.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kubelite_podsandbox::{ContainerState, PodSandbox};
use kubelite_streaming::{Process, ProcessControl, ProcessOutput, StreamError};
use tokio::fs::File;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _, DuplexStream};

use crate::log_pump::raw_paths;
use crate::registry::Registry;

/// How often the raw files and the run's state are checked.
const POLL: Duration = Duration::from_millis(100);

/// Attaches to the run of `container` writing log file `log`.
pub(crate) fn attach(
    registry: Arc<Registry>,
    sandbox: Arc<PodSandbox>,
    pod: (String, String),
    container: String,
    log: PathBuf,
) -> Process {
    let (stdout, stderr) = raw_paths(&log);
    Process {
        stdin: None,
        stdout: Some(follow(registry.clone(), stdout, log.clone())),
        stderr: Some(follow(registry.clone(), stderr, log.clone())),
        control: Box::new(Attached {
            registry,
            sandbox,
            pod,
            container,
            log,
        }),
    }
}

/// What is appended to `raw` from now on, until the run writing `log` has ended and `raw`
/// is read to its end.
fn follow(registry: Arc<Registry>, raw: PathBuf, log: PathBuf) -> ProcessOutput {
    let (reader, writer) = tokio::io::duplex(64 << 10);
    tokio::spawn(async move {
        if let Err(e) = copy_new(&registry, &raw, &log, writer).await {
            tracing::debug!(path = %raw.display(), "attach: {e}");
        }
    });
    Box::new(reader)
}

async fn copy_new(
    registry: &Registry,
    raw: &Path,
    log: &Path,
    mut out: DuplexStream,
) -> io::Result<()> {
    let mut offset = tokio::fs::metadata(raw).await.map_or(0, |m| m.len());
    let mut buf = vec![0; 32 << 10];
    loop {
        let live = registry.log_is_live(log);
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
        tokio::time::sleep(POLL).await;
    }
}

/// The attached run: no TTY to resize; waits for the run to end.
struct Attached {
    registry: Arc<Registry>,
    sandbox: Arc<PodSandbox>,
    /// Namespace and name.
    pod: (String, String),
    container: String,
    log: PathBuf,
}

#[async_trait]
impl ProcessControl for Attached {
    fn resize(&self, _width: u16, _height: u16) -> io::Result<()> {
        Ok(())
    }

    async fn wait(&mut self) -> Result<i32, StreamError> {
        while self.registry.log_is_live(&self.log) {
            tokio::time::sleep(POLL).await;
        }
        let (namespace, pod) = &self.pod;
        if let Some(code) = self
            .registry
            .get(namespace, pod)
            .and_then(|p| p.exits.get(&self.log).copied())
        {
            return Ok(code);
        }
        let statuses = self
            .sandbox
            .container_status()
            .await
            .map_err(|e| StreamError::Internal(e.to_string()))?;
        let status = statuses.iter().find(|s| s.name == self.container);
        let code = match status.map(|s| (&s.state, &s.last_termination)) {
            Some((ContainerState::Exited(term), _)) => term.exit_code,
            Some((ContainerState::Running { .. }, Some(last))) => last.exit_code,
            _ => 0,
        };
        Ok(code)
    }
}
