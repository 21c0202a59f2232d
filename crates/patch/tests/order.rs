//! `$setElementOrder/<field>`: cases from upstream's patch_test.go ("preserve order",
//! "server-only items", duplicates) replayed on real schema fields, plus upstream's quirks.

mod support;

use serde_json::{Value, json};
use support::{Case, check_all};

fn names(ns: &[i64]) -> Value {
    Value::Array(ns.iter().map(|n| json!({"name": n})).collect())
}

fn containers(list: Value) -> Value {
    json!({"spec": {"containers": list}})
}

#[test]
fn set_element_order() {
    check_all(vec![
        Case {
            name: "add and delete an item and preserve order (upstream)",
            kind: "Pod",
            original: containers(
                json!([{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}, {"name": 3, "value": 3}]),
            ),
            patch: json!({"spec": {
                "$setElementOrder/containers": names(&[4, 2, 1]),
                "containers": [{"name": 4, "value": 4}, {"name": 3, "$patch": "delete"}]
            }}),
            want: containers(
                json!([{"name": 4, "value": 4}, {"name": 2, "value": 2, "other": "b"}, {"name": 1, "other": "a"}]),
            ),
        },
        Case {
            name: "set elements order with a server-only item at the end (upstream)",
            kind: "Pod",
            original: containers(
                json!([{"name": 1, "other": "a"}, {"name": 3}, {"name": 4}, {"name": 2}, {"name": 9}]),
            ),
            patch: json!({"spec": {"$setElementOrder/containers": names(&[4, 2, 3, 1])}}),
            want: containers(
                json!([{"name": 4}, {"name": 2}, {"name": 3}, {"name": 1, "other": "a"}, {"name": 9}]),
            ),
        },
        Case {
            name: "set elements order with a server-only item in the middle (upstream 2)",
            kind: "Pod",
            original: containers(names(&[1, 2, 9, 3, 4])),
            patch: json!({"spec": {"$setElementOrder/containers": names(&[2, 1, 4, 3])}}),
            want: containers(names(&[2, 1, 9, 4, 3])),
        },
        Case {
            name: "set elements order with several server-only items (upstream 3)",
            kind: "Pod",
            original: containers(names(&[1, 2, 7, 9, 8, 3, 4])),
            patch: json!({"spec": {"$setElementOrder/containers": names(&[2, 1, 4, 3])}}),
            want: containers(names(&[2, 1, 7, 9, 8, 4, 3])),
        },
        Case {
            name: "duplicates in a merging list (upstream)",
            kind: "Pod",
            original: containers(
                json!([{"name": 1}, {"name": 2, "value": "dup1"}, {"name": 3}, {"name": 2, "value": "dup2"}, {"name": 4}]),
            ),
            patch: json!({"spec": {"$setElementOrder/containers": names(&[2, 1, 4, 3, 2])}}),
            want: containers(
                json!([{"name": 2, "value": "dup1"}, {"name": 2, "value": "dup2"}, {"name": 1}, {"name": 4}, {"name": 3}]),
            ),
        },
        Case {
            name: "duplicates in a merging int list (upstream)",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": [1, 2, 3, 2, 4]}}),
            patch: json!({"metadata": {"$setElementOrder/finalizers": [2, 1, 4, 3, 2]}}),
            want: json!({"metadata": {"finalizers": [2, 2, 1, 4, 3]}}),
        },
        Case {
            name: "order list naming items the list lacks (upstream)",
            kind: "Pod",
            original: containers(names(&[1, 3])),
            patch: json!({"spec": {
                "$setElementOrder/containers": names(&[3, 2, 1]),
                "containers": [{"name": 3, "value": 3}, {"name": 1, "value": 1}]
            }}),
            want: containers(json!([{"name": 3, "value": 3}, {"name": 1, "value": 1}])),
        },
        Case {
            name: "int list order naming values the list lacks (upstream)",
            kind: "Node",
            original: json!({"spec": {"podCIDRs": [1, 3]}}),
            patch: json!({"spec": {"$setElementOrder/podCIDRs": [3, 2, 1]}}),
            want: json!({"spec": {"podCIDRs": [3, 1]}}),
        },
        Case {
            name: "a live-only item before reordered items stays first",
            kind: "Pod",
            original: containers(names(&[1, 2, 3])),
            patch: json!({"spec": {"$setElementOrder/containers": names(&[3, 1])}}),
            want: containers(names(&[2, 3, 1])),
        },
        Case {
            name: "setElementOrder for a list the live object lacks",
            kind: "Pod",
            original: json!({"spec": {}}),
            patch: json!({"spec": {
                "$setElementOrder/containers": names(&[2, 1]),
                "containers": [{"name": 2}, {"name": 1}, {"$patch": "delete", "name": 9}]
            }}),
            want: containers(names(&[2, 1])),
        },
        Case {
            name: "setElementOrder for a list neither side has is ignored",
            kind: "Pod",
            original: json!({"spec": {"nodeName": "n"}}),
            patch: json!({"spec": {"$setElementOrder/containers": names(&[1])}}),
            want: json!({"spec": {"nodeName": "n"}}),
        },
        Case {
            name: "setElementOrder alone reorders a live scalar list",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "c", "args": ["x", "y"]}]}}),
            patch: json!({"spec": {"containers": [{"name": "c", "$setElementOrder/args": ["y", "x"]}]}}),
            want: json!({"spec": {"containers": [{"name": "c", "args": ["y", "x"]}]}}),
        },
        Case {
            name: "upstream's in-place delete+append shapes the live order (Go slice aliasing)",
            kind: "Pod",
            // Go deletes "b" by shifting [a b c] to [a c c] and appends "d" into the freed
            // slot, so the ordering step sees the live order [a c d], not [a b c].
            original: containers(json!([{"name": "a"}, {"name": "b"}, {"name": "c"}])),
            patch: json!({"spec": {
                "$setElementOrder/containers": [{"name": "a"}, {"name": "d"}],
                "containers": [{"$patch": "delete", "name": "b"}, {"name": "d", "image": "x"}]
            }}),
            want: containers(json!([{"name": "a"}, {"name": "c"}, {"name": "d", "image": "x"}])),
        },
        Case {
            name: "kubectl adding a finalizer keeps server-added ones",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": ["srv/one", "mine/a"]}}),
            patch: json!({"metadata": {
                "$setElementOrder/finalizers": ["mine/a", "mine/b"],
                "finalizers": ["mine/b"]
            }}),
            want: json!({"metadata": {"finalizers": ["srv/one", "mine/a", "mine/b"]}}),
        },
    ]);
}
