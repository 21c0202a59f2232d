//! Server side of a SPDY/3.1 connection driven by tokio: a reader task decodes frames and
//! routes them to [`Stream`]s, a writer task owns the transport's write half and the
//! outgoing header compression context.
//!
//! Flow control: every stream and the session start with the 64 KiB window of SPDY/3.1. The
//! peer's data is buffered up to one window per stream; reading it sends WINDOW_UPDATE for
//! the stream and for the session (stream 0) once half a window was consumed. A peer that
//! ignores windows (spdystream, i.e. kubectl, has no flow control at all) is slowed down
//! instead: the reader task stops reading the transport while a stream's buffer is full.
//! For the same reason outgoing data is *not* held back by the peer's window — spdystream
//! never grants credit — so WINDOW_UPDATE and SETTINGS from the peer are accepted and
//! ignored; outgoing data is bounded only by [`Config::write_budget`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::codec::{DEFAULT_MAX_HEADER_BLOCK, FrameDecoder, FrameEncoder};
use crate::error::Error;
use crate::frame::{Frame, GoAwayStatus, RstStatus, SynStream};
use crate::headers::Headers;
use crate::stream::{Stream, StreamShared};

/// Initial SPDY/3.1 window of every stream and of the session, in bytes.
pub const WINDOW_SIZE: u32 = 64 * 1024;

/// Tuning knobs of a connection; [`Config::default`] suits Kubernetes streaming.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest DATA payload this side sends (writes are split). Default 32 KiB.
    pub max_data_frame: usize,
    /// Bytes of DATA that may wait in the writer queue before writes block. Default 256 KiB;
    /// raised to `max_data_frame` if smaller.
    pub write_budget: usize,
    /// Streams that may wait for [`Incoming::accept`] before the reader stops. Default 16.
    pub accept_backlog: usize,
    /// Largest inflated header block accepted. Default 256 KiB.
    pub max_header_block: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_data_frame: 32 * 1024,
            write_budget: 256 * 1024,
            accept_backlog: 16,
            max_header_block: DEFAULT_MAX_HEADER_BLOCK,
        }
    }
}

/// Handle on a running connection. Cloning is cheap; dropping it does not close anything.
#[derive(Clone)]
pub struct Connection {
    shared: Arc<ConnShared>,
    done: watch::Receiver<Option<Result<(), Error>>>,
}

/// Streams opened by the peer, in the order their SYN_STREAM arrived.
pub struct Incoming {
    streams: mpsc::Receiver<Stream>,
}

impl Incoming {
    /// The next peer-opened stream; `None` once the peer sent GOAWAY, [`Connection::go_away`]
    /// was called, or the connection ended.
    pub async fn accept(&mut self) -> Option<Stream> {
        self.streams.recv().await
    }
}

impl Connection {
    /// Starts serving `io` with the default [`Config`]. Must be called inside a tokio runtime.
    pub fn server<T>(io: T) -> (Connection, Incoming)
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        Self::server_with_config(io, Config::default())
    }

    /// Starts serving `io`: spawns the reader and writer tasks and returns the handle plus
    /// the stream of peer-opened streams.
    pub fn server_with_config<T>(io: T, config: Config) -> (Connection, Incoming)
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (stream_tx, stream_rx) = mpsc::channel(config.accept_backlog.max(1));
        let budget = config.write_budget.max(config.max_data_frame);
        let shared = Arc::new(ConnShared {
            write_budget: Arc::new(Semaphore::new(budget)),
            config,
            state: Mutex::new(ConnState {
                streams: HashMap::new(),
                last_peer_stream: 0,
                session_unacked: 0,
                incoming: Some(stream_tx),
            }),
            outbound: out_tx,
            cancel: CancellationToken::new(),
        });
        let (done_tx, done_rx) = watch::channel(None);
        tokio::spawn(drive(shared.clone(), io, out_rx, done_tx));
        (
            Connection {
                shared,
                done: done_rx,
            },
            Incoming { streams: stream_rx },
        )
    }

    /// Sends GOAWAY `OK` and refuses streams opened from now on; open streams go on.
    pub fn go_away(&self) {
        self.shared.go_away(GoAwayStatus::OK);
    }

    /// Sends GOAWAY `OK`, writes out what is queued and shuts the transport down. Streams
    /// still open read and write as `ConnectionAborted`.
    pub fn close(&self) {
        self.go_away();
        self.shared.cancel.cancel();
    }

    /// Waits until the connection has ended: `Ok` after the peer closed the transport or
    /// [`close`](Self::close), otherwise the protocol or transport error that ended it.
    pub async fn closed(&self) -> Result<(), Error> {
        let mut done = self.done.clone();
        let ended = done
            .wait_for(Option::is_some)
            .await
            .map(|result| result.clone());
        match ended {
            Ok(Some(result)) => result,
            _ => Err(std::io::Error::other("SPDY connection task ended unexpectedly").into()),
        }
    }
}

