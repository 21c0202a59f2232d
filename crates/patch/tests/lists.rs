//! Lists: merge by key, `$patch` items, primitive merge lists, `$deleteFromPrimitiveList`,
//! atomic lists, for every kind in the schema.

mod support;

use serde_json::json;
use support::{Case, check_all};

#[test]
fn merge_by_key() {
    check_all(vec![
        Case {
            name: "matching item merged, new item placed before live-only items (no order directive)",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}),
            patch: json!({"spec": {"containers": [{"name": "a", "image": "2"}, {"name": "c", "image": "1"}]}}),
            want: json!({"spec": {"containers": [
                {"name": "a", "image": "2"}, {"name": "c", "image": "1"}, {"name": "b", "image": "1"}
            ]}}),
        },
        Case {
            name: "patch order wins over live order for patched items (upstream 'preserve order 2')",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": 1}, {"name": 2, "value": "b"}, {"name": 3}]}}),
            patch: json!({"spec": {"containers": [{"name": 3, "value": "c"}, {"name": 1, "value": "a"}]}}),
            want: json!({"spec": {"containers": [
                {"name": 2, "value": "b"}, {"name": 3, "value": "c"}, {"name": 1, "value": "a"}
            ]}}),
        },
        Case {
            name: "container ports merge by integer containerPort",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "a", "ports": [
                {"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443, "protocol": "TCP"}
            ]}]}}),
            patch: json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 443, "name": "https"}]}]}}),
            want: json!({"spec": {"containers": [{"name": "a", "ports": [
                {"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443, "protocol": "TCP", "name": "https"}
            ]}]}}),
        },
        Case {
            name: "env, volumeMounts, volumeDevices merge in init and ephemeral containers too",
            kind: "Pod",
            original: json!({"spec": {
                "initContainers": [{"name": "i", "env": [{"name": "A", "value": "1"}],
                                    "volumeMounts": [{"mountPath": "/a", "name": "v"}]}],
                "ephemeralContainers": [{"name": "dbg", "volumeDevices": [{"devicePath": "/dev/x", "name": "d"}]}]
            }}),
            patch: json!({"spec": {
                "initContainers": [{"name": "i", "env": [{"name": "A", "value": "2"}],
                                    "volumeMounts": [{"mountPath": "/a", "readOnly": true}]}],
                "ephemeralContainers": [{"name": "dbg", "volumeDevices": [{"devicePath": "/dev/x", "name": "e"}]}]
            }}),
            want: json!({"spec": {
                "initContainers": [{"name": "i", "env": [{"name": "A", "value": "2"}],
                                    "volumeMounts": [{"mountPath": "/a", "name": "v", "readOnly": true}]}],
                "ephemeralContainers": [{"name": "dbg", "volumeDevices": [{"devicePath": "/dev/x", "name": "e"}]}]
            }}),
        },
        Case {
            name: "imagePullSecrets, hostAliases, topologySpreadConstraints, schedulingGates merge",
            kind: "Pod",
            original: json!({"spec": {
                "imagePullSecrets": [{"name": "a"}],
                "hostAliases": [{"ip": "1.1.1.1", "hostnames": ["a"]}],
                "topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 1}],
                "schedulingGates": [{"name": "g1"}]
            }}),
            patch: json!({"spec": {
                "imagePullSecrets": [{"name": "a"}],
                "hostAliases": [{"ip": "1.1.1.1", "hostnames": ["b"]}],
                "topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 2}],
                "schedulingGates": [{"$patch": "delete", "name": "g1"}]
            }}),
            want: json!({"spec": {
                "imagePullSecrets": [{"name": "a"}],
                "hostAliases": [{"ip": "1.1.1.1", "hostnames": ["b"]}],
                "topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": 2}],
                "schedulingGates": []
            }}),
        },
        Case {
            name: "ownerReferences merge by uid",
            kind: "Pod",
            original: json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "rs", "controller": true}]}}),
            patch: json!({"metadata": {"ownerReferences": [{"uid": "1", "blockOwnerDeletion": true}]}}),
            want: json!({"metadata": {"ownerReferences": [
                {"uid": "1", "name": "rs", "controller": true, "blockOwnerDeletion": true}
            ]}}),
        },
        Case {
            name: "pod status conditions by type, podIPs by ip",
            kind: "Pod",
            original: json!({"status": {
                "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
                "podIPs": [{"ip": "10.0.0.1"}]
            }}),
            patch: json!({"status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "podIPs": [{"ip": "fd00::1"}]
            }}),
            want: json!({"status": {
                "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}],
                "podIPs": [{"ip": "fd00::1"}, {"ip": "10.0.0.1"}]
            }}),
        },
        Case {
            name: "service status conditions by type",
            kind: "Service",
            original: json!({"status": {"conditions": [{"type": "A", "status": "True"}]}}),
            patch: json!({"status": {"conditions": [{"type": "A", "status": "False", "reason": "R"}]}}),
            want: json!({"status": {"conditions": [{"type": "A", "status": "False", "reason": "R"}]}}),
        },
        Case {
            name: "node addresses and conditions by type",
            kind: "Node",
            original: json!({"status": {
                "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "Hostname", "address": "n1"}],
                "conditions": [{"type": "Ready", "status": "False"}]
            }}),
            patch: json!({"status": {
                "addresses": [{"type": "InternalIP", "address": "10.0.0.2"}],
                "conditions": [{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}]
            }}),
            want: json!({"status": {
                "addresses": [{"type": "InternalIP", "address": "10.0.0.2"}, {"type": "Hostname", "address": "n1"}],
                "conditions": [{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}]
            }}),
        },
        Case {
            name: "namespace status conditions by type",
            kind: "Namespace",
            original: json!({"status": {"phase": "Active", "conditions": [{"type": "X", "status": "True"}]}}),
            patch: json!({"status": {"phase": "Terminating", "conditions": [{"type": "Y", "status": "True"}]}}),
            want: json!({"status": {"phase": "Terminating",
                                    "conditions": [{"type": "Y", "status": "True"}, {"type": "X", "status": "True"}]}}),
        },
        Case {
            name: "service account secrets by name",
            kind: "ServiceAccount",
            original: json!({"secrets": [{"name": "a"}], "imagePullSecrets": [{"name": "p"}]}),
            patch: json!({"secrets": [{"name": "b"}], "imagePullSecrets": [{"name": "q"}]}),
            want: json!({"secrets": [{"name": "b"}, {"name": "a"}], "imagePullSecrets": [{"name": "q"}]}),
        },
        Case {
            name: "duplicate keys in the patch merge into one appended item",
            kind: "Pod",
            original: json!({"spec": {"containers": []}}),
            patch: json!({"spec": {"containers": [{"name": "x", "image": "a"}, {"name": "x", "args": ["b"]}]}}),
            want: json!({"spec": {"containers": [{"name": "x", "image": "a", "args": ["b"]}]}}),
        },
        Case {
            name: "nulls inside an appended item are dropped, inside a merged item they delete",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "a", "image": "i", "workingDir": "/"}]}}),
            patch: json!({"spec": {"containers": [{"name": "a", "workingDir": null}, {"name": "b", "image": null}]}}),
            want: json!({"spec": {"containers": [{"name": "a", "image": "i"}, {"name": "b"}]}}),
        },
    ]);
}

