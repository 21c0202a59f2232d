//! The patch never panics: every pairing of odd shapes, at every interesting field of every
//! kind, yields `Ok` or `Err`.

use kubelite_patch::strategic_merge_patch;
use serde_json::{Value, json};

/// Odd values to put wherever a field is expected.
fn odd_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!("s"),
        json!(true),
        json!([]),
        json!({}),
        json!([null]),
        json!([null, 1]),
        json!([1, null]),
        json!([[1], [2]]),
        json!([{}, "a"]),
        json!(["a", "a", "b", "a"]),
        json!([{"name": "a"}, {"name": "a"}, {"name": null}]),
        json!([{"name": {"x": 1}}, {"name": [1]}]),
        json!([{"$patch": "delete"}]),
        json!([{"$patch": "delete", "name": "a", "port": 80, "containerPort": 80, "type": "T"}]),
        json!([{"$patch": "replace"}, {"$patch": "replace"}]),
        json!([{"$patch": "merge"}]),
        json!([{"$patch": 7}]),
        json!([{"$patch": null, "name": "a"}]),
        json!({"$patch": "delete"}),
        json!({"$patch": "replace", "a": null}),
        json!({"$patch": ["x"]}),
        json!({"$retainKeys": "x"}),
        json!({"$retainKeys": [1, null, "a"], "a": 1}),
        json!({"$retainKeys": [[1]], "b": null}),
        json!({"$setElementOrder/name": [{"name": 1}], "name": "x"}),
        json!({"$setElementOrder/": [1], "": [1]}),
        json!({"$setElementOrder/x": null}),
        json!({"$setElementOrder/x": [], "x": []}),
        json!({"$setElementOrder/x": [{}, {"a": 1}], "x": [{"a": 1}]}),
        json!({"$deleteFromPrimitiveList/": [1]}),
        json!({"$deleteFromPrimitiveList/x": "y", "x": ["y"]}),
        json!({"$deleteFromPrimitiveList/x": [{}], "x": [{}]}),
        json!({"$deleteFromPrimitiveList/x": [[1]], "x": [[1]]}),
        json!({"a": {"b": {"c": null, "d": [null, {"e": null}]}}}),
    ]
}

/// Paths (within each kind) where the odd values are planted.
const PATHS: &[&[&str]] = &[
    &[],
    &["metadata"],
    &["metadata", "finalizers"],
    &["metadata", "ownerReferences"],
    &["metadata", "labels"],
    &["spec"],
    &["spec", "containers"],
    &["spec", "volumes"],
    &["spec", "ports"],
    &["spec", "podCIDRs"],
    &["spec", "tolerations"],
    &["status", "conditions"],
    &["status", "addresses"],
    &["subsets"],
    &["secrets"],
];

const KINDS: &[&str] = &[
    "Pod",
    "Service",
    "Endpoints",
    "EndpointSlice",
    "Node",
    "Namespace",
    "Event",
    "ServiceAccount",
];

fn plant(path: &[&str], value: &Value) -> Value {
    path.iter()
        .rev()
        .fold(value.clone(), |inner, key| json!({ *key: inner }))
}

#[test]
fn odd_shapes_never_panic() {
    let values = odd_values();
    let mut outcomes = (0, 0);
    for kind in KINDS {
        for path in PATHS {
            for original in &values {
                for patch in &values {
                    let result =
                        strategic_merge_patch(kind, &plant(path, original), &plant(path, patch));
                    match result {
                        Ok(_) => outcomes.0 += 1,
                        Err(_) => outcomes.1 += 1,
                    }
                }
            }
        }
    }
    // Both outcomes occur; the point is that nothing panicked getting here.
    assert!(outcomes.0 > 0 && outcomes.1 > 0, "{outcomes:?}");
}

#[test]
fn odd_whole_documents_never_panic() {
    let values = odd_values();
    for original in &values {
        for patch in &values {
            let result = strategic_merge_patch("Pod", original, patch);
            if let Ok(v) = result {
                assert!(
                    v.is_object(),
                    "a successful patch always yields an object: {v}"
                );
            }
        }
    }
}

#[test]
fn results_carry_no_directives() {
    let values = odd_values();
    fn has_directive(v: &Value) -> bool {
        match v {
            Value::Object(m) => m
                .iter()
                .any(|(k, c)| k.starts_with('$') || c.is_null() || has_directive(c)),
            Value::Array(items) => items.iter().any(has_directive),
            _ => false,
        }
    }
    for path in PATHS {
        for patch in &values {
            if let Ok(v) = strategic_merge_patch("Pod", &json!({}), &plant(path, patch)) {
                assert!(!has_directive(&v), "{v}");
            }
        }
    }
}
