//! Error types: [`FrameError`] for malformed input found by the pure codec, [`Error`] for the
//! reasons a whole connection ended.

use std::io;
use std::sync::Arc;

/// The peer sent bytes that are not valid SPDY/3.1. Every variant is a session-level
/// protocol error: the decoder cannot resynchronise, so the connection must be torn down
/// (the driver answers with GOAWAY `PROTOCOL_ERROR`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A control frame carried a version other than 3.
    #[error("unsupported SPDY version {0}")]
    UnsupportedVersion(u16),
    /// A control frame's length does not fit its type.
    #[error("{frame} frame has invalid length {length}")]
    InvalidLength {
        /// Frame type name, e.g. `"RST_STREAM"`.
        frame: &'static str,
        /// Length field from the frame header.
        length: u32,
    },
    /// A frame that must name a stream named stream 0.
    #[error("{0} frame has stream id 0")]
    ZeroStreamId(&'static str),
    /// A WINDOW_UPDATE carried a delta of 0.
    #[error("WINDOW_UPDATE for stream {0} has delta 0")]
    ZeroWindowDelta(u32),
    /// The zlib header stream could not be inflated or deflated.
    #[error("header compression: {0}")]
    Compression(String),
    /// The inflated header block is not a well-formed name/value block.
    #[error("malformed header block: {0}")]
    HeaderBlock(&'static str),
    /// The inflated header block is larger than the configured limit.
    #[error("header block larger than {0} bytes")]
    HeaderBlockTooLarge(usize),
}

/// Why a connection ended abnormally; returned by [`crate::Connection::closed`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The peer violated the protocol; a GOAWAY `PROTOCOL_ERROR` was sent.
    #[error("SPDY protocol error: {0}")]
    Protocol(#[from] FrameError),
    /// Reading or writing the underlying transport failed.
    #[error("SPDY transport error: {0}")]
    Io(Arc<io::Error>),
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::Io(Arc::new(err))
    }
}
