//! Remote command over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`): every binary
//! message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize. In
//! v5, the client's `ff 00` (CLOSE of channel 0) ends stdin; in v4 stdin ends with the
//! connection. The server answers pings (tungstenite queues the Pong), sends the status JSON
//! on channel 3 once the process exited and its output was delivered, then closes with 1000,
//! which is what ends kubectl's output streams.

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::io::{CopyToBytes, SinkWriter, StreamReader};
use tokio_util::sync::PollSender;

use crate::error::StreamError;
use crate::runtime::Process;
use crate::session::{self, ClientIo, TerminalSize};

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const STATUS: u8 = 3;
const RESIZE: u8 = 4;
/// v5: the CLOSE signal, followed by the channel being closed.
const CLOSE: u8 = 255;

/// How long the client has to answer our close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the client asked to be connected.
#[derive(Debug, Clone, Copy)]
pub struct Channels {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    /// `v5.channel.k8s.io` (stdin CLOSE signal) rather than v4.
    pub v5: bool,
}

/// Serves one exec/attach on an upgraded WebSocket: starts the process with `start`, runs
/// it, and reports `status(outcome)` on channel 3.
pub async fn serve<S, F>(
    ws: WebSocketStream<S>,
    channels: Channels,
    start: F,
    status: impl FnOnce(&Result<i32, StreamError>) -> serde_json::Value,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    F: Future<Output = Result<Process, StreamError>>,
{
    let (mut sink, stream) = ws.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Message>(16);
    let writer = tokio::spawn(async move {
        while let Some(message) = out_rx.recv().await {
            let closing = matches!(message, Message::Close(_));
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
    });
    let (stdin_tx, stdin_rx) = mpsc::channel::<Bytes>(8);
    let (resize_tx, resize_rx) = mpsc::channel::<TerminalSize>(4);
    let reader = tokio::spawn(read_loop(
        stream,
        channels.stdin.then_some(stdin_tx),
        channels.tty.then_some(resize_tx),
        channels.v5,
    ));
    let outcome = match start.await {
        Ok(process) => {
            let client = ClientIo {
                stdin: channels.stdin.then(|| stdin_reader(stdin_rx)),
                stdout: channels
                    .stdout
                    .then(|| channel_writer(out_tx.clone(), STDOUT)),
                stderr: channels
                    .stderr
                    .then(|| channel_writer(out_tx.clone(), STDERR)),
                resize: channels.tty.then_some(resize_rx),
            };
            session::run(process, client).await.0
        }
        Err(e) => Err(e),
    };
    let mut frame = vec![STATUS];
    frame.extend_from_slice(status(&outcome).to_string().as_bytes());
    let _ = out_tx.send(Message::Binary(frame.into())).await;
    let _ = out_tx
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        })))
        .await;
    drop(out_tx);
    let _ = writer.await;
    let abort = reader.abort_handle();
    if tokio::time::timeout(CLOSE_TIMEOUT, reader).await.is_err() {
        abort.abort();
    }
}

/// Demultiplexes the client's messages until it closes the connection.
async fn read_loop<St>(
    mut stream: St,
    mut stdin: Option<mpsc::Sender<Bytes>>,
    resize: Option<mpsc::Sender<TerminalSize>>,
    v5: bool,
) where
    St: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    while let Some(Ok(message)) = stream.next().await {
        let data = match message {
            Message::Binary(data) => data,
            Message::Close(_) => break,
            // Pings are answered by tungstenite; text frames belong to base64 protocols.
            _ => continue,
        };
        let Some((&channel, payload)) = data.split_first() else {
            continue;
        };
        match channel {
            STDIN if !payload.is_empty() => {
                if let Some(tx) = &stdin
                    && tx.send(data.slice(1..)).await.is_err()
                {
                    stdin = None;
                }
            }
            RESIZE => {
                if let Some(tx) = &resize {
                    match serde_json::from_slice::<TerminalSize>(payload) {
                        Ok(size) => {
                            let _ = tx.try_send(size);
                        }
                        Err(e) => tracing::debug!("bad resize message: {e}"),
                    }
                }
            }
            CLOSE if v5 && payload.first() == Some(&STDIN) => stdin = None,
            _ => {}
        }
    }
}

fn stdin_reader(rx: mpsc::Receiver<Bytes>) -> Box<dyn AsyncRead + Send + Unpin> {
    let chunks = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, io::Error>(b), rx))
    });
    Box::new(Box::pin(StreamReader::new(chunks)))
}

/// Output written here becomes binary messages on `channel`.
fn channel_writer(tx: mpsc::Sender<Message>, channel: u8) -> Box<dyn AsyncWrite + Send + Unpin> {
    let sink = PollSender::new(tx)
        .sink_map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
        .with(move |data: Bytes| {
            let mut frame = BytesMut::with_capacity(data.len() + 1);
            frame.extend_from_slice(&[channel]);
            frame.extend_from_slice(&data);
            futures::future::ready(Ok::<_, io::Error>(Message::Binary(frame.freeze())))
        });
    Box::new(Box::pin(SinkWriter::new(CopyToBytes::new(sink))))
}
