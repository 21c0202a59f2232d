//! `kubectl logs`: reads a container's CRI log file (after its rotated predecessor
//! `<path>.1`), renders it with [`crate::cri`], and with `follow` keeps reading what the
//! container appends — across rotations — until the runtime says the run ended and the file
//! is read to its end.

use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use jiff::{SignedDuration, Timestamp};
use tokio::fs::File;
use tokio::io::AsyncReadExt as _;
use tokio::sync::mpsc;

use crate::cri::{Renderer, tail_start};
use crate::route::LogQuery;
use crate::runtime::PodRuntime;

/// How often a followed file is checked for new data.
const POLL: Duration = Duration::from_millis(100);

/// The rotated predecessor of a log file.
pub fn rotated_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

/// Writes the rendered log of `path` to `out` until done or the receiver is gone.
pub async fn stream(
    runtime: Arc<dyn PodRuntime>,
    path: PathBuf,
    query: LogQuery,
    now: Timestamp,
    out: mpsc::Sender<Bytes>,
) {
    if let Err(e) = stream_inner(runtime, &path, &query, now, &out).await {
        tracing::debug!(path = %path.display(), "reading log: {e}");
    }
}

async fn stream_inner(
    runtime: Arc<dyn PodRuntime>,
    path: &Path,
    query: &LogQuery,
    now: Timestamp,
    out: &mpsc::Sender<Bytes>,
) -> io::Result<()> {
    let since = match query.since_seconds {
        Some(secs) => {
            Some(now - SignedDuration::from_secs(i64::try_from(secs).unwrap_or(i64::MAX / 2)))
        }
        None => query.since_time,
    };
    let mut renderer = Renderer::new(query.timestamps, since, query.limit_bytes);
    let mut data = read_all(&rotated_path(path)).await?;
    let mut file = open(path).await?;
    if let Some(f) = &mut file {
        f.read_to_end(&mut data).await?;
    }
    let start = query.tail_lines.map_or(0, |n| tail_start(&data, n));
    data.drain(..start);
    if !emit(&mut renderer, &mut data, out).await || !query.follow {
        return Ok(());
    }
    loop {
        let mut grew = false;
        if let Some(f) = &mut file {
            let before = data.len();
            f.read_to_end(&mut data).await?;
            grew = data.len() > before;
        }
        if grew {
            if !emit(&mut renderer, &mut data, out).await {
                return Ok(());
            }
            continue;
        }
        if replaced(path, file.as_ref()).await {
            // Rotated (or created): what the old handle held was read above.
            file = open(path).await?;
            continue;
        }
        if !runtime.log_active(path).await {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = out.closed() => return Ok(()),
        }
    }
}

/// Renders the complete lines buffered in `data` and sends them; `false` once nothing more
/// will be sent.
async fn emit(renderer: &mut Renderer, data: &mut Vec<u8>, out: &mpsc::Sender<Bytes>) -> bool {
    let mut rendered = Vec::new();
    let used = renderer.render(data, &mut rendered);
    data.drain(..used);
    if !rendered.is_empty() && out.send(Bytes::from(rendered)).await.is_err() {
        return false;
    }
    !renderer.exhausted()
}

async fn open(path: &Path) -> io::Result<Option<File>> {
    match File::open(path).await {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

async fn read_all(path: &Path) -> io::Result<Vec<u8>> {
    match tokio::fs::read(path).await {
        Ok(data) => Ok(data),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Whether `path` now names another file than `open` (rotation, or creation after absence).
async fn replaced(path: &Path, open: Option<&File>) -> bool {
    let Ok(now) = tokio::fs::metadata(path).await else {
        return false;
    };
    match open {
        None => true,
        Some(f) => match f.metadata().await {
            Ok(old) => old.ino() != now.ino() || old.dev() != now.dev(),
            Err(_) => true,
        },
    }
}
