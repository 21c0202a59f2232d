//! The patches `kubectl apply` (client-side) sends, as recorded in
//! shared/notes/kubectl-wire.md §2, applied to realistic live objects.

mod support;

use serde_json::json;
use support::{Case, check_all};

#[test]
fn kubectl_apply_patches() {
    check_all(vec![
        Case {
            name: "pod: label, port, env and sidecar added (wire §2)",
            kind: "Pod",
            original: json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {
                    "name": "whoami", "namespace": "default", "uid": "u1", "resourceVersion": "7",
                    "labels": {"app": "whoami"},
                    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "old\n"}
                },
                "spec": {
                    "containers": [{
                        "name": "app", "image": "traefik/whoami",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {}, "terminationMessagePath": "/dev/termination-log",
                        "imagePullPolicy": "Always"
                    }],
                    "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                    "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                     "effect": "NoExecute", "tolerationSeconds": 300}]
                },
                "status": {"phase": "Running", "podIP": "10.1.0.8"}
            }),
            patch: json!({
                "metadata": {
                    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new\n"},
                    "labels": {"tier": "web"}
                },
                "spec": {
                    "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
                    "containers": [
                        {
                            "$setElementOrder/ports": [{"containerPort": 80}, {"containerPort": 8080}],
                            "env": [{"name": "FOO", "value": "bar"}],
                            "name": "app",
                            "ports": [{"containerPort": 8080, "name": "alt"}]
                        },
                        {"image": "busybox", "name": "sidecar"}
                    ]
                }
            }),
            want: json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {
                    "name": "whoami", "namespace": "default", "uid": "u1", "resourceVersion": "7",
                    "labels": {"app": "whoami", "tier": "web"},
                    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new\n"}
                },
                "spec": {
                    "containers": [
                        {
                            "name": "app", "image": "traefik/whoami",
                            "ports": [
                                {"containerPort": 80, "protocol": "TCP"},
                                {"containerPort": 8080, "name": "alt"}
                            ],
                            "env": [{"name": "FOO", "value": "bar"}],
                            "resources": {}, "terminationMessagePath": "/dev/termination-log",
                            "imagePullPolicy": "Always"
                        },
                        {"image": "busybox", "name": "sidecar"}
                    ],
                    "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                    "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                     "effect": "NoExecute", "tolerationSeconds": 300}]
                },
                "status": {"phase": "Running", "podIP": "10.1.0.8"}
            }),
        },
        Case {
            name: "service: ports {80} -> {8080,443}, type changed (wire §2)",
            kind: "Service",
            original: json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {
                    "name": "whoami", "namespace": "default",
                    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "old\n"}
                },
                "spec": {
                    "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}],
                    "selector": {"app": "whoami"}, "sessionAffinity": "None", "type": "ClusterIP"
                },
                "status": {"loadBalancer": {}}
            }),
            patch: json!({
                "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new\n"}},
                "spec": {
                    "$setElementOrder/ports": [{"port": 8080}, {"port": 443}],
                    "ports": [
                        {"name": "http", "port": 8080, "targetPort": 80},
                        {"name": "https", "port": 443, "targetPort": 443},
                        {"$patch": "delete", "port": 80}
                    ],
                    "type": "NodePort"
                }
            }),
            want: json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {
                    "name": "whoami", "namespace": "default",
                    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new\n"}
                },
                "spec": {
                    "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
                    "ports": [
                        {"name": "http", "port": 8080, "targetPort": 80},
                        {"name": "https", "port": 443, "targetPort": 443}
                    ],
                    "selector": {"app": "whoami"}, "sessionAffinity": "None", "type": "NodePort"
                },
                "status": {"loadBalancer": {}}
            }),
        },
        Case {
            name: "pod: container removed from the manifest, env var removed",
            kind: "Pod",
            original: json!({"spec": {"containers": [
                {"name": "app", "image": "a", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                {"name": "sidecar", "image": "busybox"}
            ]}}),
            patch: json!({"spec": {
                "$setElementOrder/containers": [{"name": "app"}],
                "containers": [
                    {"$setElementOrder/env": [{"name": "B"}], "env": [{"$patch": "delete", "name": "A"}], "name": "app"},
                    {"$patch": "delete", "name": "sidecar"}
                ]
            }}),
            want: json!({"spec": {"containers": [
                {"name": "app", "image": "a", "env": [{"name": "B", "value": "2"}]}
            ]}}),
        },
        Case {
            name: "pod: field removed from the manifest is sent as null",
            kind: "Pod",
            original: json!({"metadata": {"labels": {"app": "x", "tier": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "a", "workingDir": "/w"}]}}),
            patch: json!({"metadata": {"labels": {"tier": null}},
                           "spec": {"$setElementOrder/containers": [{"name": "app"}],
                                    "containers": [{"name": "app", "workingDir": null}]}}),
            want: json!({"metadata": {"labels": {"app": "x"}},
                          "spec": {"containers": [{"name": "app", "image": "a"}]}}),
        },
        Case {
            name: "pod: volume source switched with $retainKeys",
            kind: "Pod",
            original: json!({"spec": {"volumes": [
                {"name": "data", "emptyDir": {}},
                {"name": "cfg", "configMap": {"name": "cm"}}
            ]}}),
            patch: json!({"spec": {
                "$setElementOrder/volumes": [{"name": "data"}, {"name": "cfg"}],
                "volumes": [{"$retainKeys": ["hostPath", "name"], "hostPath": {"path": "/srv"}, "name": "data"}]
            }}),
            want: json!({"spec": {"volumes": [
                {"name": "data", "hostPath": {"path": "/srv"}},
                {"name": "cfg", "configMap": {"name": "cm"}}
            ]}}),
        },
        Case {
            name: "pod: finalizer added and one removed",
            kind: "Pod",
            original: json!({"metadata": {"finalizers": ["a.io/x", "b.io/y"]}}),
            patch: json!({"metadata": {
                "$deleteFromPrimitiveList/finalizers": ["a.io/x"],
                "$setElementOrder/finalizers": ["b.io/y", "c.io/z"],
                "finalizers": ["c.io/z"]
            }}),
            want: json!({"metadata": {"finalizers": ["b.io/y", "c.io/z"]}}),
        },
        Case {
            name: "service: selector label changed, port renamed",
            kind: "Service",
            original: json!({"spec": {"selector": {"app": "v1"}, "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 30080}
            ]}}),
            patch: json!({"spec": {
                "$setElementOrder/ports": [{"port": 80}],
                "ports": [{"name": "web", "port": 80}],
                "selector": {"app": "v2"}
            }}),
            want: json!({"spec": {"selector": {"app": "v2"}, "ports": [
                {"name": "web", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 30080}
            ]}}),
        },
    ]);
}
