//! The control channel between agent and pod init: frames of a 4-byte big-endian length and a
//! JSON message over the unix socket `<state_dir>/<uid>/init.sock`. The agent sends one
//! [`Request`] and reads one [`Reply`], except after [`Request::Subscribe`], when the init
//! pushes a [`Reply::Exit`] per container exit for as long as the connection lives.

use std::path::PathBuf;
use std::time::SystemTime;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::status::{ContainerExit, ContainerStatus};

/// Largest frame either side accepts.
const MAX_FRAME: u32 = 16 << 20;

/// A container to start (a process from the node's filesystem).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerSpec {
    /// Container name, unique within the pod.
    pub name: String,
    /// Program and arguments; the program is looked up in `PATH` from `env` (containerd's
    /// default `PATH` if `env` has none).
    pub argv: Vec<String>,
    /// Environment, in order (later entries win).
    pub env: Vec<(String, String)>,
    /// Working directory; `/` if `None`.
    pub cwd: Option<PathBuf>,
    /// File that stdout is appended to (created if missing).
    pub stdout: PathBuf,
    /// File that stderr is appended to; may equal `stdout` (then one descriptor is shared and
    /// the streams stay in order). Unused with `tty`.
    pub stderr: PathBuf,
    /// Give the container a stdin that the init holds open for the container's life and that
    /// attach sessions write to (`spec.containers[].stdin`); otherwise stdin is `/dev/null`.
    #[serde(default)]
    pub stdin: bool,
    /// Close stdin once the first attach session that attached to it ends (`stdinOnce`).
    #[serde(default)]
    pub stdin_once: bool,
    /// Run on a PTY whose master the init owns (`tty`): stdout and stderr are the terminal,
    /// whose output is appended to `stdout`.
    #[serde(default)]
    pub tty: bool,
}

/// Agent → init.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "op")]
pub(crate) enum Request {
    /// Start a container; replies [`Reply::Started`].
    Start(ContainerSpec),
    /// Send a signal to a running container; replies [`Reply::Done`].
    Signal { name: String, signal: i32 },
    /// Replies [`Reply::Status`].
    Status,
    /// Replies [`Reply::Done`] once subscribed, then streams [`Reply::Exit`].
    Subscribe,
    /// SIGTERM every container, SIGKILL what still runs after `grace_ms`, reply
    /// [`Reply::Status`], then exit (which ends the pod's namespaces).
    Stop { grace_ms: u64 },
    /// Attach to running container `name`; replies [`Reply::Attached`]. If that reply grants
    /// `stdin`, every later byte from the agent is the container's input until the agent
    /// shuts its side down; the init then closes the connection once it is done with that
    /// input (and has closed the container's stdin if this was its `stdinOnce` session).
    Attach { name: String, stdin: bool },
    /// Sets the window size of container `name`'s terminal; replies [`Reply::Done`].
    Resize { name: String, cols: u16, rows: u16 },
    /// Replies [`Reply::Spec`] with the spec container `name` was last started with.
    Spec { name: String },
}

/// Init → agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "reply")]
pub(crate) enum Reply {
    Started {
        pid: i32,
        /// When the init started it (absent in the replies of inits older than this field).
        #[serde(rename = "startedAt", default, skip_serializing_if = "Option::is_none")]
        started_at: Option<SystemTime>,
    },
    Done,
    Status {
        containers: Vec<ContainerStatus>,
    },
    Exit(ContainerExit),
    /// The attach session's terms: whether the container runs on a terminal, and whether the
    /// session's input reaches the container (false if it has no stdin, or it was closed).
    Attached {
        tty: bool,
        stdin: bool,
    },
    Spec {
        spec: Option<ContainerSpec>,
    },
    /// The request failed; `start` says whether it was a start failure of the program.
    Error {
        message: String,
        start: bool,
    },
}

/// Writes one frame.
pub(crate) async fn write_frame<T: Serialize>(
    io: &mut (impl AsyncWrite + Unpin),
    message: &T,
) -> std::io::Result<()> {
    let body = serde_json::to_vec(message).map_err(std::io::Error::other)?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|len| *len <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::other("control message too large"))?;
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&body);
    io.write_all(&frame).await?;
    io.flush().await
}

