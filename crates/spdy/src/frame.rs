//! In-memory SPDY/3.1 frames and their status codes, independent of the wire encoding.

use bytes::Bytes;

use crate::headers::Headers;

/// Largest payload a frame's 24-bit length field can describe.
pub const MAX_FRAME_PAYLOAD: usize = (1 << 24) - 1;

/// Largest stream id (31 bits).
pub const MAX_STREAM_ID: u32 = 0x7fff_ffff;

/// One SPDY/3.1 frame. Stream ids and window deltas are 31-bit; the encoder masks the
/// reserved top bit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Opens a stream (type 1).
    SynStream(SynStream),
    /// Accepts a stream (type 2).
    SynReply {
        /// Stream being answered.
        stream_id: u32,
        /// FLAG_FIN: the replier will send nothing more.
        fin: bool,
        /// Reply headers (empty for Kubernetes streams).
        headers: Headers,
    },
    /// Aborts a stream (type 3).
    RstStream {
        /// Stream being reset.
        stream_id: u32,
        /// Why.
        status: RstStatus,
    },
    /// Connection parameters (type 4).
    Settings {
        /// FLAG_SETTINGS_CLEAR_SETTINGS.
        clear: bool,
        /// ID/value entries in wire order.
        entries: Vec<Setting>,
    },
    /// Liveness check (type 6); the receiver echoes the id back unchanged. Clients use odd
    /// ids, servers even ones.
    Ping(u32),
    /// Stops new streams (type 7).
    GoAway {
        /// Highest peer stream id the sender processed.
        last_good_stream_id: u32,
        /// Why.
        status: GoAwayStatus,
    },
    /// Extra headers for an open stream (type 8).
    Headers {
        /// Stream the headers belong to.
        stream_id: u32,
        /// FLAG_FIN: half-closes the sender's side.
        fin: bool,
        /// The headers.
        headers: Headers,
    },
    /// Grants send credit (type 9); stream 0 is the SPDY/3.1 session window.
    WindowUpdate {
        /// Stream, or 0 for the whole session.
        stream_id: u32,
        /// Bytes of credit, 1..=2^31-1.
        delta: u32,
    },
    /// Stream payload.
    Data {
        /// Stream the bytes belong to.
        stream_id: u32,
        /// FLAG_FIN: the sender's last frame on this stream.
        fin: bool,
        /// Payload, at most [`MAX_FRAME_PAYLOAD`] bytes.
        data: Bytes,
    },
}

/// Fields of a SYN_STREAM frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynStream {
    /// New stream id: odd when the client opens it, even when the server does.
    pub stream_id: u32,
    /// Stream this one is associated with (server push), usually 0.
    pub associated_stream_id: u32,
    /// Priority 0 (highest) ..= 7.
    pub priority: u8,
    /// Credential slot (SPDY/3; always 0 in 3.1).
    pub slot: u8,
    /// FLAG_FIN: the opener sends no data.
    pub fin: bool,
    /// FLAG_UNIDIRECTIONAL: the receiver must not reply or send.
    pub unidirectional: bool,
    /// Request headers, e.g. `streamtype`, `port`, `requestid`.
    pub headers: Headers,
}

/// One SETTINGS entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// FLAG_SETTINGS_PERSIST_VALUE (1) / FLAG_SETTINGS_PERSISTED (2).
    pub flags: u8,
    /// 24-bit setting id, e.g. [`Setting::INITIAL_WINDOW_SIZE`].
    pub id: u32,
    /// Value.
    pub value: u32,
}

impl Setting {
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub const MAX_CONCURRENT_STREAMS: u32 = 4;
    /// SETTINGS_INITIAL_WINDOW_SIZE.
    pub const INITIAL_WINDOW_SIZE: u32 = 7;
}

/// RST_STREAM status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RstStatus(pub u32);

impl RstStatus {
    /// PROTOCOL_ERROR.
    pub const PROTOCOL_ERROR: Self = Self(1);
    /// INVALID_STREAM: frame for a stream that is not open.
    pub const INVALID_STREAM: Self = Self(2);
    /// REFUSED_STREAM: the stream was not processed (e.g. after GOAWAY).
    pub const REFUSED_STREAM: Self = Self(3);
    /// UNSUPPORTED_VERSION.
    pub const UNSUPPORTED_VERSION: Self = Self(4);
    /// CANCEL: the stream is no longer needed.
    pub const CANCEL: Self = Self(5);
    /// INTERNAL_ERROR.
    pub const INTERNAL_ERROR: Self = Self(6);
    /// FLOW_CONTROL_ERROR.
    pub const FLOW_CONTROL_ERROR: Self = Self(7);
    /// STREAM_IN_USE: a second SYN_STREAM for a live stream.
    pub const STREAM_IN_USE: Self = Self(8);
    /// STREAM_ALREADY_CLOSED: data after FIN.
    pub const STREAM_ALREADY_CLOSED: Self = Self(9);
    /// FRAME_TOO_LARGE.
    pub const FRAME_TOO_LARGE: Self = Self(11);
}

/// GOAWAY status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoAwayStatus(pub u32);

impl GoAwayStatus {
    /// Normal shutdown.
    pub const OK: Self = Self(0);
    /// The peer violated the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1);
    /// The sender failed internally.
    pub const INTERNAL_ERROR: Self = Self(2);
}