/// State shared by the tasks, the [`Connection`] handle and every [`Stream`].
pub(crate) struct ConnShared {
    pub(crate) config: Config,
    pub(crate) write_budget: Arc<Semaphore>,
    state: Mutex<ConnState>,
    outbound: mpsc::UnboundedSender<Outbound>,
    cancel: CancellationToken,
}

struct ConnState {
    streams: HashMap<u32, Arc<StreamShared>>,
    /// Highest stream id the peer opened (for GOAWAY and id validation).
    last_peer_stream: u32,
    /// Bytes consumed session-wide not yet returned as window credit.
    session_unacked: u32,
    /// Where new streams go; `None` once no more streams are accepted.
    incoming: Option<mpsc::Sender<Stream>>,
}

enum Outbound {
    /// A frame; a DATA frame carries its share of the write budget until it is written.
    Frame(Frame, Option<OwnedSemaphorePermit>),
    /// Flush and shut the transport down.
    Shutdown,
}

impl ConnShared {
    fn state(&self) -> MutexGuard<'_, ConnState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a frame; silently dropped once the writer has stopped.
    pub(crate) fn send(&self, frame: Frame) {
        let _ = self.outbound.send(Outbound::Frame(frame, None));
    }

    pub(crate) fn send_data(&self, frame: Frame, permit: OwnedSemaphorePermit) {
        let _ = self.outbound.send(Outbound::Frame(frame, Some(permit)));
    }

    /// Forgets a finished stream.
    pub(crate) fn release(&self, id: u32) {
        self.state().streams.remove(&id);
    }

    /// Returns `bytes` of session window to the peer, batched to half a window.
    pub(crate) fn credit_session(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let delta = {
            let mut state = self.state();
            state.session_unacked = state.session_unacked.saturating_add(bytes as u32);
            if state.session_unacked < WINDOW_SIZE / 2 {
                return;
            }
            std::mem::take(&mut state.session_unacked)
        };
        self.send(Frame::WindowUpdate {
            stream_id: 0,
            delta,
        });
    }

    fn go_away(&self, status: GoAwayStatus) {
        let last_good_stream_id = {
            let mut state = self.state();
            state.incoming = None;
            state.last_peer_stream
        };
        self.send(Frame::GoAway {
            last_good_stream_id,
            status,
        });
    }

    /// Marks every open stream aborted and stops accepting; called once the reader ended.
    fn abort_all(&self) {
        let streams: Vec<_> = {
            let mut state = self.state();
            state.incoming = None;
            state.streams.drain().map(|(_, s)| s).collect()
        };
        for stream in streams {
            {
                let mut inner = stream.lock();
                inner.aborted = true;
                inner.wake();
            }
            stream.space.notify_one();
        }
        self.write_budget.close();
    }
}

/// Runs the connection to its end and publishes the outcome.
async fn drive<T>(
    shared: Arc<ConnShared>,
    io: T,
    out_rx: mpsc::UnboundedReceiver<Outbound>,
    done: watch::Sender<Option<Result<(), Error>>>,
) where
    T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (read_half, write_half) = tokio::io::split(io);
    let writer = tokio::spawn(write_loop(write_half, out_rx, shared.cancel.clone()));
    let read_result = tokio::select! {
        result = read_loop(&shared, read_half) => result,
        () = shared.cancel.cancelled() => Ok(()),
    };
    if let Err(Error::Protocol(err)) = &read_result {
        tracing::debug!(error = %err, "SPDY protocol error, sending GOAWAY");
        shared.go_away(GoAwayStatus::PROTOCOL_ERROR);
    }
    shared.abort_all();
    let _ = shared.outbound.send(Outbound::Shutdown);
    let write_result = match writer.await {
        Ok(result) => result,
        Err(join) => Err(std::io::Error::other(join.to_string()).into()),
    };
    let _ = done.send(Some(read_result.and(write_result)));
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut io: W,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
    cancel: CancellationToken,
) -> Result<(), Error> {
    let result = write_frames(&mut io, &mut rx).await;
    // Make a transport failure end the reader too.
    cancel.cancel();
    result
}

async fn write_frames<W: AsyncWrite + Unpin>(
    io: &mut W,
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
) -> Result<(), Error> {
    const BATCH: usize = 64 * 1024;
    let mut encoder = FrameEncoder::new();
    let mut buf = Vec::with_capacity(BATCH);
    let mut permits = Vec::new();
    while let Some(mut next) = rx.recv().await {
        let mut shutdown = false;
        loop {
            match next {
                Outbound::Frame(frame, permit) => {
                    encoder.encode(&frame, &mut buf)?;
                    permits.extend(permit);
                }
                Outbound::Shutdown => {
                    shutdown = true;
                    break;
                }
            }
            if buf.len() >= BATCH {
                break;
            }
            match rx.try_recv() {
                Ok(more) => next = more,
                Err(_) => break,
            }
        }
        io.write_all(&buf).await?;
        io.flush().await?;
        buf.clear();
        permits.clear();
        if shutdown {
            io.shutdown().await?;
            return Ok(());
        }
    }
    Ok(())
}

