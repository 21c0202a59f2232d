//! One accepted SPDY stream: its headers plus `AsyncRead`/`AsyncWrite` over its DATA frames.
//!
//! Received data sits in a per-stream buffer filled by the connection's reader task; reading
//! it returns SPDY/3.1 window credit (WINDOW_UPDATE) to the peer. Writes become DATA frames
//! queued to the connection's writer task, bounded by a connection-wide byte budget.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio_util::sync::PollSemaphore;

use crate::connection::{ConnShared, WINDOW_SIZE};
use crate::frame::{Frame, RstStatus};
use crate::headers::Headers;

/// State of one stream shared between its [`Stream`] handle and the connection tasks.
pub(crate) struct StreamShared {
    pub(crate) id: u32,
    inner: Mutex<StreamInner>,
    /// Signalled whenever buffered data shrinks, for the reader task waiting to deliver more.
    pub(crate) space: Notify,
}

#[derive(Default)]
pub(crate) struct StreamInner {
    recv: VecDeque<Bytes>,
    pub(crate) buffered: usize,
    /// FIN received.
    pub(crate) remote_closed: bool,
    /// FIN sent (or the stream is unidirectional).
    pub(crate) local_closed: bool,
    /// RST_STREAM sent or received.
    pub(crate) reset: Option<RstStatus>,
    /// The connection ended before the stream did.
    pub(crate) aborted: bool,
    read_waker: Option<Waker>,
    /// Bytes read by the application not yet returned to the peer as window credit.
    unacked: u32,
}

impl StreamInner {
    /// No more frames will be exchanged on this stream.
    pub(crate) fn finished(&self) -> bool {
        self.reset.is_some() || self.aborted || (self.remote_closed && self.local_closed)
    }

    /// Queues received data and wakes the application's reader.
    pub(crate) fn push(&mut self, data: Bytes) {
        self.buffered += data.len();
        self.recv.push_back(data);
        self.wake();
    }

    /// Drops buffered data, returning how many bytes were discarded.
    pub(crate) fn discard(&mut self) -> usize {
        self.recv.clear();
        std::mem::take(&mut self.buffered)
    }

    pub(crate) fn wake(&mut self) {
        if let Some(waker) = self.read_waker.take() {
            waker.wake();
        }
    }
}

impl StreamShared {
    pub(crate) fn new(id: u32, remote_closed: bool, local_closed: bool) -> Self {
        Self {
            id,
            inner: Mutex::new(StreamInner {
                remote_closed,
                local_closed,
                ..StreamInner::default()
            }),
            space: Notify::new(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, StreamInner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A stream opened by the peer with SYN_STREAM and already answered with SYN_REPLY.
///
/// * Reading yields the peer's DATA until its FIN (then EOF). A reset stream reads as
///   `ConnectionReset`, a stream cut off by the connection's end as `ConnectionAborted`.
/// * Writing sends DATA frames; `shutdown()` sends FIN (half-close), after which the peer may
///   still send. `flush()` is a no-op: written data is already queued to the connection.
/// * Dropping the handle before both sides sent FIN resets the stream with `CANCEL`.
///
/// Use [`tokio::io::split`] to read and write from different tasks.
pub struct Stream {
    shared: Arc<StreamShared>,
    conn: Arc<ConnShared>,
    headers: Headers,
    budget: PollSemaphore,
}

impl Stream {
    pub(crate) fn new(shared: Arc<StreamShared>, conn: Arc<ConnShared>, headers: Headers) -> Self {
        let budget = PollSemaphore::new(conn.write_budget.clone());
        Self {
            shared,
            conn,
            headers,
            budget,
        }
    }

    /// The stream id chosen by the peer (odd for client-opened streams).
    pub fn id(&self) -> u32 {
        self.shared.id
    }

    /// The SYN_STREAM headers, e.g. `streamtype`, `port`, `requestid`.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Aborts the stream with RST_STREAM `status`; pending data in both directions is dropped.
    /// Does nothing if the stream already finished.
    pub fn reset(&self, status: RstStatus) {
        let discarded = {
            let mut inner = self.shared.lock();
            if inner.finished() {
                return;
            }
            inner.reset = Some(status);
            inner.wake();
            inner.discard()
        };
        self.shared.space.notify_one();
        self.conn.send(Frame::RstStream {
            stream_id: self.shared.id,
            status,
        });
        self.conn.credit_session(discarded);
        self.conn.release(self.shared.id);
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut inner = this.shared.lock();
        if let Some(status) = inner.reset {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                format!(
                    "SPDY stream {} was reset (status {})",
                    this.shared.id, status.0
                ),
            )));
        }
        if let Some(chunk) = inner.recv.front_mut() {
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            chunk.advance(n);
            if chunk.is_empty() {
                inner.recv.pop_front();
            }
            inner.buffered -= n;
            let mut stream_credit = None;
            if !inner.remote_closed {
                inner.unacked += n as u32;
                if inner.unacked >= WINDOW_SIZE / 2 {
                    stream_credit = Some(std::mem::take(&mut inner.unacked));
                }
            }
            drop(inner);
            this.shared.space.notify_one();
            if let Some(delta) = stream_credit {
                this.conn.send(Frame::WindowUpdate {
                    stream_id: this.shared.id,
                    delta,
                });
            }
            this.conn.credit_session(n);
            return Poll::Ready(Ok(()));
        }
        if inner.remote_closed {
            return Poll::Ready(Ok(()));
        }
        if inner.aborted {
            return Poll::Ready(Err(aborted()));
        }
        inner.read_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.writable()?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = buf.len().min(this.conn.config.max_data_frame);
        let Some(permit) = ready!(this.budget.poll_acquire_many(cx, n as u32)) else {
            return Poll::Ready(Err(aborted()));
        };
        // The stream may have been reset while waiting for budget.
        this.writable()?;
        this.conn.send_data(
            Frame::Data {
                stream_id: this.shared.id,
                fin: false,
                data: Bytes::copy_from_slice(&buf[..n]),
            },
            permit,
        );
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let finished = {
            let mut inner = this.shared.lock();
            if inner.local_closed || inner.reset.is_some() || inner.aborted {
                return Poll::Ready(Ok(()));
            }
            inner.local_closed = true;
            inner.finished()
        };
        this.conn.send(Frame::Data {
            stream_id: this.shared.id,
            fin: true,
            data: Bytes::new(),
        });
        if finished {
            this.conn.release(this.shared.id);
        }
        Poll::Ready(Ok(()))
    }
}

impl Stream {
    fn writable(&self) -> io::Result<()> {
        let inner = self.shared.lock();
        if let Some(status) = inner.reset {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                format!(
                    "SPDY stream {} was reset (status {})",
                    self.shared.id, status.0
                ),
            ));
        }
        if inner.aborted {
            return Err(aborted());
        }
        if inner.local_closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("SPDY stream {} is closed for writing", self.shared.id),
            ));
        }
        Ok(())
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.reset(RstStatus::CANCEL);
        // A finished stream may still hold a map entry if the peer's FIN came last.
        self.conn.release(self.shared.id);
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("id", &self.shared.id)
            .field("headers", &self.headers)
            .finish()
    }
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "SPDY connection closed before the stream finished",
    )
}
