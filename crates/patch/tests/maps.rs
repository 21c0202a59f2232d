//! Objects: recursive merge, `null` deletion, `$patch` on objects, `$retainKeys`, type changes
//! and fields the schema does not know.

mod support;

use serde_json::json;
use support::{Case, check_all};

#[test]
fn object_merge() {
    check_all(vec![
        Case {
            name: "labels merge key by key",
            kind: "Pod",
            original: json!({"metadata": {"name": "p", "labels": {"a": "1"}}}),
            patch: json!({"metadata": {"labels": {"b": "2"}}}),
            want: json!({"metadata": {"name": "p", "labels": {"a": "1", "b": "2"}}}),
        },
        Case {
            name: "null deletes a key and leaves the (empty) map",
            kind: "Pod",
            original: json!({"metadata": {"labels": {"a": "1"}}}),
            patch: json!({"metadata": {"labels": {"a": null}}}),
            want: json!({"metadata": {"labels": {}}}),
        },
        Case {
            name: "null for a key the object lacks is ignored",
            kind: "Pod",
            original: json!({"metadata": {"name": "p"}}),
            patch: json!({"metadata": {"labels": null, "annotations": {"x": null}}}),
            want: json!({"metadata": {"name": "p", "annotations": {}}}),
        },
        Case {
            name: "null deletes a whole subtree",
            kind: "Pod",
            original: json!({"spec": {"securityContext": {"runAsUser": 1}, "nodeName": "n"}}),
            patch: json!({"spec": {"securityContext": null}}),
            want: json!({"spec": {"nodeName": "n"}}),
        },
        Case {
            name: "new subtree keeps values, drops nulls",
            kind: "Pod",
            original: json!({"spec": {}}),
            patch: json!({"spec": {"securityContext": {"runAsUser": 1, "fsGroup": null}}}),
            want: json!({"spec": {"securityContext": {"runAsUser": 1}}}),
        },
        Case {
            name: "new subtree drops objects marked $patch",
            kind: "Pod",
            original: json!({"spec": {}}),
            patch: json!({"spec": {"tolerations": [{"$patch": "delete", "key": "a"}, {"key": "b"}],
                                    "affinity": {"nodeAffinity": {"$patch": "replace"}}}}),
            want: json!({"spec": {"tolerations": [{"key": "b"}], "affinity": {}}}),
        },
        Case {
            name: "scalars are replaced",
            kind: "Pod",
            original: json!({"spec": {"nodeName": "a", "priority": 1, "hostNetwork": false}}),
            patch: json!({"spec": {"nodeName": "b", "priority": 2.5, "hostNetwork": true}}),
            want: json!({"spec": {"nodeName": "b", "priority": 2.5, "hostNetwork": true}}),
        },
        Case {
            name: "a value of another type replaces",
            kind: "Pod",
            original: json!({"spec": {"x": "s", "y": {"a": 1}, "z": [1]}}),
            patch: json!({"spec": {"x": {"a": {"b": null}}, "y": "s", "z": {"k": 1}}}),
            want: json!({"spec": {"x": {"a": {}}, "y": "s", "z": {"k": 1}}}),
        },
        Case {
            name: "unknown fields merge objects and replace lists",
            kind: "Pod",
            original: json!({"spec": {"extra": {"a": 1, "list": [{"name": "x", "v": 1}]}}}),
            patch: json!({"spec": {"extra": {"b": 2, "list": [{"name": "x", "w": 2}]}}}),
            want: json!({"spec": {"extra": {"a": 1, "b": 2, "list": [{"name": "x", "w": 2}]}}}),
        },
        Case {
            name: "an empty patch changes nothing",
            kind: "Node",
            original: json!({"metadata": {"name": "n"}, "spec": {"podCIDRs": ["10.0.0.0/24"]}}),
            patch: json!({}),
            want: json!({"metadata": {"name": "n"}, "spec": {"podCIDRs": ["10.0.0.0/24"]}}),
        },
        Case {
            name: "a null patch is an empty patch",
            kind: "Namespace",
            original: json!({"metadata": {"name": "ns"}}),
            patch: json!(null),
            want: json!({"metadata": {"name": "ns"}}),
        },
        Case {
            name: "a null original is an empty object",
            kind: "Namespace",
            original: json!(null),
            patch: json!({"metadata": {"name": "ns", "labels": {"a": null}}}),
            want: json!({"metadata": {"name": "ns", "labels": {}}}),
        },
        Case {
            name: "event fields merge like any untagged struct",
            kind: "Event",
            original: json!({"count": 1, "involvedObject": {"kind": "Pod", "name": "p"},
                             "source": {"component": "kubelet"}, "message": "a"}),
            patch: json!({"count": 2, "involvedObject": {"uid": "u"}, "message": "b",
                          "lastTimestamp": "2026-01-01T00:00:00Z"}),
            want: json!({"count": 2, "involvedObject": {"kind": "Pod", "name": "p", "uid": "u"},
                         "source": {"component": "kubelet"}, "message": "b",
                         "lastTimestamp": "2026-01-01T00:00:00Z"}),
        },
    ]);
}

