//! Small accessors for object metadata held as JSON, and the server's clock format.

use jiff::Timestamp;
use serde_json::{Map, Value};

/// RFC 3339 with second precision in UTC, as `metav1.Time` serialises.
pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

pub fn name(obj: &Value) -> &str {
    str_at(obj, &["metadata", "name"]).unwrap_or("")
}

pub fn namespace(obj: &Value) -> Option<&str> {
    str_at(obj, &["metadata", "namespace"])
}

pub fn uid(obj: &Value) -> &str {
    str_at(obj, &["metadata", "uid"]).unwrap_or("")
}

pub fn resource_version(obj: &Value) -> Option<&str> {
    str_at(obj, &["metadata", "resourceVersion"]).filter(|s| !s.is_empty())
}

/// `metadata`, created as an empty map when missing or not a map.
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let map = obj.as_object_mut().expect("object");
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut().expect("metadata object")
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    obj.get("metadata")
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub fn is_deleting(obj: &Value) -> bool {
    obj.get("metadata")
        .and_then(|m| m.get("deletionTimestamp"))
        .is_some_and(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accessors() {
        let mut o = json!({"metadata": {"name": "a", "namespace": "ns", "labels": {"x": "1"}, "finalizers": ["f"]}});
        assert_eq!(name(&o), "a");
        assert_eq!(namespace(&o), Some("ns"));
        assert_eq!(finalizers(&o), vec!["f".to_string()]);
        assert!(!is_deleting(&o));
        metadata_mut(&mut o).insert("deletionTimestamp".into(), json!("2026-01-01T00:00:00Z"));
        assert!(is_deleting(&o));
        let mut bad = json!(3);
        metadata_mut(&mut bad).insert("name".into(), json!("b"));
        assert_eq!(name(&bad), "b");
        assert_eq!(
            format_time("2026-11-26T06:10:14.5Z".parse().unwrap()),
            "2026-11-26T06:10:14Z"
        );
    }
}
