//! Server-side SPDY/3.1, as spoken by `kubectl port-forward` (always) and by kubectl's
//! exec/attach/cp when WebSocket is unavailable.
//!
//! * [`FrameDecoder`] / [`FrameEncoder`]: pure, incremental codec for every SPDY/3.1 frame,
//!   with header blocks compressed by zlib primed with the SPDY/3 [`DICTIONARY`] (one
//!   context per direction per connection).
//! * [`Connection::server`]: a tokio driver over any `AsyncRead + AsyncWrite` that accepts
//!   peer-opened streams ([`Incoming::accept`]), answers SYN_REPLY and PING, returns window
//!   credit, honours FIN, RST_STREAM and GOAWAY. Each [`Stream`] exposes its headers and is
//!   itself `AsyncRead + AsyncWrite`.
//! * [`message_io`]: turns WebSocket binary messages into the byte stream the driver reads.
//!
//! # Transports
//!
//! * Raw: kubectl sends `POST …/portforward` (or `…/exec`, `…/attach`) with
//!   `Connection: Upgrade`, `Upgrade: SPDY/3.1` and one or more `X-Stream-Protocol-Version`
//!   headers. Answer `101 Switching Protocols` with `Connection: Upgrade`,
//!   `Upgrade: SPDY/3.1` and the chosen `X-Stream-Protocol-Version`, then hand the upgraded
//!   IO (`hyper::upgrade::on`) to [`Connection::server`].
//! * Tunnelled (kubectl ≥ 1.31 port-forward): a WebSocket upgrade offering subprotocol
//!   `SPDY/3.1+portforward.k8s.io`; accept that subprotocol and feed the binary messages
//!   through [`message_io`].
//!
//! The client opens every stream; the server never does. kubectl (Go's spdystream) waits
//! for each SYN_REPLY (sent automatically here), pings every few seconds (answered here),
//! and does no flow control of its own (see [`Connection`]'s module notes).
//!
//! # Port-forward (`portforward.k8s.io`)
//!
//! Per accepted local connection kubectl allocates a `requestid` (0, 1, 2, …) and opens two
//! streams, both carrying `port` (the pod port) and `requestid`:
//!
//! 1. `streamtype: error` — kubectl half-closes it at once and reads it to EOF. Anything the
//!    server writes there is shown as `an error occurred forwarding L -> P: <text>`.
//! 2. `streamtype: data` — opened after the error stream's SYN_REPLY; bytes are copied both
//!    ways between it and the pod's port. kubectl sends FIN when the local client stops
//!    sending; the server sends FIN (`shutdown()`) when the pod side closes.
//!
//! The server pairs the two streams by `requestid` (kubelet waits up to 30 s for the pair),
//! dials the port, and on failure writes the dial error to the error stream and closes both.
//! Several requestids run concurrently on one connection, one pair per local connection.
//!
//! # Remote command: exec / attach (`v4.channel.k8s.io` …)
//!
//! kubectl offers `X-Stream-Protocol-Version` values `v5.channel.k8s.io`,
//! `v4.channel.k8s.io`, `v3.channel.k8s.io`, `v2.channel.k8s.io` and `channel.k8s.io`; the
//! server picks one and echoes it (kubelet serves v4 and older; over SPDY v5 behaves as v4,
//! stdin EOF being a FIN instead of v5's CLOSE signal). Streams are told apart by the
//! `streamtype` header, one stream each, opened only for what the request asked for:
//!
//! | `streamtype` | direction | content |
//! |---|---|---|
//! | `error`  | server → client | v1/v2: error text; v4/v5: a JSON `metav1.Status`, e.g. `{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: …","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}`; success is `{"metadata":{},"status":"Success"}` or nothing |
//! | `stdin`  | client → server | raw bytes; FIN at stdin EOF |
//! | `stdout` | server → client | raw bytes; FIN when done |
//! | `stderr` | server → client | raw bytes (absent with a TTY) |
//! | `resize` | client → server | v3+ with a TTY: a JSON object per size change, `{"Width":80,"Height":24}` |
//!
//! kubectl opens the error stream first and the others after, and waits for all SYN_REPLYs
//! before streaming. The server waits for every expected stream (kubelet: 30 s), runs the
//! command, writes stdout/stderr, sends the status on the error stream, then closes the
//! streams; kubectl exits when the error stream ends.

mod codec;
mod compression;
mod connection;
mod dictionary;
mod error;
mod frame;
mod headers;
mod message_io;
mod stream;

pub use codec::{DEFAULT_MAX_HEADER_BLOCK, FrameDecoder, FrameEncoder, VERSION};
pub use connection::{Config, Connection, Incoming, WINDOW_SIZE};
pub use dictionary::{DICTIONARY, DICTIONARY_LEN};
pub use error::{Error, FrameError};
pub use frame::{
    Frame, GoAwayStatus, MAX_FRAME_PAYLOAD, MAX_STREAM_ID, RstStatus, Setting, SynStream,
};
pub use headers::Headers;
pub use message_io::{MessageIo, message_io};
pub use stream::Stream;
