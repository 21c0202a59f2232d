//! The protobuf wire format: varints and field keys, read from a byte slice.
//!
//! Errors follow the gogo-generated Go decoders kube-apiserver runs (`unexpected EOF`,
//! `proto: integer overflow`, ...). Nothing here knows any Kubernetes type.

use crate::error::Error;

/// Wire type 0: a varint.
pub(crate) const VARINT: u8 = 0;
/// Wire type 1: eight little-endian bytes.
pub(crate) const FIXED64: u8 = 1;
/// Wire type 2: a length-delimited byte string (string, bytes, message, packed list).
pub(crate) const LEN: u8 = 2;
/// Wire type 3: start of a (deprecated) group.
pub(crate) const START_GROUP: u8 = 3;
/// Wire type 4: end of a group.
pub(crate) const END_GROUP: u8 = 4;
/// Wire type 5: four little-endian bytes.
pub(crate) const FIXED32: u8 = 5;

/// One field as read from the wire, payload not yet interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Varint(u64),
    /// The payload of a fixed32 or fixed64 field.
    Fixed(&'a [u8]),
    Bytes(&'a [u8]),
    /// A start-group key; the group's contents are not read.
    StartGroup,
}

/// A cursor over one message's bytes.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Reads a base-128 varint, least significant group first.
    pub(crate) fn varint(&mut self) -> Result<u64, Error> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            if shift >= 64 {
                return Err(Error::IntegerOverflow);
            }
            let byte = *self.data.get(self.pos).ok_or(Error::UnexpectedEof)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(len).ok_or(Error::UnexpectedEof)?;
        let bytes = self.data.get(self.pos..end).ok_or(Error::UnexpectedEof)?;
        self.pos = end;
        Ok(bytes)
    }

    /// Reads the next field of message `message` (named in errors): its field number, wire
    /// type and raw payload.
    pub(crate) fn field(&mut self, message: &'static str) -> Result<(u32, u8, Value<'a>), Error> {
        let key = self.varint()?;
        // Go reads the key into a uint64 and the field number as int32(key >> 3).
        let tag = (key >> 3) as i32;
        let wire = (key & 7) as u8;
        if wire == END_GROUP {
            return Err(Error::EndGroup { message });
        }
        if tag <= 0 {
            return Err(Error::IllegalTag { message, tag, key });
        }
        let value = match wire {
            VARINT => Value::Varint(self.varint()?),
            FIXED64 => Value::Fixed(self.take(8)?),
            LEN => {
                let len = self.varint()?;
                let len = i64::try_from(len).map_err(|_| Error::NegativeLength)?;
                Value::Bytes(self.take(usize::try_from(len).map_err(|_| Error::UnexpectedEof)?)?)
            }
            START_GROUP => Value::StartGroup,
            FIXED32 => Value::Fixed(self.take(4)?),
            _ => return Err(Error::IllegalWireType { wire }),
        };
        Ok((tag as u32, wire, value))
    }
}

/// Reads every varint of a packed repeated field.
pub(crate) fn packed_varints(bytes: &[u8]) -> Result<Vec<u64>, Error> {
    let mut reader = Reader::new(bytes);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push(reader.varint()?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        let cases: &[(&[u8], Result<u64, Error>)] = &[
            (&[0x00], Ok(0)),
            (&[0x96, 0x01], Ok(150)),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                Ok(u64::MAX),
            ),
            (&[0x80], Err(Error::UnexpectedEof)),
            (&[], Err(Error::UnexpectedEof)),
            (&[0xff; 11], Err(Error::IntegerOverflow)),
        ];
        for (bytes, want) in cases {
            assert_eq!(&Reader::new(bytes).varint(), want, "{bytes:?}");
        }
    }

    #[test]
    fn fields() {
        let mut r = Reader::new(&[0x0a, 0x02, b'h', b'i', 0x10, 0x07]);
        assert_eq!(r.field("M"), Ok((1, LEN, Value::Bytes(b"hi"))));
        assert_eq!(r.field("M"), Ok((2, VARINT, Value::Varint(7))));
        assert!(r.is_empty());
    }

    #[test]
    fn field_errors() {
        let cases: &[(&[u8], Error)] = &[
            (&[0x0c], Error::EndGroup { message: "M" }),
            (
                &[0x02, 0x00],
                Error::IllegalTag {
                    message: "M",
                    tag: 0,
                    key: 2,
                },
            ),
            (&[0x0e], Error::IllegalWireType { wire: 6 }),
            (&[0x0a, 0x05, b'a'], Error::UnexpectedEof),
            (
                &[
                    0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                ],
                Error::NegativeLength,
            ),
            (&[0x09, 1, 2, 3], Error::UnexpectedEof),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                &Reader::new(bytes).field("M").unwrap_err(),
                want,
                "{bytes:?}"
            );
        }
    }
}
