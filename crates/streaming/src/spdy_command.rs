//! Remote command over SPDY/3.1 (`v4.channel.k8s.io`): the client opens one stream per
//! `streamtype` — `error`, and `stdin`/`stdout`/`stderr`/`resize` as requested. The server
//! waits for all of them, runs the process, writes the status JSON on the error stream, ends
//! every stream and closes the connection, which is when kubectl exits.

use std::future::Future;
use std::time::Duration;

use kubelite_spdy::{Connection, Incoming, Stream};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc;

use crate::error::StreamError;
use crate::runtime::Process;
use crate::session::{self, ClientIo, TerminalSize};

/// kubelet's limit for the client to open its streams.
const STREAM_CREATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The streams of one session, by `streamtype`.
#[derive(Default)]
struct Streams {
    error: Option<Stream>,
    stdin: Option<Stream>,
    stdout: Option<Stream>,
    stderr: Option<Stream>,
    resize: Option<Stream>,
}

/// Which streams the client will open.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl Streams {
    fn complete(&self, want: Expected) -> bool {
        self.error.is_some()
            && (!want.stdin || self.stdin.is_some())
            && (!want.stdout || self.stdout.is_some())
            && (!want.stderr || self.stderr.is_some())
            && (!want.tty || self.resize.is_some())
    }
}

/// Serves one exec/attach on a SPDY connection.
pub async fn serve<F>(
    conn: Connection,
    mut incoming: Incoming,
    want: Expected,
    start: F,
    status: impl FnOnce(&Result<i32, StreamError>) -> serde_json::Value,
) where
    F: Future<Output = Result<Process, StreamError>>,
{
    let collected =
        tokio::time::timeout(STREAM_CREATION_TIMEOUT, collect(&mut incoming, want)).await;
    let Ok(Some(mut streams)) = collected else {
        tracing::debug!("SPDY remote command: the client did not open its streams");
        conn.close();
        return;
    };
    let mut leftovers = Vec::new();
    let outcome = match start.await {
        Ok(process) => {
            let resize = streams.resize.take().map(spawn_resize_reader);
            let client = ClientIo {
                stdin: streams.stdin.take().map(|s| Box::new(s) as _),
                stdout: streams.stdout.take().map(|s| Box::new(s) as _),
                stderr: streams.stderr.take().map(|s| Box::new(s) as _),
                resize,
            };
            let (outcome, rest) = session::run(process, client).await;
            leftovers = rest;
            outcome
        }
        Err(e) => Err(e),
    };
    if let Some(mut error) = streams.error.take() {
        let _ = error
            .write_all(status(&outcome).to_string().as_bytes())
            .await;
        let _ = error.shutdown().await;
        conn.close();
        drop(error);
    } else {
        conn.close();
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
    drop(leftovers);
    drop(streams);
}

async fn collect(incoming: &mut Incoming, want: Expected) -> Option<Streams> {
    let mut streams = Streams::default();
    while !streams.complete(want) {
        let stream = incoming.accept().await?;
        let slot = match stream.headers().get("streamtype") {
            Some("error") => &mut streams.error,
            Some("stdin") => &mut streams.stdin,
            Some("stdout") => &mut streams.stdout,
            Some("stderr") => &mut streams.stderr,
            Some("resize") => &mut streams.resize,
            other => {
                tracing::debug!(?other, "ignoring SPDY stream of unknown type");
                continue;
            }
        };
        *slot = Some(stream);
    }
    Some(streams)
}

/// Decodes the resize stream's concatenated JSON objects.
fn spawn_resize_reader(mut stream: Stream) -> mpsc::Receiver<TerminalSize> {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            let mut values = serde_json::Deserializer::from_slice(&buf).into_iter::<TerminalSize>();
            let mut consumed = 0;
            loop {
                match values.next() {
                    Some(Ok(size)) => {
                        consumed = values.byte_offset();
                        if tx.send(size).await.is_err() {
                            return;
                        }
                    }
                    Some(Err(e)) if e.is_eof() => break,
                    Some(Err(e)) => {
                        tracing::debug!("bad resize stream: {e}");
                        return;
                    }
                    None => {
                        consumed = buf.len();
                        break;
                    }
                }
            }
            buf.drain(..consumed);
        }
    });
    rx
}
