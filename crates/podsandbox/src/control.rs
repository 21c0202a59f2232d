//! The agent's end of the control channel: one request, one reply, over `init.sock`. A closed
//! or refused socket means the init is gone.

use std::io;

use tokio::net::UnixStream;

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::protocol::{Reply, Request, read_frame, write_frame};

/// A connection to a pod init.
pub(crate) struct Control {
    uid: String,
    stream: UnixStream,
}

impl Control {
    /// Connects to pod `uid`'s init.
    pub(crate) async fn connect(layout: &Layout, uid: &str) -> Result<Control> {
        let socket = layout.socket();
        match UnixStream::connect(&socket).await {
            Ok(stream) => Ok(Control {
                uid: uid.to_owned(),
                stream,
            }),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                Err(Error::InitGone(uid.to_owned()))
            }
            Err(e) => Err(Error::io("connect", &socket, e)),
        }
    }

    /// Sends `request`.
    pub(crate) async fn send(&mut self, request: &Request) -> Result<()> {
        write_frame(&mut self.stream, request)
            .await
            .map_err(|e| self.lost(e))
    }

    /// Reads the next reply; a refused request becomes its error.
    pub(crate) async fn receive(&mut self) -> Result<Option<Reply>> {
        match read_frame::<Reply>(&mut self.stream).await {
            Ok(Some(Reply::Error {
                message,
                start: true,
            })) => Err(Error::StartFailed { message }),
            Ok(Some(Reply::Error {
                message,
                start: false,
            })) => Err(Error::Rejected(message)),
            Ok(reply) => Ok(reply),
            Err(e) => Err(self.lost(e)),
        }
    }

    /// One request, one reply.
    pub(crate) async fn call(&mut self, request: &Request) -> Result<Reply> {
        self.send(request).await?;
        self.receive()
            .await?
            .ok_or_else(|| Error::InitGone(self.uid.clone()))
    }

    /// The connection itself (for an attach session after its reply).
    pub(crate) fn into_stream(self) -> UnixStream {
        self.stream
    }

    fn lost(&self, e: io::Error) -> Error {
        match e.kind() {
            io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::UnexpectedEof => Error::InitGone(self.uid.clone()),
            _ => Error::Protocol(e.to_string()),
        }
    }
}
