//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) to JSON.
//!
//! client-go's typed clients (so `kubectl create namespace|service|serviceaccount`,
//! `kubectl debug`) send their bodies as Kubernetes protobuf: the magic `k8s\0`, then a
//! `runtime.Unknown` envelope whose `raw` holds the object's gogo-protobuf encoding. [`decode`]
//! turns such a body into the `serde_json::Value` kube-apiserver would have decoded: the JSON
//! Go's `encoding/json` writes for the decoded struct (`omitempty` fields left out, non-pointer
//! structs written as `{}`, plain fields written even when zero; zero `Time`s left out where
//! Go would write `null`), with `kind` and `apiVersion` from the envelope.
//!
//! Kinds: core/v1 Namespace, Service, ServiceAccount, Pod, Endpoints, Event, Node, and
//! meta/v1 DeleteOptions (under any apiVersion). [`supports`] says whether a kind is covered.
//!
//! # Design decision: a schema table, not generated types
//!
//! The choice was between decoding with the `k8s-pb` crate (prost types generated from the
//! upstream `generated.proto`s) and a hand-kept table per message (field number, JSON name,
//! Go `omitempty` rule) over a small wire reader. Measured on this 2-core machine with the
//! workspace profile (dependencies at opt-level 1), cold debug builds in a fresh target dir:
//! - `k8s-pb` 0.9.0: its own unit alone takes 44 s (49-65 s for the graph with prost,
//!   prost-derive and syn), far over the 25 s budget;
//! - this crate with tables: 0.8 s for its own unit; 34.5 s cold in all, nearly all of it syn,
//!   serde_json, thiserror and jiff, which the rest of the workspace builds anyway.
//!
//! So the production build uses the tables and depends only on `serde_json`, `thiserror` and
//! `jiff`. `k8s-pb` is a dev-dependency only: the tests encode real messages with its prost
//! types, prove every table entry's field number and wire type against it (and that no two
//! are swapped), and check every JSON name and shape by round-tripping the decoded output
//! through `k8s-openapi`. `tests/data/*.pb` are bodies captured from kubectl v1.33.1.
//!
//! `prost`'s decoding primitives were considered for the wire layer, but its errors do not
//! tell a truncated varint from an overlong one, which the Go error texts do; the varint
//! reader is fifteen lines.
//!
//! # Errors
//!
//! Envelope and wire errors carry kube-apiserver's texts (see [`Error`]). A field the tables do
//! not know is ignored when it holds only zero values (the Go encoder writes every non-pointer
//! field) and otherwise rejected with [`Error::UnsupportedField`] (answer 415, so the data is
//! never dropped silently). The decoder never panics, whatever the input.

#[cfg(test)]
mod conformance;
mod decode;
mod envelope;
mod error;
mod schema;
mod tables;
mod time;
mod wire;

use serde_json::{Map, Value};

pub use error::Error;

/// The `Content-Type` of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Decodes a Kubernetes protobuf body for an endpoint that takes `expected_kind` in
/// `expected_api_version` (e.g. `"v1"`, `"Namespace"`; `"DeleteOptions"` for a delete body, in
/// any apiVersion). An envelope that leaves apiVersion or kind empty gets the expected ones,
/// as kube-apiserver defaults them.
pub fn decode(
    body: &[u8],
    expected_api_version: &str,
    expected_kind: &str,
) -> Result<Value, Error> {
    let envelope = envelope::open(body)?;
    // kube-apiserver's errors quote the envelope's TypeMeta, before defaulting.
    if envelope.kind.is_empty() && expected_kind.is_empty() {
        return Err(Error::MissingKind {
            api_version: envelope.api_version,
        });
    }
    if envelope.api_version.is_empty() && expected_api_version.is_empty() {
        return Err(Error::MissingVersion {
            kind: envelope.kind,
        });
    }
    let api_version = if envelope.api_version.is_empty() {
        expected_api_version.to_owned()
    } else {
        envelope.api_version
    };
    let kind = if envelope.kind.is_empty() {
        expected_kind.to_owned()
    } else {
        envelope.kind
    };
    let delete_options = kind == "DeleteOptions" && expected_kind == "DeleteOptions";
    if !delete_options {
        if api_version != expected_api_version {
            return Err(Error::ApiVersionMismatch {
                found: api_version,
                expected: expected_api_version.to_owned(),
            });
        }
        if kind != expected_kind {
            let (group, version) = split_api_version(&api_version);
            let internal_group = match group {
                "" => "core",
                group => group.split('.').next().unwrap_or(group),
            };
            return Err(Error::KindMismatch {
                found: kind,
                found_version: version.to_owned(),
                expected: expected_kind.to_owned(),
                internal_group: internal_group.to_owned(),
            });
        }
    }
    let Some(message) = tables::lookup(&api_version, &kind) else {
        return Err(Error::UnsupportedKind { api_version, kind });
    };
    let fields = decode::message(message, envelope.raw)?;
    let mut object = Map::with_capacity(fields.len() + 2);
    object.insert("kind".to_owned(), Value::String(kind));
    object.insert("apiVersion".to_owned(), Value::String(api_version));
    object.extend(fields);
    Ok(Value::Object(object))
}

/// Whether [`decode`] has a schema for `kind` in `api_version`.
pub fn supports(api_version: &str, kind: &str) -> bool {
    tables::lookup(api_version, kind).is_some()
}

/// `"apps/v1"` → `("apps", "v1")`, `"v1"` → `("", "v1")`.
fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}