#[test]
fn patch_items_in_lists() {
    check_all(vec![
        Case {
            name: "$patch: delete removes the item",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}),
            patch: json!({"spec": {"containers": [{"$patch": "delete", "name": "b"}]}}),
            want: json!({"spec": {"containers": [{"name": "a"}, {"name": "c"}]}}),
        },
        Case {
            name: "$patch: delete of a missing item is a no-op",
            kind: "Service",
            original: json!({"spec": {"ports": [{"port": 80}]}}),
            patch: json!({"spec": {"ports": [{"$patch": "delete", "port": 81}]}}),
            want: json!({"spec": {"ports": [{"port": 80}]}}),
        },
        Case {
            name: "$patch: delete removes every item with the key",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "c", "env": [
                {"name": "A", "value": "1"}, {"name": "B"}, {"name": "A", "value": "2"}
            ]}]}}),
            patch: json!({"spec": {"containers": [{"name": "c", "env": [{"$patch": "delete", "name": "A"}]}]}}),
            want: json!({"spec": {"containers": [{"name": "c", "env": [{"name": "B"}]}]}}),
        },
        Case {
            name: "$patch: replace item replaces the list with the other items",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b"}]}}),
            patch: json!({"spec": {"containers": [{"$patch": "replace"}, {"name": "x", "image": "y"}]}}),
            want: json!({"spec": {"containers": [{"name": "x", "image": "y"}]}}),
        },
        Case {
            name: "$patch: replace with deletions and items on both sides",
            kind: "Pod",
            original: json!({"spec": {"volumes": [{"name": "a"}, {"name": "b"}]}}),
            patch: json!({"spec": {"volumes": [{"name": "y"}, {"$patch": "replace"}, {"$patch": "delete", "name": "a"}, {"name": "x"}]}}),
            want: json!({"spec": {"volumes": [{"name": "y"}, {"name": "x"}]}}),
        },
        Case {
            name: "$patch: replace alone empties the list",
            kind: "Node",
            original: json!({"status": {"conditions": [{"type": "Ready"}]}}),
            patch: json!({"status": {"conditions": [{"$patch": "replace"}]}}),
            want: json!({"status": {"conditions": []}}),
        },
        Case {
            name: "new merge list: $patch items are dropped",
            kind: "Pod",
            original: json!({"spec": {}}),
            patch: json!({"spec": {"initContainers": [{"name": "i"}, {"$patch": "delete", "name": "z"}]}}),
            want: json!({"spec": {"initContainers": [{"name": "i"}]}}),
        },
    ]);
}

