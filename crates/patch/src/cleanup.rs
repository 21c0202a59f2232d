//! Cleaning patch values that end up in the result.
//!
//! Upstream copies parts of the patch into the result in two ways. Where a field is new it
//! first drops `null`s (`discardNullValuesFromPatch`) and `$patch` objects (`removeDirectives`).
//! Elsewhere (appended list items, replaced lists, `$patch: replace` objects) it copies the patch
//! verbatim and lets the decode into the Go struct drop what is left: unknown `$…` keys vanish
//! and `null`s become zero values. [`decode_like_typed`] does that last step on the whole result.

use serde_json::{Map, Value};

use crate::directive::MARKER;

/// `discardNullValuesFromPatch`: drops object entries whose value is `null`, recursively.
pub(crate) fn discard_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, child| !child.is_null());
            map.values_mut().for_each(discard_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

/// `removeDirectives`: objects holding `$patch` disappear (from their parent object or list);
/// `None` when `v` itself is such an object.
pub(crate) fn remove_directives(v: Value) -> Option<Value> {
    match v {
        Value::Object(map) => {
            if map.contains_key(MARKER) {
                return None;
            }
            let kept: Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, child)| remove_directives(child).map(|c| (k, c)))
                .collect();
            Some(Value::Object(kept))
        }
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

/// What decoding the merged map into the typed object keeps: object entries that are `null`
/// or whose key starts with `$` (directives copied verbatim from the patch) are dropped.
pub(crate) fn decode_like_typed(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, child| !child.is_null() && !k.starts_with('$'));
            map.values_mut().for_each(decode_like_typed);
        }
        Value::Array(items) => items.iter_mut().for_each(decode_like_typed),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn discard_nulls_keeps_null_list_items() {
        let mut v = json!({"a": null, "b": {"c": null, "d": 1}, "e": [null, {"f": null}]});
        discard_nulls(&mut v);
        assert_eq!(v, json!({"b": {"d": 1}, "e": [null, {}]}));
    }

    #[test]
    fn remove_directives_drops_whole_objects() {
        let v = json!({"a": {"$patch": "replace", "x": 1}, "b": [{"$patch": "delete"}, 2], "c": 3});
        assert_eq!(remove_directives(v), Some(json!({"b": [2], "c": 3})));
        assert_eq!(remove_directives(json!({"$patch": "delete"})), None);
        assert_eq!(remove_directives(json!(null)), Some(json!(null)));
    }

    #[test]
    fn decode_like_typed_drops_directive_keys_and_nulls() {
        let mut v = json!({
            "$retainKeys": ["a"], "a": null, "b": [{"$patch": "delete", "name": "x", "v": null}],
            "$setElementOrder/ports": [], "c": {"$deleteFromPrimitiveList/f": ["x"], "d": 1}
        });
        decode_like_typed(&mut v);
        assert_eq!(v, json!({"b": [{"name": "x"}], "c": {"d": 1}}));
    }
}