#[test]
fn patch_directive_on_objects() {
    check_all(vec![
        Case {
            name: "$patch: replace replaces the object",
            kind: "Pod",
            original: json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
            patch: json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}}}),
            want: json!({"metadata": {"labels": {"c": "3"}}}),
        },
        Case {
            name: "$patch: replace keeps nested patch content verbatim (minus directives and nulls)",
            kind: "Pod",
            original: json!({"spec": {"securityContext": {"runAsUser": 1}}}),
            patch: json!({"spec": {"securityContext": {"$patch": "replace", "fsGroup": 2, "runAsGroup": null}}}),
            want: json!({"spec": {"securityContext": {"fsGroup": 2}}}),
        },
        Case {
            name: "$patch: delete empties the object (upstream returns an empty map)",
            kind: "Pod",
            original: json!({"spec": {"securityContext": {"runAsUser": 1}, "nodeName": "n"}}),
            patch: json!({"spec": {"securityContext": {"$patch": "delete"}}}),
            want: json!({"spec": {"securityContext": {}, "nodeName": "n"}}),
        },
        Case {
            name: "$patch on an object the original lacks adds nothing",
            kind: "Pod",
            original: json!({"spec": {"nodeName": "n"}}),
            patch: json!({"spec": {"securityContext": {"$patch": "replace", "runAsUser": 1},
                                   "affinity": {"$patch": "delete"}}}),
            want: json!({"spec": {"nodeName": "n"}}),
        },
        Case {
            name: "$patch on an object replacing a scalar removes the key",
            kind: "Pod",
            original: json!({"spec": {"odd": "scalar"}}),
            patch: json!({"spec": {"odd": {"$patch": "replace", "a": 1}}}),
            want: json!({"spec": {}}),
        },
        Case {
            name: "top-level $patch: replace returns the patch",
            kind: "Pod",
            original: json!({"metadata": {"name": "old"}, "spec": {"nodeName": "n"}}),
            patch: json!({"$patch": "replace", "metadata": {"name": "new"}}),
            want: json!({"metadata": {"name": "new"}}),
        },
        Case {
            name: "top-level $patch: delete returns an empty object",
            kind: "Pod",
            original: json!({"metadata": {"name": "old"}}),
            patch: json!({"$patch": "delete", "metadata": {"name": "new"}}),
            want: json!({}),
        },
    ]);
}

#[test]
fn retain_keys() {
    check_all(vec![
        Case {
            name: "$retainKeys drops live keys it does not list, then merges",
            kind: "Pod",
            original: json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}),
            patch: json!({"spec": {"volumes": [
                {"name": "v", "$retainKeys": ["configMap", "name"], "configMap": {"name": "cm"}}
            ]}}),
            want: json!({"spec": {"volumes": [{"name": "v", "configMap": {"name": "cm"}}]}}),
        },
        Case {
            name: "$retainKeys ignores null patch values and directive keys",
            kind: "Pod",
            original: json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}, "secret": {"secretName": "s"}}]}}),
            patch: json!({"spec": {"volumes": [
                {"name": "v", "$retainKeys": ["name", "secret"], "emptyDir": null,
                 "$deleteFromPrimitiveList/x": ["a"]}
            ]}}),
            want: json!({"spec": {"volumes": [{"name": "v", "secret": {"secretName": "s"}}]}}),
        },
        Case {
            name: "$retainKeys applies to any object, not only to retainKeys fields",
            kind: "Pod",
            original: json!({"metadata": {"name": "p", "namespace": "d", "labels": {"a": "1"}}}),
            patch: json!({"metadata": {"$retainKeys": ["labels", "name"], "labels": {"b": "2"}}}),
            want: json!({"metadata": {"name": "p", "labels": {"a": "1", "b": "2"}}}),
        },
        Case {
            name: "$retainKeys on a new list item is dropped with the item's directives",
            kind: "Pod",
            original: json!({"spec": {"volumes": [{"name": "a", "emptyDir": {}}]}}),
            patch: json!({"spec": {"volumes": [{"name": "b", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/"}}]}}),
            want: json!({"spec": {"volumes": [{"name": "b", "hostPath": {"path": "/"}}, {"name": "a", "emptyDir": {}}]}}),
        },
    ]);
}