#[test]
fn primitive_lists() {
    check_all(vec![
        Case {
            name: "primitive merge list: union without duplicates",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": ["a", "b"]}}),
            patch: json!({"metadata": {"finalizers": ["b", "c"]}}),
            want: json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
        },
        Case {
            name: "primitive merge list: patch order and new values first",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": ["a", "b"]}}),
            patch: json!({"metadata": {"finalizers": ["c", "a"]}}),
            want: json!({"metadata": {"finalizers": ["c", "a", "b"]}}),
        },
        Case {
            name: "primitive merge list of ints (upstream 'preserve order int list')",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": [1, 2, 3]}}),
            patch: json!({"metadata": {"finalizers": [3, 1]}}),
            want: json!({"metadata": {"finalizers": [2, 3, 1]}}),
        },
        Case {
            name: "node podCIDRs merge",
            kind: "Node",
            original: json!({"spec": {"podCIDRs": ["10.0.0.0/24"]}}),
            patch: json!({"spec": {"podCIDRs": ["10.0.0.0/24", "fd00::/64"]}}),
            want: json!({"spec": {"podCIDRs": ["10.0.0.0/24", "fd00::/64"]}}),
        },
        Case {
            name: "$deleteFromPrimitiveList removes values",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": ["a", "b", "c", "b"]}}),
            patch: json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zz"]}}),
            want: json!({"metadata": {"finalizers": ["a", "c"]}}),
        },
        Case {
            name: "$deleteFromPrimitiveList on a missing list adds nothing",
            kind: "Pod",
            original: json!({"metadata": {"name": "p"}}),
            patch: json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
            want: json!({"metadata": {"name": "p"}}),
        },
        Case {
            name: "$deleteFromPrimitiveList with null deletes the whole list (upstream)",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": ["a"]}}),
            patch: json!({"metadata": {"$deleteFromPrimitiveList/finalizers": null}}),
            want: json!({"metadata": {}}),
        },
        Case {
            name: "$deleteFromPrimitiveList and additions together",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": ["a", "b"]}}),
            patch: json!({"metadata": {"finalizers": ["d"], "$deleteFromPrimitiveList/finalizers": ["a"]}}),
            want: json!({"metadata": {"finalizers": ["d", "b"]}}),
        },
        Case {
            name: "$deleteFromPrimitiveList works on untagged scalar lists too",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "c", "args": ["-v", "-x", "-y"]}]}}),
            patch: json!({"spec": {"containers": [{"name": "c", "$deleteFromPrimitiveList/args": ["-x"]}]}}),
            want: json!({"spec": {"containers": [{"name": "c", "args": ["-v", "-y"]}]}}),
        },
    ]);
}

