//! Kubernetes strategic merge patch (`application/strategic-merge-patch+json`) on JSON values.
//!
//! This is what kube-apiserver does for such a `PATCH` (upstream
//! `k8s.io/apimachinery/pkg/util/strategicpatch`, `StrategicMergeMapPatch` with the Go struct
//! tags of k8s.io/api v1.32 as schema), including its quirks: list ordering follows upstream's
//! `normalizeElementOrder` step for step, and errors carry upstream's messages.
//!
//! Beyond upstream's map result, the output is what the typed decode keeps: object entries that
//! are `null` or whose key starts with `$` are dropped. Fields the schema table does not know
//! merge like untagged Go fields (objects merge, lists are replaced); upstream would reject them.
//!
//! The crate is pure: no IO, no clock, and it never panics on any JSON input.

mod aliasing;
mod cleanup;
mod directive;
mod error;
mod go_sort;
mod govalue;
mod list;
mod map;
mod order;
pub mod schema;

use serde_json::{Map, Value};

pub use error::PatchError;

/// Applies the strategic merge patch `patch` to `original`, an object of kind `kind`
/// (`"Pod"`, `"Service"`, `"Endpoints"`, `"EndpointSlice"`, `"Node"`, `"Namespace"`,
/// `"Event"`, `"ServiceAccount"`).
///
/// A `null` patch is an empty patch, as when Go decodes `null` into a map.
pub fn strategic_merge_patch(
    kind: &str,
    original: &Value,
    patch: &Value,
) -> Result<Value, PatchError> {
    let schema =
        schema::kind_schema(kind).ok_or_else(|| PatchError::UnsupportedKind(kind.to_owned()))?;
    let patch = match patch {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        Value::Array(_) => return Err(PatchError::PatchNotAnObject("array")),
        Value::String(_) => return Err(PatchError::PatchNotAnObject("string")),
        Value::Number(_) => return Err(PatchError::PatchNotAnObject("number")),
        Value::Bool(_) => return Err(PatchError::PatchNotAnObject("bool")),
    };
    let original = match original {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ => return Err(PatchError::BadJsonDoc),
    };
    let mut merged = Value::Object(map::merge_map(original, patch, Some(schema))?);
    cleanup::decode_like_typed(&mut merged);
    Ok(merged)
}