async fn read_loop<R: AsyncRead + Unpin>(shared: &Arc<ConnShared>, mut io: R) -> Result<(), Error> {
    let mut decoder = FrameDecoder::with_max_header_block(shared.config.max_header_block);
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        while let Some(frame) = decoder.decode()? {
            handle_frame(shared, frame).await;
        }
        let n = io.read(&mut buf).await?;
        if n == 0 {
            if decoder.buffered() > 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "SPDY transport closed in the middle of a frame",
                )
                .into());
            }
            return Ok(());
        }
        decoder.push(&buf[..n]);
    }
}

async fn handle_frame(shared: &Arc<ConnShared>, frame: Frame) {
    match frame {
        Frame::SynStream(syn) => open_stream(shared, syn).await,
        Frame::Data {
            stream_id,
            fin,
            data,
        } => deliver_data(shared, stream_id, fin, data).await,
        Frame::Headers { stream_id, fin, .. } => {
            if fin {
                remote_fin(shared, stream_id);
            }
        }
        Frame::RstStream { stream_id, status } => {
            let stream = shared.state().streams.remove(&stream_id);
            if let Some(stream) = stream {
                let discarded = {
                    let mut inner = stream.lock();
                    if inner.reset.is_none() {
                        inner.reset = Some(status);
                    }
                    inner.wake();
                    inner.discard()
                };
                stream.space.notify_one();
                shared.credit_session(discarded);
            }
        }
        // Odd ids are the peer's pings; even ones would answer our pings, and we send none.
        Frame::Ping(id) if !id.is_multiple_of(2) => shared.send(Frame::Ping(id)),
        Frame::GoAway { .. } => shared.state().incoming = None,
        // We never open streams, so a SYN_REPLY can only be stray. Windows and settings
        // concern our sending, which is not window-limited (see the module docs).
        Frame::Ping(_)
        | Frame::SynReply { .. }
        | Frame::Settings { .. }
        | Frame::WindowUpdate { .. } => {}
    }
}

async fn open_stream(shared: &Arc<ConnShared>, syn: SynStream) {
    let id = syn.stream_id;
    let refusal = {
        let mut state = shared.state();
        if id.is_multiple_of(2) || id <= state.last_peer_stream {
            Some(RstStatus::PROTOCOL_ERROR)
        } else {
            state.last_peer_stream = id;
            state
                .incoming
                .is_none()
                .then_some(RstStatus::REFUSED_STREAM)
        }
    };
    if let Some(status) = refusal {
        shared.send(Frame::RstStream {
            stream_id: id,
            status,
        });
        return;
    }
    let stream = Arc::new(StreamShared::new(id, syn.fin, syn.unidirectional));
    let incoming = {
        let mut state = shared.state();
        state.streams.insert(id, stream.clone());
        state.incoming.clone()
    };
    if !syn.unidirectional {
        shared.send(Frame::SynReply {
            stream_id: id,
            fin: false,
            headers: Headers::new(),
        });
    }
    let handle = Stream::new(stream, shared.clone(), syn.headers);
    if let Some(incoming) = incoming {
        // On failure the handle is dropped, which resets the stream with CANCEL.
        let _ = incoming.send(handle).await;
    }
}

async fn deliver_data(shared: &Arc<ConnShared>, id: u32, fin: bool, data: bytes::Bytes) {
    let len = data.len();
    let stream = shared.state().streams.get(&id).cloned();
    let Some(stream) = stream else {
        shared.credit_session(len);
        let never_opened = id > shared.state().last_peer_stream;
        if never_opened {
            shared.send(Frame::RstStream {
                stream_id: id,
                status: RstStatus::INVALID_STREAM,
            });
        }
        return;
    };
    let mut data = Some(data);
    loop {
        let space = stream.space.notified();
        tokio::pin!(space);
        space.as_mut().enable();
        {
            let mut inner = stream.lock();
            if inner.finished() || inner.remote_closed {
                let already_closed = inner.remote_closed && inner.reset.is_none() && !inner.aborted;
                drop(inner);
                shared.credit_session(len);
                if already_closed {
                    stream.lock().reset = Some(RstStatus::STREAM_ALREADY_CLOSED);
                    shared.send(Frame::RstStream {
                        stream_id: id,
                        status: RstStatus::STREAM_ALREADY_CLOSED,
                    });
                    shared.release(id);
                }
                return;
            }
            if inner.buffered == 0 || inner.buffered + len <= WINDOW_SIZE as usize {
                if let Some(data) = data.take().filter(|d| !d.is_empty()) {
                    inner.push(data);
                }
                if fin {
                    inner.remote_closed = true;
                    inner.wake();
                }
                let finished = inner.finished();
                drop(inner);
                if finished {
                    shared.release(id);
                }
                return;
            }
        }
        space.await;
    }
}

fn remote_fin(shared: &Arc<ConnShared>, id: u32) {
    let stream = shared.state().streams.get(&id).cloned();
    if let Some(stream) = stream {
        let finished = {
            let mut inner = stream.lock();
            inner.remote_closed = true;
            inner.wake();
            inner.finished()
        };
        if finished {
            shared.release(id);
        }
    }
}
