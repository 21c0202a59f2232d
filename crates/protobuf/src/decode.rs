//! Decodes one protobuf message with its schema table into the JSON object Go's
//! `encoding/json` writes for the struct gogo-protobuf would have decoded.
//!
//! Proto semantics follow the gogo decoders: the last occurrence of a scalar wins, repeated
//! occurrences of a singular message merge, repeated scalars may be packed or not. A field the
//! table does not know is dropped when it carries only zero values (gogo's encoder writes every
//! non-pointer field, zero or not) and is an [`Error::UnsupportedField`] otherwise, so no user
//! data is ever lost silently.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::schema::{Emit, Field, Message, Ty};
use crate::time::{self, Precision};
use crate::wire::{self, Reader, Value as Wire};

/// How deep an unknown field is searched for non-zero data before it counts as data.
const MAX_ZERO_SCAN_DEPTH: usize = 16;

/// Decodes `data` as `message` into a JSON object.
pub(crate) fn message(message: &'static Message, data: &[u8]) -> Result<Map<String, Value>, Error> {
    let mut out = Map::new();
    write_message(message, data, &mut out)?;
    Ok(out)
}

fn write_message(
    message: &'static Message,
    data: &[u8],
    out: &mut Map<String, Value>,
) -> Result<(), Error> {
    let mut seen: Vec<Vec<Wire<'_>>> = vec![Vec::new(); message.fields.len()];
    let mut reader = Reader::new(data);
    while !reader.is_empty() {
        let (tag, wire_type, value) = reader.field(message.name)?;
        match message.fields.iter().position(|f| f.tag == tag) {
            Some(index) => {
                check_wire_type(&message.fields[index], wire_type)?;
                seen[index].push(value);
            }
            None if is_zero(value, 0) => {}
            None => {
                return Err(Error::UnsupportedField {
                    message: message.name,
                    tag,
                });
            }
        }
    }
    for (field, values) in message.fields.iter().zip(&seen) {
        write_field(field, values, out)?;
    }
    Ok(())
}

fn check_wire_type(field: &Field, wire_type: u8) -> Result<(), Error> {
    let ok = match field.ty {
        Ty::Bool | Ty::Int32 | Ty::Int64 => {
            wire_type == wire::VARINT || (field.list && wire_type == wire::LEN)
        }
        _ => wire_type == wire::LEN,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::WrongWireType {
            field: field.go_name(),
            wire: wire_type,
        })
    }
}

/// True when an unknown field holds nothing Go would keep: a zero varint or fixed value, an
/// empty byte string, or a nested message whose fields are all zero.
fn is_zero(value: Wire<'_>, depth: usize) -> bool {
    match value {
        Wire::Varint(v) => v == 0,
        Wire::Fixed(bytes) => bytes.iter().all(|b| *b == 0),
        Wire::Bytes([]) => true,
        Wire::Bytes(bytes) if depth < MAX_ZERO_SCAN_DEPTH => {
            let mut reader = Reader::new(bytes);
            while !reader.is_empty() {
                match reader.field("") {
                    Ok((_, _, inner)) if is_zero(inner, depth + 1) => {}
                    _ => return false,
                }
            }
            true
        }
        Wire::Bytes(_) | Wire::StartGroup => false,
    }
}

/// Joins the occurrences of a singular message field (proto merge semantics).
fn merged<'a>(values: &[Wire<'a>]) -> Cow<'a, [u8]> {
    match values {
        [] => Cow::Borrowed(&[]),
        [Wire::Bytes(one)] => Cow::Borrowed(one),
        many => Cow::Owned(
            many.iter()
                .flat_map(|v| bytes_of(*v).iter().copied())
                .collect(),
        ),
    }
}

fn bytes_of(value: Wire<'_>) -> &[u8] {
    match value {
        Wire::Bytes(bytes) => bytes,
        _ => &[],
    }
}