/// Reads one frame; `None` at a clean end of stream.
pub(crate) async fn read_frame<T: DeserializeOwned>(
    io: &mut (impl AsyncRead + Unpin),
) -> std::io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match io.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME {
        return Err(std::io::Error::other("control message too large"));
    }
    let mut body = vec![0u8; len as usize];
    io.read_exact(&mut body).await?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Largest chunk of attach input in one frame.
pub(crate) const MAX_CHUNK: usize = 32 << 10;

/// The frame of one chunk of attach input (after [`Reply::Attached`] granted stdin): a 4-byte
/// big-endian length and the bytes. An empty chunk marks the end of the session's input; a
/// connection that closes without it was lost.
pub(crate) fn chunk_frame(bytes: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(bytes.len() + 4);
    frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    frame.extend_from_slice(bytes);
    frame
}

/// Reads one chunk of attach input; `None` if the connection ended (or broke) instead.
pub(crate) async fn read_chunk(io: &mut (impl AsyncRead + Unpin)) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await.ok()?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_CHUNK {
        return None;
    }
    let mut bytes = vec![0u8; len];
    io.read_exact(&mut bytes).await.ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip() {
        let requests = [
            Request::Start(ContainerSpec {
                name: "web".into(),
                argv: vec!["sleep".into(), "1000".into()],
                env: vec![("A".into(), "1".into())],
                cwd: None,
                stdout: "/l/0.log".into(),
                stderr: "/l/0.log".into(),
                stdin: true,
                stdin_once: true,
                tty: false,
            }),
            Request::Signal {
                name: "web".into(),
                signal: 15,
            },
            Request::Status,
            Request::Subscribe,
            Request::Stop { grace_ms: 30_000 },
            Request::Attach {
                name: "web".into(),
                stdin: true,
            },
            Request::Resize {
                name: "web".into(),
                cols: 80,
                rows: 24,
            },
            Request::Spec { name: "web".into() },
        ];
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        for request in &requests {
            write_frame(&mut a, request).await.unwrap();
        }
        drop(a);
        for request in &requests {
            assert_eq!(
                read_frame::<Request>(&mut b).await.unwrap().as_ref(),
                Some(request)
            );
        }
        assert_eq!(read_frame::<Request>(&mut b).await.unwrap(), None);
    }

    #[tokio::test]
    async fn chunks() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        a.write_all(&chunk_frame(b"abc")).await.unwrap();
        a.write_all(&chunk_frame(b"")).await.unwrap();
        a.write_all(&[0, 0]).await.unwrap();
        drop(a);
        assert_eq!(read_chunk(&mut b).await, Some(b"abc".to_vec()));
        assert_eq!(read_chunk(&mut b).await, Some(Vec::new()));
        // A truncated frame is a lost connection, not input.
        assert_eq!(read_chunk(&mut b).await, None);
    }

    #[tokio::test]
    async fn wire_shape() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        write_frame(
            &mut a,
            &Request::Signal {
                name: "c".into(),
                signal: 9,
            },
        )
        .await
        .unwrap();
        let want = br#"{"op":"signal","name":"c","signal":9}"#;
        let mut buf = vec![0u8; 4 + want.len()];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf[..4], &(want.len() as u32).to_be_bytes());
        assert_eq!(&buf[4..], want);
    }

    #[test]
    fn started_replies_of_older_inits_have_no_start_time() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_500);
        let now: Reply = serde_json::from_str(
            r#"{"reply":"started","pid":7,"startedAt":{"secs_since_epoch":1,"nanos_since_epoch":500000000}}"#,
        )
        .unwrap();
        assert_eq!(
            now,
            Reply::Started {
                pid: 7,
                started_at: Some(at)
            }
        );
        let old: Reply = serde_json::from_str(r#"{"reply":"started","pid":7}"#).unwrap();
        assert_eq!(
            old,
            Reply::Started {
                pid: 7,
                started_at: None
            }
        );
        // And an older agent reads a newer init's reply (it ignores the field).
        let encoded = serde_json::to_string(&Reply::Started {
            pid: 7,
            started_at: Some(at),
        })
        .unwrap();
        assert!(encoded.contains(r#""startedAt":{"#), "{encoded}");
    }
}
