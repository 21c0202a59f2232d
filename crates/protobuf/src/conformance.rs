//! Proves the schema tables against two independent sources.
//!
//! For every kind, a sample message sets *every* table field (recursively) to a value derived
//! from the field's name, in table order. Then:
//! - `k8s-pb` (prost types generated from upstream `generated.proto`) decodes it and encodes it
//!   again byte for byte: prost drops unknown field numbers and rejects wrong wire types, so
//!   every field number and wire type is right;
//! - prost's `Debug` output pairs each string and integer field name with the value the table
//!   gave it, so no two field numbers are swapped;
//! - our JSON survives a round trip through `k8s-openapi` unchanged, so every JSON name and
//!   shape is one Kubernetes knows.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::schema::{Message, Ty};
use crate::tables;
use crate::wire::{LEN, VARINT};

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, tag: u32, wire: u8) {
    put_varint(out, (u64::from(tag) << 3) | u64::from(wire));
}

fn put_bytes(out: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    put_key(out, tag, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_int(out: &mut Vec<u8>, tag: u32, v: u64) {
    put_key(out, tag, VARINT);
    put_varint(out, v);
}

/// Field names normalised the way both sides can produce them: `cluster_i_ps`, `clusterIPs`
/// and `r#type` become `clusterips` and `type`.
fn normalise(name: &str) -> String {
    name.trim_start_matches("r#")
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The sample integer of a field: distinct per name, small enough for every int32 field.
fn sample_int(name: &str) -> u64 {
    let hash = normalise(name)
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    u64::from(hash % 5000) + 1
}

/// Every field of `message` set, in field-number order (the order prost writes).
fn sample(message: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    let mut fields: Vec<_> = message.fields.iter().collect();
    fields.sort_by_key(|f| f.tag);
    for field in fields {
        let tag = field.tag;
        match field.ty {
            Ty::Str => put_bytes(&mut out, tag, field.json.as_bytes()),
            Ty::Bool => put_int(&mut out, tag, 1),
            Ty::Int32 | Ty::Int64 => put_int(&mut out, tag, sample_int(field.json)),
            Ty::Msg(inner) | Ty::Inline(inner) => put_bytes(&mut out, tag, &sample(inner)),
            Ty::Quantity => put_bytes(&mut out, tag, &quantity("7")),
            Ty::Time | Ty::MicroTime => {
                let mut time = Vec::new();
                put_int(&mut time, 1, 1_700_000_000 + sample_int("seconds"));
                put_int(&mut time, 2, sample_int("nanos") * 1000);
                put_bytes(&mut out, tag, &time);
            }
            Ty::IntOrString => {
                let mut value = Vec::new();
                put_int(&mut value, 1, 0);
                put_int(&mut value, 2, sample_int("intVal"));
                put_bytes(&mut out, tag, &value);
            }
            Ty::FieldsV1 => {
                let mut value = Vec::new();
                put_bytes(&mut value, 1, br#"{"f:metadata":{"f:name":{}}}"#);
                put_bytes(&mut out, tag, &value);
            }
            Ty::StrMap => {
                let mut entry = Vec::new();
                put_bytes(&mut entry, 1, b"example.com/key");
                put_bytes(&mut entry, 2, field.json.as_bytes());
                put_bytes(&mut out, tag, &entry);
            }
            Ty::QuantityMap => {
                let mut entry = Vec::new();
                put_bytes(&mut entry, 1, b"cpu");
                put_bytes(&mut entry, 2, &quantity("250m"));
                put_bytes(&mut out, tag, &entry);
            }
        }
    }
    out
}

fn quantity(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    put_bytes(&mut out, 1, text.as_bytes());
    out
}

/// Checks prost's `Debug` text: every `name: Some("x")`, `name: ["x"]` whose value starts
/// with a letter must be the field's own name, and every `name: Some(n)` with n > 0 its own
/// sample integer.
fn check_debug_pairs(kind: &str, debug: &str) {
    let mut checked = 0;
    for (at, _) in debug.match_indices(": ") {
        let name_start = debug[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '#'))
            .map_or(0, |i| i + 1);
        let name = &debug[name_start..at];
        let rest = &debug[at + 2..];
        let value = rest
            .strip_prefix("Some(")
            .or_else(|| rest.strip_prefix('['))
            .unwrap_or("");
        if let Some(text) = value.strip_prefix('"') {
            let text = &text[..text.find('"').unwrap()];
            if text.starts_with(|c: char| c.is_ascii_alphabetic()) && !text.contains('.') {
                assert_eq!(
                    normalise(name),
                    normalise(text),
                    "{kind}: string field {name}"
                );
                checked += 1;
            }
        } else if let Some(end) = value.find(|c: char| !c.is_ascii_digit())
            && let Ok(n) = value[..end].parse::<u64>()
            && n > 0
            && !matches!(name, "seconds" | "nanos")
        {
            assert_eq!(n, sample_int(name), "{kind}: integer field {name}");
            checked += 1;
        }
    }
    assert!(
        checked > 3,
        "{kind}: only {checked} fields checked in {debug}"
    );
}

fn check_kind<P, O>(api_version: &str, kind: &str)
where
    P: prost::Message + Default + std::fmt::Debug,
    O: Serialize + DeserializeOwned,
{
    let message = tables::lookup(api_version, kind).unwrap();
    let bytes = sample(message);

    let decoded = P::decode(bytes.as_slice()).unwrap_or_else(|e| panic!("{kind}: {e}"));
    assert_eq!(
        decoded.encode_to_vec(),
        bytes,
        "{kind}: k8s-pb re-encodes the sample differently (unknown tag, wrong wire type or order)"
    );
    check_debug_pairs(kind, &format!("{decoded:?}"));

    let mut object = serde_json::Map::new();
    object.insert("kind".into(), kind.into());
    object.insert("apiVersion".into(), api_version.into());
    object.extend(crate::decode::message(message, &bytes).unwrap());
    let ours = Value::Object(object);
    let typed: O = serde_json::from_value(ours.clone()).unwrap_or_else(|e| panic!("{kind}: {e}"));
    let theirs = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        theirs, ours,
        "{kind}: k8s-openapi drops or reshapes a field"
    );
}

#[test]
fn every_kind_matches_k8s_pb_and_k8s_openapi() {
    use k8s_openapi::api::core::v1 as api;
    use k8s_pb::api::core::v1 as pb;
    check_kind::<pb::Namespace, api::Namespace>("v1", "Namespace");
    check_kind::<pb::Service, api::Service>("v1", "Service");
    check_kind::<pb::ServiceAccount, api::ServiceAccount>("v1", "ServiceAccount");
    check_kind::<pb::Pod, api::Pod>("v1", "Pod");
    check_kind::<pb::Endpoints, api::Endpoints>("v1", "Endpoints");
    check_kind::<pb::Event, api::Event>("v1", "Event");
    check_kind::<pb::Node, api::Node>("v1", "Node");
    check_kind::<
        k8s_pb::apimachinery::pkg::apis::meta::v1::DeleteOptions,
        k8s_openapi::apimachinery::pkg::apis::meta::v1::DeleteOptions,
    >("meta.k8s.io/v1", "DeleteOptions");
    assert_eq!(
        tables::all().count(),
        8,
        "a kind without a conformance check"
    );
}
