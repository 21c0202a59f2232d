//! Byte-stream adapter for SPDY tunnelled in WebSocket binary messages.
//!
//! Since kubectl 1.31, `port-forward` upgrades to WebSocket with subprotocol
//! `SPDY/3.1+portforward.k8s.io` and sends the SPDY byte stream as binary messages, split at
//! arbitrary points (often a few bytes per message). [`message_io`] joins a stream of
//! incoming message payloads and a sink of outgoing ones into one `AsyncRead + AsyncWrite`
//! that [`crate::Connection::server`] accepts; each write becomes one outgoing message.
//!
//! With axum, map `Message::Binary(b)` to `Ok(b)`, drop Ping/Pong/Text, end the stream on
//! `Message::Close`, and wrap outgoing `Bytes` as `Message::Binary`; convert errors into
//! `std::io::Error`.

use bytes::Bytes;
use futures::{Sink, Stream};
use tokio::io::Join;
use tokio_util::io::{CopyToBytes, SinkWriter, StreamReader};

/// The transport returned by [`message_io`].
pub type MessageIo<R, W> = Join<StreamReader<R, Bytes>, SinkWriter<CopyToBytes<W>>>;

/// Joins message payloads read from `incoming` and written to `outgoing` into one byte
/// stream. Shutting the result down closes `outgoing`.
pub fn message_io<R, W, E>(incoming: R, outgoing: W) -> MessageIo<R, W>
where
    R: Stream<Item = Result<Bytes, E>>,
    W: Sink<Bytes, Error = E>,
    E: Into<std::io::Error>,
{
    tokio::io::join(
        StreamReader::new(incoming),
        SinkWriter::new(CopyToBytes::new(outgoing)),
    )
}
