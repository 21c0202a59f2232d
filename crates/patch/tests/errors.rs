//! Malformed patches fail with upstream's exact message and the apiserver's status code.

use kubelite_patch::{PatchError, strategic_merge_patch};
use serde_json::{Value, json};

fn check_errors(cases: Vec<(&str, &str, Value, Value, &str, u16)>) {
    for (name, kind, original, patch, message, status) in cases {
        match strategic_merge_patch(kind, &original, &patch) {
            Ok(v) => panic!("case {name:?}: expected an error, got {v}"),
            Err(e) => {
                assert_eq!(e.to_string(), message, "case {name:?}");
                assert_eq!(e.status_code(), status, "case {name:?}");
            }
        }
    }
}

#[test]
fn malformed_documents() {
    check_errors(vec![
        (
            "unknown kind",
            "Widget",
            json!({}),
            json!({}),
            "strategic merge patch format is not supported",
            400,
        ),
        (
            "patch is an array",
            "Pod",
            json!({}),
            json!([1]),
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
            400,
        ),
        (
            "patch is a number",
            "Pod",
            json!({}),
            json!(3),
            "json: cannot unmarshal number into Go value of type map[string]interface {}",
            400,
        ),
        (
            "patch is a string",
            "Pod",
            json!({}),
            json!("x"),
            "json: cannot unmarshal string into Go value of type map[string]interface {}",
            400,
        ),
        (
            "patch is a bool",
            "Pod",
            json!({}),
            json!(true),
            "json: cannot unmarshal bool into Go value of type map[string]interface {}",
            400,
        ),
        (
            "original is not an object",
            "Pod",
            json!([1]),
            json!({}),
            "invalid JSON document",
            400,
        ),
    ]);
}

#[test]
fn bad_directives() {
    check_errors(vec![
        (
            "unknown $patch on an object",
            "Pod",
            json!({"metadata": {}}),
            json!({"metadata": {"$patch": "explode", "name": "x"}}),
            "unknown patch type: explode in map: map[$patch:explode name:x]",
            500,
        ),
        (
            "non-string $patch on an object",
            "Pod",
            json!({}),
            json!({"$patch": 5}),
            "unknown patch type: %!s(int64=5) in map: map[$patch:5]",
            500,
        ),
        (
            "null $patch",
            "Pod",
            json!({}),
            json!({"$patch": null}),
            "unknown patch type: %!s(<nil>) in map: map[$patch:<nil>]",
            500,
        ),
        (
            "unknown $patch in a list",
            "Pod",
            json!({"spec": {"containers": [{"name": "a"}]}}),
            json!({"spec": {"containers": [{"$patch": "nope", "name": "a"}]}}),
            "unknown patch type: nope in map: map[$patch:nope name:a]",
            500,
        ),
        (
            "$patch: merge in a list",
            "Pod",
            json!({"spec": {"containers": [{"name": "a"}]}}),
            json!({"spec": {"containers": [{"$patch": "merge"}]}}),
            "merging lists cannot yet be specified in the patch",
            500,
        ),
        (
            "$patch: delete without the merge key",
            "Service",
            json!({"spec": {"ports": [{"port": 80}]}}),
            json!({"spec": {"ports": [{"$patch": "delete", "name": "http"}]}}),
            "map: map[$patch:delete name:http] does not contain declared merge key: port",
            500,
        ),
        (
            "$retainKeys not a list",
            "Pod",
            json!({"spec": {}}),
            json!({"spec": {"$retainKeys": "nodeName"}}),
            "invalid patch format of retainKeys",
            400,
        ),
        (
            "$retainKeys missing a patched key",
            "Pod",
            json!({"spec": {"volumes": [{"name": "v"}]}}),
            json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name"], "emptyDir": {}}]}}),
            "invalid patch format of retainKeys",
            400,
        ),
        (
            "$retainKeys holding an object",
            "Pod",
            json!({"spec": {}}),
            json!({"spec": {"$retainKeys": [{}]}}),
            "runtime error: hash of unhashable type map[string]interface {}",
            500,
        ),
        (
            "$deleteFromPrimitiveList without a field",
            "Pod",
            json!({"metadata": {}}),
            json!({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}),
            "invalid patch format of primitive list",
            400,
        ),
        (
            "$setElementOrder without a field",
            "Pod",
            json!({"spec": {}}),
            json!({"spec": {"$setElementOrder": []}}),
            "invalid patch format of setElementOrder list",
            400,
        ),
        (
            "$setElementOrder not a list",
            "Pod",
            json!({"spec": {}}),
            json!({"spec": {"$setElementOrder/containers": {"name": "a"}}}),
            "expected a []interface {}, but received a map[string]interface {}",
            500,
        ),
        (
            "$setElementOrder with a null list",
            "Pod",
            json!({"spec": {"containers": []}}),
            json!({"spec": {"$setElementOrder/containers": [], "containers": null}}),
            "expected a []interface {}, but received a %!s(<nil>)",
            500,
        ),
        (
            "$setElementOrder on a list that is not a list",
            "Pod",
            json!({"spec": {"containers": "x"}}),
            json!({"spec": {"$setElementOrder/containers": []}}),
            "expected a []interface {}, but received a string",
            500,
        ),
        (
            "$setElementOrder contradicting the patch (upstream)",
            "Pod",
            json!({"spec": {"containers": [{"name": 1}, {"name": 3}, {"name": 2}]}}),
            json!({"spec": {"$setElementOrder/containers": [{"name": 1}, {"name": 2}, {"name": 3}],
                         "containers": [{"name": 3, "value": 3}, {"name": 1, "value": 1}]}}),
            "The order in patch list:\n[map[name:3 value:3] map[name:1 value:1]]\n doesn't match $setElementOrder list:\n[map[name:1] map[name:2] map[name:3]]\n",
            500,
        ),
        (
            "$setElementOrder contradicting an int list (upstream)",
            "Pod",
            json!({"metadata": {"finalizers": [1, 3, 2]}}),
            json!({"metadata": {"$setElementOrder/finalizers": [1, 2, 3], "finalizers": [3, 1]}}),
            "The order in patch list:\n[3 1]\n doesn't match $setElementOrder list:\n[1 2 3]\n",
            500,
        ),
        (
            "$setElementOrder item without the merge key",
            "Pod",
            json!({"spec": {"containers": [{"name": "a"}]}}),
            json!({"spec": {"$setElementOrder/containers": [{"image": "x"}], "containers": [{"name": "a"}]}}),
            "map: map[image:x] does not contain declared merge key: name",
            500,
        ),
        (
            "$setElementOrder on an empty list",
            "Pod",
            json!({"spec": {"containers": []}}),
            json!({"spec": {"$setElementOrder/containers": []}}),
            "no elements in any of the given slices",
            500,
        ),
    ]);
}

