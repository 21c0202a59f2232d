//! Pure, incremental SPDY/3.1 frame codec: [`FrameDecoder`] turns arbitrarily split input
//! bytes into [`Frame`]s and [`FrameEncoder`] serialises them. Each owns the header
//! compression context of its direction, so one connection uses exactly one of each.

use bytes::{Buf, Bytes, BytesMut};

use crate::compression::{HeaderCompressor, HeaderDecompressor};
use crate::error::FrameError;
use crate::frame::{
    Frame, GoAwayStatus, MAX_FRAME_PAYLOAD, MAX_STREAM_ID, RstStatus, Setting, SynStream,
};
use crate::headers::Headers;

/// SPDY version carried in every control frame.
pub const VERSION: u16 = 3;

/// Default bound on one inflated header block; Kubernetes blocks are well under 1 KiB.
pub const DEFAULT_MAX_HEADER_BLOCK: usize = 256 * 1024;

const TYPE_SYN_STREAM: u16 = 1;
const TYPE_SYN_REPLY: u16 = 2;
const TYPE_RST_STREAM: u16 = 3;
const TYPE_SETTINGS: u16 = 4;
const TYPE_PING: u16 = 6;
const TYPE_GOAWAY: u16 = 7;
const TYPE_HEADERS: u16 = 8;
const TYPE_WINDOW_UPDATE: u16 = 9;

const FLAG_FIN: u8 = 0x01;
const FLAG_UNIDIRECTIONAL: u8 = 0x02;
const FLAG_CLEAR_SETTINGS: u8 = 0x01;

/// Incremental decoder for the frames one peer sends.
///
/// Feed bytes with [`push`](Self::push) in whatever pieces they arrive, then call
/// [`decode`](Self::decode) until it returns `Ok(None)`. Control frames of unknown types are
/// skipped, as the spec requires. After an error the decoder stays failed: the header
/// compression context can no longer be trusted.
pub struct FrameDecoder {
    buf: BytesMut,
    headers: HeaderDecompressor,
    max_header_block: usize,
    failed: Option<FrameError>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder with the [`DEFAULT_MAX_HEADER_BLOCK`] limit.
    pub fn new() -> Self {
        Self::with_max_header_block(DEFAULT_MAX_HEADER_BLOCK)
    }

