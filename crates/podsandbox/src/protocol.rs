//! The control channel between agent and pod init: frames of a 4-byte big-endian length and a
//! JSON message over the unix socket `<state_dir>/<uid>/init.sock`. The agent sends one
//! [`Request`] and reads one [`Reply`], except after [`Request::Subscribe`], when the init
//! pushes a [`Reply::Exit`] per container exit for as long as the connection lives.

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::status::{ContainerExit, ContainerStatus};

/// Largest frame either side accepts.
const MAX_FRAME: u32 = 16 << 20;

/// A container to start (a process from the node's filesystem, without a TTY).
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
    /// the streams stay in order).
    pub stderr: PathBuf,
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
}

/// Init → agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "reply")]
pub(crate) enum Reply {
    Started {
        pid: i32,
    },
    Done,
    Status {
        containers: Vec<ContainerStatus>,
    },
    Exit(ContainerExit),
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
            }),
            Request::Signal {
                name: "web".into(),
                signal: 15,
            },
            Request::Status,
            Request::Subscribe,
            Request::Stop { grace_ms: 30_000 },
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
}