#[test]
fn bad_list_items() {
    check_errors(vec![
        (
            "merge item without merge key (upstream)",
            "Pod",
            json!({"spec": {"containers": [{"name": 1, "value": "a"}]}}),
            json!({"spec": {"containers": [{"value": "b"}]}}),
            "map: map[value:b] does not contain declared merge key: name",
            500,
        ),
        (
            "scalar in a list of objects",
            "Pod",
            json!({"spec": {"containers": [{"name": "a"}]}}),
            json!({"spec": {"containers": ["a"]}}),
            "list element types are not identical: [[map[name:a]] [a]]",
            500,
        ),
        (
            "scalars in a merge-by-key list",
            "Pod",
            json!({"spec": {"containers": ["a"]}}),
            json!({"spec": {"containers": ["b"]}}),
            "expected a map[string]interface {}, but received a string",
            500,
        ),
        (
            "list of lists",
            "Pod",
            json!({"metadata": {"finalizers": ["a"]}}),
            json!({"metadata": {"finalizers": [["b"]]}}),
            "list element types are not identical: [[a] [[b]]]",
            500,
        ),
        (
            "list of lists alone",
            "Pod",
            json!({"metadata": {"finalizers": []}}),
            json!({"metadata": {"finalizers": [["b"]]}}),
            "lists of lists are not supported",
            422,
        ),
        (
            "objects in a primitive merge list",
            "Pod",
            json!({"metadata": {"finalizers": []}}),
            json!({"metadata": {"finalizers": [{"a": 1}]}}),
            "cannot merge lists without merge key for string",
            500,
        ),
        (
            "int and float in one list",
            "Node",
            json!({"spec": {"podCIDRs": [1]}}),
            json!({"spec": {"podCIDRs": [1.5]}}),
            "list element types are not identical: [[1] [1.5]]",
            500,
        ),
        (
            "null leading a merge list",
            "Pod",
            json!({"metadata": {"finalizers": []}}),
            json!({"metadata": {"finalizers": [null, "a"]}}),
            "runtime error: invalid memory address or nil pointer dereference",
            500,
        ),
        (
            "object-valued merge keys",
            "Pod",
            json!({"spec": {"containers": [{"name": {"x": 1}}]}}),
            json!({"spec": {"containers": [{"name": {"x": 1}}]}}),
            "runtime error: comparing uncomparable type map[string]interface {}",
            500,
        ),
    ]);
}

#[test]
fn errors_are_matchable() {
    let err = strategic_merge_patch("Pod", &json!({}), &json!([])).unwrap_err();
    assert_eq!(err, PatchError::PatchNotAnObject("array"));
}