#[test]
fn atomic_lists() {
    check_all(vec![
        Case {
            name: "tolerations are replaced",
            kind: "Pod",
            original: json!({"spec": {"tolerations": [{"key": "a"}, {"key": "b"}]}}),
            patch: json!({"spec": {"tolerations": [{"key": "c"}]}}),
            want: json!({"spec": {"tolerations": [{"key": "c"}]}}),
        },
        Case {
            name: "atomic lists are copied verbatim: $patch items become plain items",
            kind: "Pod",
            original: json!({"spec": {"tolerations": [{"key": "a"}]}}),
            patch: json!({"spec": {"tolerations": [{"$patch": "delete", "key": "a", "effect": null}]}}),
            want: json!({"spec": {"tolerations": [{"key": "a"}]}}),
        },
        Case {
            name: "envFrom, command and container statuses are replaced",
            kind: "Pod",
            original: json!({"spec": {"containers": [{"name": "c", "command": ["a"], "envFrom": [{"prefix": "X"}]}]},
                             "status": {"containerStatuses": [{"name": "c", "ready": false, "restartCount": 1}]}}),
            patch: json!({"spec": {"containers": [{"name": "c", "command": ["b"], "envFrom": []}]},
                          "status": {"containerStatuses": [{"name": "c", "ready": true}]}}),
            want: json!({"spec": {"containers": [{"name": "c", "command": ["b"], "envFrom": []}]},
                         "status": {"containerStatuses": [{"name": "c", "ready": true}]}}),
        },
        Case {
            name: "endpoints subsets are replaced",
            kind: "Endpoints",
            original: json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]}),
            patch: json!({"subsets": [{"addresses": [{"ip": "10.0.0.2"}]}]}),
            want: json!({"subsets": [{"addresses": [{"ip": "10.0.0.2"}]}]}),
        },
        Case {
            name: "endpointslice endpoints and ports are replaced",
            kind: "EndpointSlice",
            original: json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}],
                             "ports": [{"name": "", "port": 80}]}),
            patch: json!({"endpoints": [{"addresses": ["10.0.0.2"], "conditions": {"ready": true}}],
                          "ports": [{"name": "http", "port": 8080}]}),
            want: json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.2"], "conditions": {"ready": true}}],
                         "ports": [{"name": "http", "port": 8080}]}),
        },
        Case {
            name: "node taints and namespace spec.finalizers are replaced",
            kind: "Node",
            original: json!({"spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}}),
            patch: json!({"spec": {"taints": [{"key": "b", "effect": "NoExecute"}]}}),
            want: json!({"spec": {"taints": [{"key": "b", "effect": "NoExecute"}]}}),
        },
        Case {
            name: "namespace spec.finalizers are replaced, metadata.finalizers merge",
            kind: "Namespace",
            original: json!({"metadata": {"finalizers": ["x"]}, "spec": {"finalizers": ["kubernetes"]}}),
            patch: json!({"metadata": {"finalizers": ["y"]}, "spec": {"finalizers": []}}),
            want: json!({"metadata": {"finalizers": ["y", "x"]}, "spec": {"finalizers": []}}),
        },
        Case {
            name: "managedFields are replaced",
            kind: "Service",
            original: json!({"metadata": {"managedFields": [{"manager": "a"}, {"manager": "b"}]}}),
            patch: json!({"metadata": {"managedFields": [{"manager": "c"}]}}),
            want: json!({"metadata": {"managedFields": [{"manager": "c"}]}}),
        },
    ]);
}