    /// A decoder refusing inflated header blocks larger than `limit` bytes.
    pub fn with_max_header_block(limit: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            headers: HeaderDecompressor::new(),
            max_header_block: limit,
            failed: None,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet decoded (a partial frame).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `Ok(None)` if more input is needed.
    pub fn decode(&mut self) -> Result<Option<Frame>, FrameError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = self.decode_inner();
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    fn decode_inner(&mut self) -> Result<Option<Frame>, FrameError> {
        loop {
            let Some(head) = self.buf.first_chunk::<8>() else {
                return Ok(None);
            };
            let word0 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            let flags = head[4];
            let length = u32::from_be_bytes([0, head[5], head[6], head[7]]);
            let control = word0 & 0x8000_0000 != 0;
            if control {
                // Reject a wrong version before waiting for a payload of up to 16 MiB.
                let version = ((word0 >> 16) & 0x7fff) as u16;
                if version != VERSION {
                    return Err(FrameError::UnsupportedVersion(version));
                }
            }
            let total = 8 + length as usize;
            if self.buf.len() < total {
                self.buf.reserve(total - self.buf.len());
                return Ok(None);
            }
            let mut payload = self.buf.split_to(total);
            payload.advance(8);
            let payload = payload.freeze();
            if !control {
                let stream_id = word0 & MAX_STREAM_ID;
                if stream_id == 0 {
                    return Err(FrameError::ZeroStreamId("DATA"));
                }
                return Ok(Some(Frame::Data {
                    stream_id,
                    fin: flags & FLAG_FIN != 0,
                    data: payload,
                }));
            }
            if let Some(frame) = self.control((word0 & 0xffff) as u16, flags, payload)? {
                return Ok(Some(frame));
            }
        }
    }

    fn control(
        &mut self,
        frame_type: u16,
        flags: u8,
        payload: Bytes,
    ) -> Result<Option<Frame>, FrameError> {
        let length = payload.len() as u32;
        let word = |i: usize| {
            u32::from_be_bytes([payload[i], payload[i + 1], payload[i + 2], payload[i + 3]])
        };
        let fin = flags & FLAG_FIN != 0;
        let frame = match frame_type {
            TYPE_SYN_STREAM => {
                check_min("SYN_STREAM", length, 10)?;
                let stream_id = nonzero("SYN_STREAM", word(0) & MAX_STREAM_ID)?;
                let headers = self.header_block(&payload[10..])?;
                Frame::SynStream(SynStream {
                    stream_id,
                    associated_stream_id: word(4) & MAX_STREAM_ID,
                    priority: payload[8] >> 5,
                    slot: payload[9],
                    fin,
                    unidirectional: flags & FLAG_UNIDIRECTIONAL != 0,
                    headers,
                })
            }
            TYPE_SYN_REPLY => {
                check_min("SYN_REPLY", length, 4)?;
                let stream_id = nonzero("SYN_REPLY", word(0) & MAX_STREAM_ID)?;
                let headers = self.header_block(&payload[4..])?;
                Frame::SynReply {
                    stream_id,
                    fin,
                    headers,
                }
            }
            TYPE_HEADERS => {
                check_min("HEADERS", length, 4)?;
                let stream_id = nonzero("HEADERS", word(0) & MAX_STREAM_ID)?;
                let headers = self.header_block(&payload[4..])?;
                Frame::Headers {
                    stream_id,
                    fin,
                    headers,
                }
            }
            TYPE_RST_STREAM => {
                check_exact("RST_STREAM", length, 8)?;
                Frame::RstStream {
                    stream_id: nonzero("RST_STREAM", word(0) & MAX_STREAM_ID)?,
                    status: RstStatus(word(4)),
                }
            }
            TYPE_SETTINGS => {
                check_min("SETTINGS", length, 4)?;
                let count = word(0);
                if u64::from(length) != 4 + 8 * u64::from(count) {
                    return Err(FrameError::InvalidLength {
                        frame: "SETTINGS",
                        length,
                    });
                }
                let entries = (0..count as usize)
                    .map(|i| {
                        let id_word = word(4 + 8 * i);
                        Setting {
                            flags: (id_word >> 24) as u8,
                            id: id_word & 0x00ff_ffff,
                            value: word(8 + 8 * i),
                        }
                    })
                    .collect();
                Frame::Settings {
                    clear: flags & FLAG_CLEAR_SETTINGS != 0,
                    entries,
                }
            }
            TYPE_PING => {
                check_exact("PING", length, 4)?;
                Frame::Ping(word(0))
            }
            TYPE_GOAWAY => {
                check_exact("GOAWAY", length, 8)?;
                Frame::GoAway {
                    last_good_stream_id: word(0) & MAX_STREAM_ID,
                    status: GoAwayStatus(word(4)),
                }
            }
            TYPE_WINDOW_UPDATE => {
                check_exact("WINDOW_UPDATE", length, 8)?;
                let stream_id = word(0) & MAX_STREAM_ID;
                let delta = word(4) & MAX_STREAM_ID;
                if delta == 0 {
                    return Err(FrameError::ZeroWindowDelta(stream_id));
                }
                Frame::WindowUpdate { stream_id, delta }
            }
            _ => return Ok(None),
        };
        Ok(Some(frame))
    }

    fn header_block(&mut self, compressed: &[u8]) -> Result<Headers, FrameError> {
        if compressed.is_empty() {
            return Ok(Headers::new());
        }
        let block = self.headers.decompress(compressed, self.max_header_block)?;
        Headers::read_block(&block)
    }
}

fn check_min(frame: &'static str, length: u32, min: u32) -> Result<(), FrameError> {
    if length < min {
        return Err(FrameError::InvalidLength { frame, length });
    }
    Ok(())
}

fn check_exact(frame: &'static str, length: u32, want: u32) -> Result<(), FrameError> {
    if length != want {
        return Err(FrameError::InvalidLength { frame, length });
    }
    Ok(())
}

fn nonzero(frame: &'static str, stream_id: u32) -> Result<u32, FrameError> {
    if stream_id == 0 {
        return Err(FrameError::ZeroStreamId(frame));
    }
    Ok(stream_id)
}

/// Serialiser for the frames one peer sends.
pub struct FrameEncoder {
    headers: HeaderCompressor,
    block: Vec<u8>,
}

impl Default for FrameEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameEncoder {
    /// A fresh encoder (new header compression context).
    pub fn new() -> Self {
        Self {
            headers: HeaderCompressor::new(),
            block: Vec::new(),
        }
    }

