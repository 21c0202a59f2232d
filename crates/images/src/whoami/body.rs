//! Response bodies whoami streams: fixed bytes, the generated `/data`
//! content, and the `/` dump whose tail is the request's own body.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{BufMut, Bytes, BytesMut};
use hyper::body::{Body, Frame, Incoming, SizeHint};

/// The alphabet of `/data` content; byte `i` is `CHARSET[i % 27]`.
const CHARSET: &[u8; 27] = b"-ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Largest frame of generated content.
const FRAME: u64 = 32 * 1024;

/// A whoami response body.
#[derive(Debug)]
pub(crate) enum ResponseBody {
    /// Bytes known up front (possibly none).
    Full(Option<Bytes>),
    /// `/data` content still to generate.
    Content(Content),
    /// The `/` dump: text, then the request body, then more text.
    Dump(Dump),
}

impl ResponseBody {
    pub(crate) fn empty() -> ResponseBody {
        ResponseBody::Full(None)
    }

    pub(crate) fn full(bytes: impl Into<Bytes>) -> ResponseBody {
        let bytes = bytes.into();
        ResponseBody::Full((!bytes.is_empty()).then_some(bytes))
    }
}

/// `/data` content of `size` bytes: `|`, then the alphabet cycling from `A`
/// (byte `i` is the alphabet's `i % 27`th letter, `-` first), and a closing `|`.
#[derive(Debug)]
pub(crate) struct Content {
    next: u64,
    size: u64,
}

impl Content {
    pub(crate) fn new(size: u64) -> Content {
        Content { next: 0, size }
    }

    fn remaining(&self) -> u64 {
        self.size - self.next
    }

    fn byte_at(&self, i: u64) -> u8 {
        if i == 0 || i + 1 == self.size {
            b'|'
        } else {
            CHARSET[usize::try_from(i % 27).unwrap_or(0)]
        }
    }

    fn next_frame(&mut self) -> Option<Bytes> {
        let len = self.remaining().min(FRAME);
        if len == 0 {
            return None;
        }
        let frame: Vec<u8> = (self.next..self.next + len)
            .map(|i| self.byte_at(i))
            .collect();
        self.next += len;
        Some(Bytes::from(frame))
    }
}

/// The `/` dump: `prefix`, the request body (re-chunked if it came chunked),
/// then `suffix`.
#[derive(Debug)]
pub(crate) struct Dump {
    prefix: Option<Bytes>,
    body: Option<Incoming>,
    chunked: bool,
    suffix: Option<Bytes>,
}

impl Dump {
    pub(crate) fn new(prefix: String, body: Incoming, chunked: bool, suffix: String) -> Dump {
        Dump {
            prefix: Some(Bytes::from(prefix)),
            body: Some(body),
            chunked,
            suffix: (!suffix.is_empty()).then(|| Bytes::from(suffix)),
        }
    }
}

/// One chunk of chunked transfer coding, as Go's chunked writer emits it.
fn chunk(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 12);
    out.put_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.put_slice(data);
    out.put_slice(b"\r\n");
    out.freeze()
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Content(content) => {
                Poll::Ready(content.next_frame().map(|b| Ok(Frame::data(b))))
            }
            ResponseBody::Dump(dump) => {
                if let Some(prefix) = dump.prefix.take() {
                    return Poll::Ready(Some(Ok(Frame::data(prefix))));
                }
                while let Some(body) = dump.body.as_mut() {
                    match ready!(Pin::new(body).poll_frame(cx)) {
                        Some(Ok(frame)) => match frame.into_data() {
                            Ok(data) if data.is_empty() => {}
                            Ok(data) if dump.chunked => {
                                return Poll::Ready(Some(Ok(Frame::data(chunk(&data)))));
                            }
                            Ok(data) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                            // Request trailers are not echoed.
                            Err(_trailers) => {}
                        },
                        Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                        None => {
                            dump.body = None;
                            if dump.chunked {
                                return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                                    b"0\r\n\r\n",
                                )))));
                            }
                        }
                    }
                }
                Poll::Ready(dump.suffix.take().map(|b| Ok(Frame::data(b))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(bytes) => bytes.is_none(),
            ResponseBody::Content(content) => content.remaining() == 0,
            ResponseBody::Dump(dump) => {
                dump.prefix.is_none() && dump.body.is_none() && dump.suffix.is_none()
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        let len = |b: &Option<Bytes>| b.as_ref().map_or(0, |b| b.len() as u64);
        match self {
            ResponseBody::Full(bytes) => SizeHint::with_exact(len(bytes)),
            ResponseBody::Content(content) => SizeHint::with_exact(content.remaining()),
            ResponseBody::Dump(dump) => {
                let fixed = len(&dump.prefix) + len(&dump.suffix);
                match &dump.body {
                    None => SizeHint::with_exact(fixed),
                    Some(body) if body.is_end_stream() && !dump.chunked => {
                        SizeHint::with_exact(fixed)
                    }
                    Some(body) => match body.size_hint().exact() {
                        Some(n) if !dump.chunked => SizeHint::with_exact(fixed + n),
                        _ => {
                            let mut hint = SizeHint::new();
                            hint.set_lower(fixed);
                            hint
                        }
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(size: u64) -> String {
        let mut c = Content::new(size);
        let mut out = Vec::new();
        while let Some(frame) = c.next_frame() {
            out.extend_from_slice(&frame);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn data_content() {
        assert_eq!(content(0), "");
        assert_eq!(content(1), "|");
        assert_eq!(content(2), "||");
        assert_eq!(content(10), "|ABCDEFGH|");
        assert_eq!(content(30), "|ABCDEFGHIJKLMNOPQRSTUVWXYZ-A|");
        let big = content(FRAME * 2 + 5);
        assert_eq!(big.len() as u64, FRAME * 2 + 5);
        assert!(big.starts_with("|ABC") && big.ends_with('|'));
        assert_eq!(&big[27..29], "-A");
    }

    #[test]
    fn chunk_framing() {
        assert_eq!(&chunk(b"hello")[..], b"5\r\nhello\r\n");
        assert_eq!(&chunk(&[b'x'; 26])[..4], b"1a\r\n");
    }
}
