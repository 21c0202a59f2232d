//! The agent's end of an attach session (`kubectl attach`): a connection of its own to the
//! init, which holds the container's stdin and terminal (see the init's `console`). The
//! session's input is sent in chunks ([`crate::protocol::chunk_frame`]); shutting the input
//! down sends the end marker, while dropping it without a shutdown (the client never had
//! stdin) leaves the container's stdin untouched. The init closes the connection once it is
//! done with the session's input ([`Attachment::input_done`]).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncReadExt as _, AsyncWrite};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

use crate::exec::ExecWriter;
use crate::protocol::{MAX_CHUNK, chunk_frame};

/// An attach session to a running container.
pub struct Attachment {
    tty: bool,
    input: Option<ExecWriter>,
    done: Option<OwnedReadHalf>,
}

impl Attachment {
    /// The session over `stream`, after the init's reply.
    pub(crate) fn new(stream: UnixStream, tty: bool, stdin: bool) -> Attachment {
        if !stdin {
            return Attachment {
                tty,
                input: None,
                done: None,
            };
        }
        let (rd, wr) = stream.into_split();
        Attachment {
            tty,
            input: Some(Box::new(Input {
                io: wr,
                pending: Vec::new(),
                written: 0,
                ended: false,
            })),
            done: Some(rd),
        }
    }

    /// Whether the container runs on a terminal (its output is one stream, on stdout).
    pub fn tty(&self) -> bool {
        self.tty
    }

    /// The container's stdin for this session; `None` if it has none or it was closed. Shut
    /// it down when the client's input ends (with `stdinOnce`, that closes the container's
    /// stdin if this session was the first to use it); dropping it without a shutdown leaves
    /// stdin as it is.
    pub fn take_stdin(&mut self) -> Option<ExecWriter> {
        self.input.take()
    }

    /// Resolves once the init is done with this session's input: after its shutdown, when
    /// the container's stdin closed, or when the container ended. Never resolves for a session
    /// without stdin. Cancel-safe.
    pub async fn input_done(&mut self) {
        let Some(done) = &mut self.done else {
            return std::future::pending().await;
        };
        let mut buf = [0u8; 64];
        while let Ok(1..) = done.read(&mut buf).await {}
    }
}

/// Session input as chunk frames: a write is accepted once the previous chunk is on its way.
struct Input {
    io: OwnedWriteHalf,
    /// The frame being written and how much of it is.
    pending: Vec<u8>,
    written: usize,
    /// The end marker was queued.
    ended: bool,
}

impl Input {
    /// Writes out the pending frame.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Input {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        ready!(this.poll_pending(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = buf.len().min(MAX_CHUNK);
        this.pending = chunk_frame(&buf[..n]);
        // Start sending now; what is left goes out on the next write or flush.
        if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if !this.ended {
            this.ended = true;
            this.pending = chunk_frame(&[]);
            ready!(this.poll_pending(cx))?;
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