fn varint_of(value: Wire<'_>) -> u64 {
    match value {
        Wire::Varint(v) => v,
        _ => 0,
    }
}

fn write_field(
    field: &Field,
    values: &[Wire<'_>],
    out: &mut Map<String, Value>,
) -> Result<(), Error> {
    let present = !values.is_empty();
    let json = field.json.to_owned();
    if let Ty::Inline(inner) = field.ty {
        return write_message(inner, &merged(values), out);
    }
    if field.list {
        let mut items = Vec::new();
        for value in values {
            match (field.ty, value) {
                (Ty::Bool | Ty::Int32 | Ty::Int64, Wire::Bytes(packed)) => {
                    for v in wire::packed_varints(packed)? {
                        items.push(scalar(field.ty, v));
                    }
                }
                (Ty::Bool | Ty::Int32 | Ty::Int64, _) => {
                    items.push(scalar(field.ty, varint_of(*value)))
                }
                (ty, value) => {
                    items.push(single(ty, bytes_of(*value), false)?.unwrap_or(Value::Null))
                }
            }
        }
        if !items.is_empty() {
            out.insert(json, Value::Array(items));
        } else if field.emit == Emit::Always {
            out.insert(json, Value::Null);
        }
        return Ok(());
    }
    let value = match field.ty {
        Ty::Bool | Ty::Int32 | Ty::Int64 => {
            let v = scalar(field.ty, values.last().map_or(0, |v| varint_of(*v)));
            let zero = matches!(&v, Value::Bool(false)) || v.as_i64() == Some(0);
            emit_scalar(field.emit, present, zero).then_some(v)
        }
        Ty::Str => {
            let s = String::from_utf8_lossy(values.last().map_or(&[][..], |v| bytes_of(*v)));
            emit_scalar(field.emit, present, s.is_empty()).then(|| Value::String(s.into_owned()))
        }
        Ty::StrMap | Ty::QuantityMap => {
            let map = map_entries(field.ty, values)?;
            if !map.is_empty() {
                Some(Value::Object(map))
            } else {
                (field.emit == Emit::Always).then_some(Value::Null)
            }
        }
        ty => {
            if field.emit == Emit::Ptr && !present {
                None
            } else {
                single(ty, &merged(values), field.emit == Emit::Ptr)?
            }
        }
    };
    if let Some(value) = value {
        out.insert(json, value);
    }
    Ok(())
}

/// Whether a scalar is written: a pointer when present, an omitempty field when non-zero, a
/// plain field always.
fn emit_scalar(emit: Emit, present: bool, zero: bool) -> bool {
    match emit {
        Emit::Always => true,
        Emit::Omit => !zero,
        Emit::Ptr => present,
    }
}

fn scalar(ty: Ty, v: u64) -> Value {
    match ty {
        Ty::Bool => Value::Bool(v != 0),
        // Go keeps the low 32 bits of an int32 varint.
        Ty::Int32 => Value::from(v as i32),
        _ => Value::from(v as i64),
    }
}

/// The JSON of one message-typed value (or one string list item). `None` means "leave the
/// field out": a zero `Time` that is not behind a pointer (Go writes `null` there, which a
/// JSON client reads the same as absent). A present pointer to a zero time is `null`.
fn single(ty: Ty, bytes: &[u8], pointer: bool) -> Result<Option<Value>, Error> {
    Ok(Some(match ty {
        Ty::Str => Value::String(String::from_utf8_lossy(bytes).into_owned()),
        Ty::Msg(inner) => Value::Object(message(inner, bytes)?),
        Ty::Quantity => Value::String(quantity(bytes)?),
        Ty::IntOrString => int_or_string(bytes)?,
        Ty::FieldsV1 => fields_v1(bytes)?,
        Ty::Time | Ty::MicroTime => {
            let precision = if matches!(ty, Ty::Time) {
                Precision::Seconds
            } else {
                Precision::Micros
            };
            match time_value(bytes, precision)? {
                Some(text) => Value::String(text),
                None if pointer => Value::Null,
                None => return Ok(None),
            }
        }
        Ty::Bool | Ty::Int32 | Ty::Int64 | Ty::Inline(_) | Ty::StrMap | Ty::QuantityMap => {
            unreachable!("handled by write_field")
        }
    }))
}

/// The last value of fields 1..=3 of a small hand-written message (Time, Quantity,
/// IntOrString, FieldsV1, map entries), checking each against its expected wire type. Other
/// field numbers are skipped, as gogo does.
fn small<'a>(
    name: &'static str,
    bytes: &'a [u8],
    fields: &[(&str, u8)],
) -> Result<[Option<Wire<'a>>; 3], Error> {
    let mut found = [None; 3];
    let mut reader = Reader::new(bytes);
    while !reader.is_empty() {
        let (tag, wire_type, value) = reader.field(name)?;
        let index = tag as usize - 1;
        if let Some((go_name, want)) = fields.get(index) {
            if wire_type != *want {
                return Err(Error::WrongWireType {
                    field: (*go_name).to_owned(),
                    wire: wire_type,
                });
            }
            found[index] = Some(value);
        }
    }
    Ok(found)
}