    /// Appends the wire form of `frame` to `out`. Fails only if the payload exceeds the
    /// 24-bit length field; `out` is then left as it was, but if the frame carried headers
    /// the compression context has advanced and the connection must not go on.
    pub fn encode(&mut self, frame: &Frame, out: &mut Vec<u8>) -> Result<(), FrameError> {
        let start = out.len();
        let result = self.encode_inner(frame, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn encode_inner(&mut self, frame: &Frame, out: &mut Vec<u8>) -> Result<(), FrameError> {
        let start = out.len();
        let (name, flags) = match frame {
            Frame::Data {
                stream_id,
                fin,
                data,
            } => {
                out.extend_from_slice(&(stream_id & MAX_STREAM_ID).to_be_bytes());
                out.extend_from_slice(&[0; 4]);
                out.extend_from_slice(data);
                ("DATA", fin_flag(*fin))
            }
            Frame::SynStream(syn) => {
                control_head(out, TYPE_SYN_STREAM);
                out.extend_from_slice(&(syn.stream_id & MAX_STREAM_ID).to_be_bytes());
                out.extend_from_slice(&(syn.associated_stream_id & MAX_STREAM_ID).to_be_bytes());
                out.extend_from_slice(&[syn.priority << 5, syn.slot]);
                self.header_block(&syn.headers, out)?;
                let unidirectional = if syn.unidirectional {
                    FLAG_UNIDIRECTIONAL
                } else {
                    0
                };
                ("SYN_STREAM", fin_flag(syn.fin) | unidirectional)
            }
            Frame::SynReply {
                stream_id,
                fin,
                headers,
            } => {
                control_head(out, TYPE_SYN_REPLY);
                out.extend_from_slice(&(stream_id & MAX_STREAM_ID).to_be_bytes());
                self.header_block(headers, out)?;
                ("SYN_REPLY", fin_flag(*fin))
            }
            Frame::Headers {
                stream_id,
                fin,
                headers,
            } => {
                control_head(out, TYPE_HEADERS);
                out.extend_from_slice(&(stream_id & MAX_STREAM_ID).to_be_bytes());
                self.header_block(headers, out)?;
                ("HEADERS", fin_flag(*fin))
            }
            Frame::RstStream { stream_id, status } => {
                control_head(out, TYPE_RST_STREAM);
                out.extend_from_slice(&(stream_id & MAX_STREAM_ID).to_be_bytes());
                out.extend_from_slice(&status.0.to_be_bytes());
                ("RST_STREAM", 0)
            }
            Frame::Settings { clear, entries } => {
                control_head(out, TYPE_SETTINGS);
                out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
                for entry in entries {
                    let id_word = (u32::from(entry.flags) << 24) | (entry.id & 0x00ff_ffff);
                    out.extend_from_slice(&id_word.to_be_bytes());
                    out.extend_from_slice(&entry.value.to_be_bytes());
                }
                ("SETTINGS", if *clear { FLAG_CLEAR_SETTINGS } else { 0 })
            }
            Frame::Ping(id) => {
                control_head(out, TYPE_PING);
                out.extend_from_slice(&id.to_be_bytes());
                ("PING", 0)
            }
            Frame::GoAway {
                last_good_stream_id,
                status,
            } => {
                control_head(out, TYPE_GOAWAY);
                out.extend_from_slice(&(last_good_stream_id & MAX_STREAM_ID).to_be_bytes());
                out.extend_from_slice(&status.0.to_be_bytes());
                ("GOAWAY", 0)
            }
            Frame::WindowUpdate { stream_id, delta } => {
                control_head(out, TYPE_WINDOW_UPDATE);
                out.extend_from_slice(&(stream_id & MAX_STREAM_ID).to_be_bytes());
                out.extend_from_slice(&(delta & MAX_STREAM_ID).to_be_bytes());
                ("WINDOW_UPDATE", 0)
            }
        };
        let length = out.len() - start - 8;
        if length > MAX_FRAME_PAYLOAD {
            return Err(FrameError::InvalidLength {
                frame: name,
                length: u32::try_from(length).unwrap_or(u32::MAX),
            });
        }
        let length_word = (u32::from(flags) << 24) | length as u32;
        out[start + 4..start + 8].copy_from_slice(&length_word.to_be_bytes());
        Ok(())
    }

    fn header_block(&mut self, headers: &Headers, out: &mut Vec<u8>) -> Result<(), FrameError> {
        self.block.clear();
        headers.write_block(&mut self.block);
        self.headers.compress(&self.block, out)
    }
}

fn fin_flag(fin: bool) -> u8 {
    if fin { FLAG_FIN } else { 0 }
}

/// Writes the first word of a control frame and a placeholder for flags and length.
fn control_head(out: &mut Vec<u8>, frame_type: u16) {
    out.extend_from_slice(&(0x8000 | VERSION).to_be_bytes());
    out.extend_from_slice(&frame_type.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
}
