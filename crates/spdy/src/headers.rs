//! SPDY name/value header blocks: the [`Headers`] map and its uncompressed wire form
//! (a 32-bit pair count, then 32-bit length-prefixed names and values).
//!
//! Names are lower-case on the wire. A value may hold several values separated by NUL bytes,
//! which is how Go's `http.Header` sends multi-valued headers.

use crate::error::FrameError;

/// Ordered header map of one SYN_STREAM, SYN_REPLY or HEADERS frame. Names are stored in
/// lower case; lookups are case-insensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    pairs: Vec<(String, String)>,
}

impl Headers {
    /// An empty header map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` (lower-cased) to `value`, replacing an earlier value of the same name.
    pub fn insert(&mut self, name: &str, value: &str) {
        let name = name.to_ascii_lowercase();
        match self.pairs.iter_mut().find(|(n, _)| *n == name) {
            Some(pair) => pair.1 = value.to_owned(),
            None => self.pairs.push((name, value.to_owned())),
        }
    }

    /// The first value of `name`, e.g. `headers.get("streamType")`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values(name).next()
    }

    /// Every NUL-separated value of `name`.
    pub fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let raw = self
            .pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        raw.into_iter().flat_map(|v| v.split('\0'))
    }

    /// `(name, raw value)` pairs in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of distinct names.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Appends the uncompressed name/value block to `out`.
    pub(crate) fn write_block(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.pairs.len() as u32).to_be_bytes());
        for (name, value) in &self.pairs {
            out.extend_from_slice(&(name.len() as u32).to_be_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(value.len() as u32).to_be_bytes());
            out.extend_from_slice(value.as_bytes());
        }
    }

    /// Parses an uncompressed name/value block that must span all of `block`.
    ///
    /// Upper-case names are lower-cased (Go peers always lower-case, so this is leniency, not
    /// a code path kubectl exercises); empty or duplicate names and non-UTF-8 text are errors.
    pub(crate) fn read_block(block: &[u8]) -> Result<Headers, FrameError> {
        let mut rest = block;
        let count = take_u32(&mut rest)?;
        // Each pair needs at least 8 bytes, which bounds the allocation by the input size.
        if u64::from(count) * 8 > rest.len() as u64 {
            return Err(FrameError::HeaderBlock("pair count exceeds block size"));
        }
        let mut headers = Headers {
            pairs: Vec::with_capacity(count as usize),
        };
        for _ in 0..count {
            let name = take_string(&mut rest)?.to_ascii_lowercase();
            if name.is_empty() {
                return Err(FrameError::HeaderBlock("empty header name"));
            }
            let value = take_string(&mut rest)?;
            if headers.pairs.iter().any(|(n, _)| *n == name) {
                return Err(FrameError::HeaderBlock("duplicate header name"));
            }
            headers.pairs.push((name, value));
        }
        if !rest.is_empty() {
            return Err(FrameError::HeaderBlock("trailing bytes after header block"));
        }
        Ok(headers)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut headers = Headers::new();
        for (name, value) in iter {
            headers.insert(name.as_ref(), value.as_ref());
        }
        headers
    }
}

fn take_u32(rest: &mut &[u8]) -> Result<u32, FrameError> {
    let Some((head, tail)) = rest.split_first_chunk::<4>() else {
        return Err(FrameError::HeaderBlock("truncated length"));
    };
    *rest = tail;
    Ok(u32::from_be_bytes(*head))
}

fn take_string(rest: &mut &[u8]) -> Result<String, FrameError> {
    let len = take_u32(rest)? as usize;
    if len > rest.len() {
        return Err(FrameError::HeaderBlock("truncated name or value"));
    }
    let (text, tail) = rest.split_at(len);
    *rest = tail;
    String::from_utf8(text.to_vec())
        .map_err(|_| FrameError::HeaderBlock("name or value is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_round_trip_and_lookup() {
        let headers: Headers = [("StreamType", "data"), ("port", "80"), ("requestID", "0")]
            .into_iter()
            .collect();
        let mut block = Vec::new();
        headers.write_block(&mut block);
        assert_eq!(&block[..4], &[0, 0, 0, 3]);
        let parsed = Headers::read_block(&block).unwrap();
        assert_eq!(parsed, headers);
        assert_eq!(parsed.get("streamtype"), Some("data"));
        assert_eq!(parsed.get("STREAMTYPE"), Some("data"));
        assert_eq!(parsed.get("requestid"), Some("0"));
        assert_eq!(parsed.get("missing"), None);
        assert_eq!(
            parsed.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            ["streamtype", "port", "requestid"]
        );
    }

    #[test]
    fn multi_values_split_on_nul() {
        let headers: Headers = [(
            "x-stream-protocol-version",
            "v4.channel.k8s.io\0channel.k8s.io",
        )]
        .into_iter()
        .collect();
        assert_eq!(
            headers
                .values("X-Stream-Protocol-Version")
                .collect::<Vec<_>>(),
            ["v4.channel.k8s.io", "channel.k8s.io"]
        );
        assert_eq!(
            headers.get("x-stream-protocol-version"),
            Some("v4.channel.k8s.io")
        );
    }

    #[test]
    fn insert_replaces() {
        let mut headers = Headers::new();
        headers.insert("Port", "80");
        headers.insert("port", "81");
        assert_eq!(headers.len(), 1);
        assert_eq!(headers.get("port"), Some("81"));
        assert!(!headers.is_empty());
    }

    #[test]
    fn malformed_blocks_are_rejected() {
        let cases: &[(&[u8], FrameError)] = &[
            (b"\0\0", FrameError::HeaderBlock("truncated length")),
            (
                b"\0\0\0\x05",
                FrameError::HeaderBlock("pair count exceeds block size"),
            ),
            (
                b"\0\0\0\x01\0\0\0\x09ab\0\0\0\0",
                FrameError::HeaderBlock("truncated name or value"),
            ),
            (
                b"\0\0\0\x01\0\0\0\0\0\0\0\0",
                FrameError::HeaderBlock("empty header name"),
            ),
            (
                b"\0\0\0\x02\0\0\0\x01a\0\0\0\0\0\0\0\x01A\0\0\0\0",
                FrameError::HeaderBlock("duplicate header name"),
            ),
            (
                b"\0\0\0\x01\0\0\0\x01\xff\0\0\0\0",
                FrameError::HeaderBlock("name or value is not UTF-8"),
            ),
            (
                b"\0\0\0\0x",
                FrameError::HeaderBlock("trailing bytes after header block"),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                Headers::read_block(input).as_ref(),
                Err(want),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn upper_case_names_are_lowered() {
        let parsed = Headers::read_block(b"\0\0\0\x01\0\0\0\x04Port\0\0\0\x0280").unwrap();
        assert_eq!(parsed.iter().collect::<Vec<_>>(), [("port", "80")]);
    }
}