fn quantity(bytes: &[u8]) -> Result<String, Error> {
    let [text, ..] = small("Quantity", bytes, &[("String_", wire::LEN)])?;
    let text = String::from_utf8_lossy(text.map_or(&[][..], bytes_of)).into_owned();
    // A zero Quantity marshals as "0".
    Ok(if text.is_empty() {
        "0".to_owned()
    } else {
        text
    })
}

fn int_or_string(bytes: &[u8]) -> Result<Value, Error> {
    let [kind, int_val, str_val] = small(
        "IntOrString",
        bytes,
        &[
            ("Type", wire::VARINT),
            ("IntVal", wire::VARINT),
            ("StrVal", wire::LEN),
        ],
    )?;
    Ok(if kind.map_or(0, varint_of) == 1 {
        Value::String(String::from_utf8_lossy(str_val.map_or(&[][..], bytes_of)).into_owned())
    } else {
        Value::from(int_val.map_or(0, varint_of) as i32)
    })
}

fn fields_v1(bytes: &[u8]) -> Result<Value, Error> {
    let [raw, ..] = small("FieldsV1", bytes, &[("Raw", wire::LEN)])?;
    match raw.map(bytes_of) {
        None => Ok(Value::Null),
        Some(raw) => serde_json::from_slice(raw).map_err(|e| Error::InvalidFieldsV1(e.to_string())),
    }
}

fn time_value(bytes: &[u8], precision: Precision) -> Result<Option<String>, Error> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let [seconds, nanos, _] = small(
        "Timestamp",
        bytes,
        &[("Seconds", wire::VARINT), ("Nanos", wire::VARINT)],
    )?;
    time::format(
        seconds.map_or(0, varint_of) as i64,
        nanos.map_or(0, varint_of) as i32,
        precision,
    )
}

/// A `map<string, string>` or `map<string, Quantity>` as a JSON object with sorted keys (Go
/// sorts map keys); a later entry for the same key wins.
fn map_entries(ty: Ty, values: &[Wire<'_>]) -> Result<Map<String, Value>, Error> {
    let value_wire = wire::LEN;
    let mut entries = BTreeMap::new();
    for value in values {
        let [key, val, _] = small(
            "MapEntry",
            bytes_of(*value),
            &[("Key", wire::LEN), ("Value", value_wire)],
        )?;
        let key = String::from_utf8_lossy(key.map_or(&[][..], bytes_of)).into_owned();
        let val = val.map_or(&[][..], bytes_of);
        let val = match ty {
            Ty::QuantityMap => quantity(val)?,
            _ => String::from_utf8_lossy(val).into_owned(),
        };
        entries.insert(key, Value::String(val));
    }
    Ok(entries.into_iter().collect())
}
