//! Stored objects to response bytes without decoding them: a list of ten thousand Pods, or a
//! watch event sent to every watcher of Pods, is assembled from the stored JSON, parsing only
//! each object's `metadata` to add its resourceVersion; and decoding only the parts of an
//! object a reader needs.

use std::fmt;

use kubelite_store::KeyValue;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::status::ApiError;

/// The top-level members of a JSON object, in order, values left unparsed.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Members<'a>, M::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: &'de RawValue = map.next_value()?;
                    out.push((key, value));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Writes a stored `metadata` object with `resourceVersion` appended, without parsing it: stored
/// metadata never holds a resourceVersion (the registry strips it), so appending one member is
/// exact.
fn write_metadata(raw: &str, rv: &str, out: &mut Vec<u8>) -> Result<(), &'static str> {
    let body = raw.trim();
    let inner = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or("metadata is not an object")?;
    out.push(b'{');
    if !inner.trim().is_empty() {
        out.extend_from_slice(inner.as_bytes());
        out.push(b',');
    }
    out.extend_from_slice(b"\"resourceVersion\":\"");
    out.extend_from_slice(rv.as_bytes());
    out.extend_from_slice(b"\"}");
    Ok(())
}

/// The stored object decoded for printing a Table row: everything but `metadata.managedFields`,
/// which no column reads and which is often the largest part of an object.
pub fn decode_for_printing(kv: &KeyValue) -> Result<Value, ApiError> {
    decode_parts(kv, |member| match member {
        "metadata" => Part::AllBut("managedFields"),
        _ => Part::Whole,
    })
}

/// How much of a top-level member [`decode_parts`] decodes.
pub enum Part<'a> {
    Skip,
    Whole,
    /// Only these of its own members (when it is an object).
    Members(&'a [String]),
    /// All of its own members but this one (when it is an object).
    AllBut(&'a str),
}

/// The stored object decoded with only what `part` asks of each top-level member (what a
/// selector reads: a Pod's `metadata.labels` for a label selector, its `spec.nodeName` for
/// `spec.nodeName`, not the rest of its metadata and spec nor its `status`). No
/// resourceVersion is added.
pub fn decode_parts<'a>(kv: &KeyValue, part: impl Fn(&str) -> Part<'a>) -> Result<Value, ApiError> {
    let bad = |e: serde_json::Error| ApiError::internal(format!("decoding {}: {e}", kv.key));
    let members: Members = serde_json::from_slice(&kv.value).map_err(bad)?;
    let only = |raw: &RawValue, keep: &dyn Fn(&str) -> bool| -> Result<Value, ApiError> {
        let inner: Members = serde_json::from_str(raw.get()).map_err(bad)?;
        let mut map = Map::new();
        for (k, v) in inner.0.into_iter().filter(|(k, _)| keep(k)) {
            map.insert(k, serde_json::from_str(v.get()).map_err(bad)?);
        }
        Ok(Value::Object(map))
    };
    let mut obj = Map::with_capacity(members.0.len());
    for (key, raw) in members.0 {
        let object = raw.get().starts_with('{');
        let value = match part(&key) {
            Part::Skip => continue,
            Part::Members(names) if object => only(raw, &|k| names.iter().any(|n| n == k))?,
            Part::AllBut(name) if object => only(raw, &|k| k != name)?,
            Part::Whole | Part::Members(_) | Part::AllBut(_) => {
                serde_json::from_str(raw.get()).map_err(bad)?
            }
        };
        obj.insert(key, value);
    }
    Ok(Value::Object(obj))
}

/// Writes `PartialObjectMetadata` for the stored object `kv` (its metadata as stored, with its
/// resourceVersion), as a Table row's `object`.
pub fn write_partial_metadata(kv: &KeyValue, out: &mut Vec<u8>) -> Result<(), ApiError> {
    let bad = |e: serde_json::Error| ApiError::internal(format!("decoding {}: {e}", kv.key));
    let members: Members = serde_json::from_slice(&kv.value).map_err(bad)?;
    out.extend_from_slice(
        b"{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":",
    );
    let raw = members
        .0
        .iter()
        .find(|(k, _)| k == "metadata")
        .map_or("{}", |(_, v)| v.get());
    write_metadata(raw, &kv.mod_revision.to_string(), out).map_err(ApiError::internal)?;
    out.push(b'}');
    Ok(())
}

