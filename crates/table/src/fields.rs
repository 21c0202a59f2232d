//! Reading object fields with Go zero-value semantics.
//!
//! The upstream printers run on decoded Go structs, where an absent field is `""`, `0`, `false`,
//! an empty slice or a nil pointer. These helpers give the same view of a JSON object: every
//! lookup is total, and a missing or mistyped field reads as its zero value. `null` counts as
//! absent, as it does for a Go pointer.

use serde_json::Value;

/// The value at `path`, if present and not `null`.
pub(crate) fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(v, |cur, key| cur.get(key))
        .filter(|found| !found.is_null())
}

/// Whether `path` holds a non-null value (a Go pointer that is not nil).
pub(crate) fn present(v: &Value, path: &[&str]) -> bool {
    get(v, path).is_some()
}

/// The string at `path`, or `""`.
pub(crate) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

/// The integer at `path`, or `0`.
pub(crate) fn int_at(v: &Value, path: &[&str]) -> i64 {
    get(v, path).and_then(Value::as_i64).unwrap_or(0)
}

/// The boolean at `path`, or `false`.
pub(crate) fn bool_at(v: &Value, path: &[&str]) -> bool {
    get(v, path).and_then(Value::as_bool).unwrap_or(false)
}

/// The array at `path`, or an empty slice.
pub(crate) fn list_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The string-to-string map at `path` (labels, selectors) as `(key, value)` pairs in key order.
/// Non-string values read as `""`.
pub(crate) fn string_map_at<'a>(v: &'a Value, path: &[&str]) -> Vec<(&'a str, &'a str)> {
    let mut pairs: Vec<(&str, &str)> = get(v, path)
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_null_and_mistyped_fields_read_as_zero_values() {
        let v = json!({"a": {"s": "x", "n": 3, "b": true, "l": [1], "nul": null, "m": {"z": "1", "a": "2"}}});
        assert_eq!(str_at(&v, &["a", "s"]), "x");
        assert_eq!(str_at(&v, &["a", "n"]), "");
        assert_eq!(str_at(&v, &["a", "missing", "deeper"]), "");
        assert_eq!(int_at(&v, &["a", "n"]), 3);
        assert_eq!(int_at(&v, &["a", "s"]), 0);
        assert!(bool_at(&v, &["a", "b"]));
        assert!(!bool_at(&v, &["a", "nul"]));
        assert_eq!(list_at(&v, &["a", "l"]).len(), 1);
        assert!(list_at(&v, &["a", "s"]).is_empty());
        assert!(present(&v, &["a", "s"]));
        assert!(!present(&v, &["a", "nul"]));
        assert_eq!(string_map_at(&v, &["a", "m"]), vec![("a", "2"), ("z", "1")]);
        assert!(string_map_at(&v, &["a", "nul"]).is_empty());
    }
}
