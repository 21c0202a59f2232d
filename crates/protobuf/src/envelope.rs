//! The Kubernetes protobuf envelope: the magic `k8s\0` followed by a `runtime.Unknown`
//! (`typeMeta{apiVersion, kind}`, `raw`, `contentEncoding`, `contentType`), as apimachinery's
//! `serializer/protobuf` writes and reads it.

use crate::error::Error;
use crate::wire::{Reader, Value};

/// The 4-byte prefix of every Kubernetes protobuf body.
pub(crate) const MAGIC: [u8; 4] = *b"k8s\0";

/// The decoded `runtime.Unknown`. `contentEncoding` and `contentType` are read but, as in
/// kube-apiserver's typed decode, not used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Envelope<'a> {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) raw: &'a [u8],
}

/// Checks the magic and decodes the `runtime.Unknown` after it.
pub(crate) fn open(body: &[u8]) -> Result<Envelope<'_>, Error> {
    if body.is_empty() {
        return Err(Error::EmptyData);
    }
    let Some(data) = body.strip_prefix(&MAGIC) else {
        return Err(Error::MissingPrefix);
    };
    if data.is_empty() {
        return Err(Error::EmptyBody);
    }
    let mut envelope = Envelope {
        api_version: String::new(),
        kind: String::new(),
        raw: &[],
    };
    let mut reader = Reader::new(data);
    while !reader.is_empty() {
        let (tag, wire_type, value) = reader.field("Unknown")?;
        let name = match tag {
            1 => "TypeMeta",
            2 => "Raw",
            3 => "ContentEncoding",
            4 => "ContentType",
            _ => continue,
        };
        let Value::Bytes(bytes) = value else {
            return Err(Error::WrongWireType {
                field: name.to_owned(),
                wire: wire_type,
            });
        };
        match tag {
            1 => read_type_meta(bytes, &mut envelope)?,
            2 => envelope.raw = bytes,
            _ => {}
        }
    }
    Ok(envelope)
}

fn read_type_meta(data: &[u8], envelope: &mut Envelope<'_>) -> Result<(), Error> {
    let mut reader = Reader::new(data);
    while !reader.is_empty() {
        let (tag, wire_type, value) = reader.field("TypeMeta")?;
        let (name, slot) = match tag {
            1 => ("APIVersion", &mut envelope.api_version),
            2 => ("Kind", &mut envelope.kind),
            _ => continue,
        };
        match value {
            Value::Bytes(bytes) => *slot = String::from_utf8_lossy(bytes).into_owned(),
            _ => {
                return Err(Error::WrongWireType {
                    field: name.to_owned(),
                    wire: wire_type,
                });
            }
        }
    }
    Ok(())
}