/// Writes the stored object `kv` to `out` with `metadata.resourceVersion` set to its revision;
/// `kind` and `apiVersion` are left out when `strip_type` (list items, as kube-apiserver
/// serves them).
pub fn write_item(kv: &KeyValue, strip_type: bool, out: &mut Vec<u8>) -> Result<(), ApiError> {
    let bad = |e: serde_json::Error| ApiError::internal(format!("decoding {}: {e}", kv.key));
    let members: Members = serde_json::from_slice(&kv.value).map_err(bad)?;
    let rv = kv.mod_revision.to_string();
    out.push(b'{');
    let mut first = true;
    let mut wrote_meta = false;
    for (key, raw) in &members.0 {
        if strip_type && (key == "kind" || key == "apiVersion") {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut *out, key).map_err(bad)?;
        out.push(b':');
        if key == "metadata" {
            write_metadata(raw.get(), &rv, out)
                .map_err(|e| ApiError::internal(format!("decoding {}: {e}", kv.key)))?;
            wrote_meta = true;
        } else {
            out.extend_from_slice(raw.get().as_bytes());
        }
    }
    if !wrote_meta {
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(b"\"metadata\":");
        write_metadata("{}", &rv, out).map_err(ApiError::internal)?;
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kv(obj: Value, rev: i64) -> KeyValue {
        KeyValue {
            key: "/registry/pods/default/a".into(),
            value: serde_json::to_vec(&obj).unwrap().into(),
            create_revision: 1,
            mod_revision: rev,
        }
    }

    #[test]
    fn injects_the_revision_and_keeps_everything_else() {
        let obj = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a", "labels": {"x": "é\"q"}}, "spec": {"n": [1, 2.5, null]}});
        let mut out = Vec::new();
        write_item(&kv(obj.clone(), 42), false, &mut out).unwrap();
        let back: Value = serde_json::from_slice(&out).unwrap();
        let mut want = obj.clone();
        want["metadata"]["resourceVersion"] = json!("42");
        assert_eq!(back, want);
        // Member order is kept.
        assert!(
            String::from_utf8(out).unwrap().starts_with(
                "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\""
            )
        );

        let mut stripped = Vec::new();
        write_item(&kv(obj, 7), true, &mut stripped).unwrap();
        let back: Value = serde_json::from_slice(&stripped).unwrap();
        assert!(back.get("kind").is_none() && back.get("apiVersion").is_none());
        assert_eq!(back["metadata"]["resourceVersion"], "7");
    }

    #[test]
    fn printing_drops_managed_fields_and_partial_metadata_keeps_them() {
        let obj = json!({"kind": "Pod", "metadata": {"name": "a", "managedFields": [{"manager": "m"}], "labels": {"x": "1"}}, "status": {"phase": "Running"}});
        let printed = decode_for_printing(&kv(obj.clone(), 9)).unwrap();
        assert_eq!(
            printed,
            json!({"kind": "Pod", "metadata": {"name": "a", "labels": {"x": "1"}}, "status": {"phase": "Running"}})
        );
        let mut out = Vec::new();
        write_partial_metadata(&kv(obj, 9), &mut out).unwrap();
        let back: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            back,
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                   "metadata": {"name": "a", "managedFields": [{"manager": "m"}], "labels": {"x": "1"}, "resourceVersion": "9"}})
        );
    }

    #[test]
    fn decoding_only_some_parts() {
        let obj = json!({"kind": "Pod", "metadata": {"name": "a", "managedFields": [{"manager": "m"}]}, "spec": {"nodeName": "n", "restartPolicy": "Never"}, "status": {"phase": "Running"}});
        assert_eq!(
            decode_parts(&kv(obj.clone(), 9), |k| match k {
                "spec" => Part::Whole,
                "metadata" => Part::AllBut("managedFields"),
                _ => Part::Skip,
            })
            .unwrap(),
            json!({"metadata": {"name": "a"}, "spec": {"nodeName": "n", "restartPolicy": "Never"}})
        );
        let node_name = ["nodeName".to_string()];
        let x = ["x".to_string()];
        assert_eq!(
            decode_parts(&kv(obj.clone(), 9), |k| match k {
                "spec" => Part::Members(&node_name),
                "kind" => Part::Members(&x),
                _ => Part::Skip,
            })
            .unwrap(),
            json!({"kind": "Pod", "spec": {"nodeName": "n"}})
        );
        assert_eq!(
            decode_parts(&kv(obj, 9), |_| Part::Skip).unwrap(),
            json!({})
        );
    }

    #[test]
    fn objects_without_metadata_get_one_and_garbage_is_an_error() {
        let mut out = Vec::new();
        write_item(&kv(json!({}), 3), true, &mut out).unwrap();
        assert_eq!(out, br#"{"metadata":{"resourceVersion":"3"}}"#);
        let broken = KeyValue {
            key: "k".into(),
            value: b"[1]".to_vec().into(),
            create_revision: 1,
            mod_revision: 1,
        };
        assert_eq!(
            write_item(&broken, true, &mut Vec::new()).unwrap_err().code,
            500
        );
    }
}
