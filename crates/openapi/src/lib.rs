//! The OpenAPI documents kube-apiserver 1.33 publishes, for the kinds kubelite serves
//! (`kubelite_api::resources::RESOURCES`): `/openapi/v3` (index), `/openapi/v3/<group-version>`
//! and `/openapi/v2` (JSON and gnostic protobuf). Schemas come from k8s-openapi's `JsonSchema`
//! impls, so names (`io.k8s.api.core.v1.Service`) and field descriptions are upstream's.
//!
//! # What kubectl needs (observed against a probe server, kubectl 1.27.16 … 1.33.1)
//!
//! - `kubectl apply`/`create` with the default `--validate=strict` first checks that the
//!   server supports `fieldValidation`: it looks for the kind's PATCH operation (found by
//!   `x-kubernetes-group-version-kind`) carrying an inline `fieldValidation` query parameter.
//!   When found it skips client-side validation and sends `fieldValidation=Strict`, so unknown
//!   fields are rejected by the server (400 `strict decoding error`), exactly as against
//!   kube-apiserver; the schemas only matter for validation if that parameter is missing.
//! - kubectl **1.29 – 1.33** read `/openapi/v3` and the group-version document; `/openapi/v2`
//!   is only their fallback.
//! - kubectl **1.27 and 1.28** first `GET /openapi/v2` with
//!   `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (then the legacy
//!   `/swagger-2.0.0.pb-v1`) and give up, without trying v3, if that fails. client-go's `OpenAPISchema` `proto.Unmarshal`s the body
//!   (after checking that its `Content-Type` parses as a MIME type), so JSON is **not**
//!   acceptable: answer that Accept with [`v2_document_protobuf`] and
//!   [`V2_PROTOBUF_CONTENT_TYPE`]. Their `kubectl explain` also loads v2 first
//!   (and fails if it cannot), then prints from v3.
//! - `kubectl explain` resolves the kind through `x-kubernetes-group-version-kind` in
//!   `components.schemas` and follows `$ref`/`allOf` for nested fields.
//! - `kubectl explain` prints `-required-` from each schema's `required` list and, for 1.29+,
//!   an `enum:` line from a field's `enum`; both follow kube-apiserver (see `required`, `enums`),
//!   not k8s-openapi, which marks every non-`Option` field required and carries no enums.
//! - `kubectl apply` builds strategic merge patches from the schemas' `x-kubernetes-patch-*`
//!   extensions when it can, so they carry upstream's merge keys (see `extensions`).
//!
//! Documents are built once, on first use, and kept with their serialised bytes and hash.

mod components;
mod enums;
mod extensions;
mod gnostic;
mod hash;
mod operations;
mod required;
mod specs;
mod v2;
mod v3;

use std::sync::OnceLock;

use serde_json::Value;

use crate::components::Dialect;

/// What kubectl puts in `Accept` to ask `/openapi/v2` for [`v2_document_protobuf`].
pub const V2_PROTOBUF_ACCEPT: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// The `Content-Type` to answer [`V2_PROTOBUF_ACCEPT`] with. kube-apiserver sends this dotted
/// form: `@` is not a MIME token character, and client-go fails the request with
/// `mime: unexpected content after media subtype` if the response carries the `@` form.
pub const V2_PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

struct V3Doc {
    key: String,
    value: Value,
    bytes: Vec<u8>,
    hash: String,
}

struct V3 {
    docs: Vec<V3Doc>,
    index: Value,
    index_bytes: Vec<u8>,
}

struct V2 {
    value: Value,
    bytes: Vec<u8>,
    protobuf: Vec<u8>,
}

fn v3() -> &'static V3 {
    static V3: OnceLock<V3> = OnceLock::new();
    V3.get_or_init(|| {
        let docs: Vec<V3Doc> = specs::specs(Dialect::V3)
            .iter()
            .map(|spec| {
                let value = v3::document(spec);
                let bytes = serde_json::to_vec(&value).expect("JSON values serialise");
                let hash = hash::fnv1a_128_hex(&bytes);
                V3Doc {
                    key: spec.key.clone(),
                    value,
                    bytes,
                    hash,
                }
            })
            .collect();
        let index = v3::index(docs.iter().map(|d| (d.key.as_str(), d.hash.as_str())));
        let index_bytes = serde_json::to_vec(&index).expect("JSON values serialise");
        V3 {
            docs,
            index,
            index_bytes,
        }
    })
}

fn v2() -> &'static V2 {
    static V2: OnceLock<V2> = OnceLock::new();
    V2.get_or_init(|| {
        let value = v2::document(&specs::specs(Dialect::V2));
        let bytes = serde_json::to_vec(&value).expect("JSON values serialise");
        let protobuf = gnostic::encode_document(&value);
        V2 {
            value,
            bytes,
            protobuf,
        }
    })
}

fn v3_doc(path: &str) -> Option<&'static V3Doc> {
    let path = path.trim_matches('/');
    v3().docs.iter().find(|d| d.key == path)
}

/// `GET /openapi/v3`: `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}}`
/// listing `api`, `api/v1`, `apis`, `apis/<group>`, `apis/<group>/<version>` and `version`.
pub fn v3_index() -> Value {
    v3().index.clone()
}

/// [`v3_index`] serialised.
pub fn v3_index_bytes() -> &'static [u8] {
    &v3().index_bytes
}

/// `GET /openapi/v3/<path>` (`api/v1`, `apis/discovery.k8s.io/v1`, …): the OpenAPI 3.0 document,
/// or `None` for a path the index does not list. Leading/trailing slashes are ignored.
pub fn v3_document(path: &str) -> Option<Value> {
    v3_doc(path).map(|d| d.value.clone())
}

/// [`v3_document`] serialised (what to send; built once).
pub fn v3_document_bytes(path: &str) -> Option<&'static [u8]> {
    v3_doc(path).map(|d| d.bytes.as_slice())
}

/// The hash of a v3 document, as in its `serverRelativeURL` (`?hash=`); use it as the ETag.
/// Stable across runs for the same document.
pub fn v3_hash(path: &str) -> Option<String> {
    v3_doc(path).map(|d| d.hash.clone())
}

/// `GET /openapi/v2` as JSON (`Accept: application/json`): one Swagger 2.0 document with every path.
pub fn v2_document() -> Value {
    v2().value.clone()
}

/// [`v2_document`] serialised.
pub fn v2_document_bytes() -> &'static [u8] {
    &v2().bytes
}

/// [`v2_document`] as a gnostic `openapi.v2.Document` protobuf: the answer to
/// [`V2_PROTOBUF_ACCEPT`] (kubectl ≤ 1.28 asks for nothing else), sent as
/// [`V2_PROTOBUF_CONTENT_TYPE`].
pub fn v2_document_protobuf() -> &'static [u8] {
    &v2().protobuf
}

#[cfg(test)]
mod tests;
