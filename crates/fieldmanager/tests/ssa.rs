//! Behaviour tests for server-side apply and managedFields, with expected values written from
//! what kube-apiserver 1.33 stores for the same requests.

use kubelite_fieldmanager::{ApplyError, Schema, apply, conflict_causes, conflict_message, update};
use serde_json::{Value, json};

const T0: &str = "2025-01-01T00:00:00Z";
const T1: &str = "2025-01-01T00:01:00Z";
const T2: &str = "2025-01-01T00:02:00Z";

fn managed(obj: &Value) -> Vec<Value> {
    obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `(manager, operation, fieldsV1)` of every entry, in stored order.
fn entries(obj: &Value) -> Vec<(String, String, Value)> {
    managed(obj)
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or("").to_string(),
                e["operation"].as_str().unwrap_or("").to_string(),
                e["fieldsV1"].clone(),
            )
        })
        .collect()
}

fn service_config(target_port: i64) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": target_port}], "type": "ClusterIP"}
    })
}

fn conflicts(r: Result<Value, ApplyError>) -> Vec<kubelite_fieldmanager::Conflict> {
    match r {
        Err(ApplyError::Conflicts(c)) => c,
        other => panic!("expected conflicts, got {other:?}"),
    }
}

#[test]
fn apply_creates_with_one_apply_entry() {
    let obj = apply("Service", None, &service_config(8080), "kubectl", false, T0).unwrap();
    assert_eq!(obj["metadata"]["name"], "web");
    assert_eq!(obj["metadata"]["namespace"], "default");
    assert_eq!(
        obj["spec"]["ports"],
        json!([{"port": 80, "targetPort": 8080}])
    );
    assert_eq!(
        managed(&obj),
        vec![json!({
            "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}, "f:targetPort": {}}},
                    "f:selector": {},
                    "f:type": {}
                }
            }
        })]
    );
    // Key order inside the entry is upstream's.
    let entry = managed(&obj)[0].clone();
    let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "manager",
            "operation",
            "apiVersion",
            "time",
            "fieldsType",
            "fieldsV1"
        ]
    );
}

#[test]
fn pod_apply_fields_v1() {
    let config = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "sleep", "labels": {"app": "sleep"}, "finalizers": ["example.com/x"]},
        "spec": {"containers": [{
            "name": "c", "image": "busybox", "args": ["sleep", "1d"],
            "ports": [{"containerPort": 8080}],
            "env": [{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
        }]},
        "status": {"phase": "Running"}
    });
    let obj = apply("Pod", None, &config, "kubectl", false, T0).unwrap();
    assert!(
        obj.get("status").is_none(),
        "status of the main resource is not applied"
    );
    assert_eq!(
        entries(&obj)[0].2,
        json!({
            "f:metadata": {"f:finalizers": {"v:\"example.com/x\"": {}}, "f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"c\"}": {
                ".": {},
                "f:args": {},
                "f:env": {
                    "k:{\"name\":\"A\"}": {".": {}, "f:name": {}, "f:value": {}},
                    "k:{\"name\":\"B\"}": {".": {}, "f:name": {}, "f:valueFrom": {"f:fieldRef": {}}}
                },
                "f:image": {},
                "f:name": {},
                "f:ports": {"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}
            }}}
        })
    );
}

/// `kubectl run test --image=busybox -- sleep 1d`, as stored after defaulting.
fn kubectl_run_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "test", "namespace": "default", "labels": {"run": "test"}},
        "spec": {
            "containers": [{
                "name": "test", "image": "busybox", "args": ["sleep", "1d"], "resources": {},
                "imagePullPolicy": "Always", "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"
            }],
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30,
            "schedulerName": "default-scheduler", "securityContext": {}, "enableServiceLinks": true
        },
        "status": {"phase": "Pending", "qosClass": "BestEffort"}
    })
}

#[test]
fn update_on_create_matches_kubectl_run() {
    let obj = update("Pod", None, kubectl_run_pod(), "kubectl-run", T0);
    assert_eq!(
        managed(&obj),
        vec![json!({
            "manager": "kubectl-run", "operation": "Update", "apiVersion": "v1", "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {".": {}, "f:run": {}}},
                "f:spec": {
                    "f:containers": {"k:{\"name\":\"test\"}": {
                        ".": {}, "f:args": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                        "f:resources": {}, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}
                    }},
                    "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {},
                    "f:schedulerName": {}, "f:securityContext": {}, "f:terminationGracePeriodSeconds": {}
                }
            }
        })]
    );
}

#[test]
fn update_on_create_matches_kubectl_expose() {
    let svc = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "whoami", "namespace": "default", "labels": {"app": "whoami"}},
        "spec": {
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
            "selector": {"app": "whoami"}, "sessionAffinity": "None", "type": "ClusterIP",
            "internalTrafficPolicy": "Cluster"
        },
        "status": {"loadBalancer": {}}
    });
    let obj = update("Service", None, svc.clone(), "kubectl-expose", T0);
    assert_eq!(
        entries(&obj),
        vec![(
            "kubectl-expose".to_string(),
            "Update".to_string(),
            json!({
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:internalTrafficPolicy": {},
                    "f:ports": {".": {}, "k:{\"port\":80,\"protocol\":\"TCP\"}": {
                        ".": {}, "f:port": {}, "f:protocol": {}, "f:targetPort": {}
                    }},
                    "f:selector": {}, "f:sessionAffinity": {}, "f:type": {}
                }
            })
        )]
    );
}

#[test]
fn reapply_removes_dropped_label_and_keeps_time_when_unchanged() {
    let mut first = service_config(8080);
    first["metadata"]["labels"]["tier"] = json!("front");
    let obj = apply("Service", None, &first, "mgr", false, T0).unwrap();
    assert_eq!(
        obj["metadata"]["labels"],
        json!({"app": "web", "tier": "front"})
    );

    let obj = apply(
        "Service",
        Some(&obj),
        &service_config(8080),
        "mgr",
        false,
        T1,
    )
    .unwrap();
    assert_eq!(obj["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(
        entries(&obj)[0].2["f:metadata"],
        json!({"f:labels": {"f:app": {}}})
    );
    assert_eq!(managed(&obj)[0]["time"], T1);

    let again = apply(
        "Service",
        Some(&obj),
        &service_config(8080),
        "mgr",
        false,
        T2,
    )
    .unwrap();
    assert_eq!(
        again, obj,
        "an identical apply changes nothing, not even the time"
    );
}

#[test]
fn same_value_is_shared_and_survives_one_owner_dropping_it() {
    let a = apply("Service", None, &service_config(8080), "a", false, T0).unwrap();
    let b = apply("Service", Some(&a), &service_config(8080), "b", false, T1).unwrap();
    let names: Vec<String> = entries(&b).into_iter().map(|e| e.0).collect();
    // The object did not change, so b's entry has no time and sorts first (upstream behaviour).
    assert_eq!(names, ["b", "a"]);
    assert!(managed(&b)[0].get("time").is_none());

    let mut smaller = service_config(8080);
    smaller["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("labels");
    let c = apply("Service", Some(&b), &smaller, "b", false, T2).unwrap();
    assert_eq!(
        c["metadata"]["labels"],
        json!({"app": "web"}),
        "still owned by a"
    );
}

#[test]
fn conflicts_with_update_and_apply_managers() {
    // Created by client-side apply, then a different applier changes targetPort.
    let mut created = service_config(8080);
    created["metadata"]["uid"] = json!("u1");
    let live = update(
        "Service",
        None,
        created.clone(),
        "kubectl-client-side-apply",
        T0,
    );
    let c = conflicts(apply(
        "Service",
        Some(&live),
        &service_config(9090),
        "tool",
        false,
        T1,
    ));
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].manager, "kubectl-client-side-apply");
    assert_eq!(
        c[0].field,
        ".spec.ports[port=80,protocol=\"TCP\"].targetPort"
    );
    assert_eq!(
        conflict_message(&c),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .spec.ports[port=80,protocol=\"TCP\"].targetPort"
    );
    assert_eq!(
        conflict_causes(&c),
        vec![(
            "FieldManagerConflict".to_string(),
            "conflict with \"kubectl-client-side-apply\" using v1".to_string(),
            ".spec.ports[port=80,protocol=\"TCP\"].targetPort".to_string()
        )]
    );

    // Two conflicts with an Apply manager: grouped, no "using".
    let live = apply("Service", None, &service_config(8080), "alice", false, T0).unwrap();
    let mut other = service_config(9090);
    other["spec"]["type"] = json!("NodePort");
    let c = conflicts(apply("Service", Some(&live), &other, "bob", false, T1));
    assert_eq!(
        conflict_message(&c),
        "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .spec.type\n- .spec.ports[port=80,protocol=\"TCP\"].targetPort"
    );
}

#[test]
fn force_moves_ownership() {
    let live = apply("Service", None, &service_config(8080), "alice", false, T0).unwrap();
    let obj = apply(
        "Service",
        Some(&live),
        &service_config(9090),
        "bob",
        true,
        T1,
    )
    .unwrap();
    assert_eq!(obj["spec"]["ports"][0]["targetPort"], 9090);
    let e = entries(&obj);
    let alice = &e.iter().find(|x| x.0 == "alice").unwrap().2;
    let bob = &e.iter().find(|x| x.0 == "bob").unwrap().2;
    let key = "k:{\"port\":80,\"protocol\":\"TCP\"}";
    assert!(
        alice["f:spec"]["f:ports"][key]
            .get("f:targetPort")
            .is_none()
    );
    assert!(
        alice["f:spec"]["f:ports"][key].get("f:port").is_some(),
        "unchanged fields stay shared"
    );
    assert!(bob["f:spec"]["f:ports"][key].get("f:targetPort").is_some());
}

#[test]
fn kubectl_apply_after_client_side_apply_uses_last_applied() {
    let mut created = service_config(8080);
    created["metadata"]["uid"] = json!("u1");
    let mut last = service_config(8080);
    last["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("namespace");
    created["metadata"]["annotations"] = json!({
        "kubectl.kubernetes.io/last-applied-configuration": format!("{last}\n")
    });
    let live = update(
        "Service",
        None,
        created.clone(),
        "kubectl-client-side-apply",
        T0,
    );
    let obj = apply(
        "Service",
        Some(&live),
        &service_config(9090),
        "kubectl",
        false,
        T1,
    )
    .unwrap();
    assert_eq!(obj["spec"]["ports"][0]["targetPort"], 9090);
    let ann = obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()
        .unwrap();
    assert!(ann.ends_with('\n') && ann.contains("\"targetPort\":9090"));
}

#[test]
fn update_after_client_side_apply_create() {
    let mut pod = kubectl_run_pod();
    let created = update("Pod", None, pod.clone(), "kubectl-client-side-apply", T0);
    let mut stored = created.clone();
    stored["metadata"]["uid"] = json!("u1");
    pod["metadata"]["uid"] = json!("u1");
    pod["spec"]["containers"][0]["image"] = json!("busybox:1.36");
    pod["metadata"]["managedFields"] = stored["metadata"]["managedFields"].clone();
    let edited = update("Pod", Some(&stored), pod.clone(), "kubectl-edit", T1);
    let e = entries(&edited);
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[0].0.as_str(), e[1].0.as_str()),
        ("kubectl-client-side-apply", "kubectl-edit")
    );
    assert_eq!(
        e[1].2,
        json!({"f:spec": {"f:containers": {"k:{\"name\":\"test\"}": {"f:image": {}}}}})
    );
    assert!(
        e[0].2["f:spec"]["f:containers"]["k:{\"name\":\"test\"}"]
            .get("f:image")
            .is_none()
    );

    // A no-op update keeps the entry and its time.
    let same = update("Pod", Some(&edited), edited.clone(), "kubectl-edit", T2);
    assert_eq!(managed(&same), managed(&edited));
}

#[test]
fn untracked_objects_stay_untracked_until_first_apply() {
    let mut pod = kubectl_run_pod();
    pod["metadata"]["uid"] = json!("u1");
    let updated = update("Pod", Some(&pod), pod.clone(), "kubelet", T0);
    assert!(updated["metadata"].get("managedFields").is_none());

    let config = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test", "labels": {"x": "y"}}});
    let obj = apply("Pod", Some(&pod), &config, "tool", false, T1).unwrap();
    let names: Vec<(String, String)> = entries(&obj).into_iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        names,
        [
            ("tool".to_string(), "Apply".to_string()),
            ("before-first-apply".to_string(), "Update".to_string())
        ]
    );
    assert_eq!(obj["metadata"]["labels"], json!({"run": "test", "x": "y"}));
}

#[test]
fn invalid_requests() {
    let cases = [
        (
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"managedFields": []}}),
            "metadata.managedFields must be nil",
        ),
        (
            json!({"apiVersion": "apps/v1", "kind": "Service"}),
            "invalid object type: apps/v1, Kind=Service",
        ),
        (
            json!({"apiVersion": "v1", "kind": "Pod"}),
            "invalid object type: /v1, Kind=Pod",
        ),
        (
            json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}, {"port": 80}]}}),
            ".spec.ports: duplicate entries for key [port=80,protocol=\"TCP\"]",
        ),
        (
            json!({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"name": "x"}]}}),
            ".spec.ports: element 0: associative list with keys has an element that omits key field \"port\" (and doesn't have default value)",
        ),
    ];
    for (config, want) in cases {
        match apply("Service", None, &config, "m", false, T0) {
            Err(ApplyError::Invalid(msg)) => assert_eq!(msg, want),
            other => panic!("{config}: got {other:?}"),
        }
    }
}

#[test]
fn odd_input_does_not_panic() {
    let odd = [
        json!(null),
        json!([1, 2]),
        json!("x"),
        json!({"metadata": "x", "spec": [1]}),
        json!({"metadata": {"managedFields": [{"manager": "m", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"k:nope": {}}}}]}}),
        json!({"metadata": {"managedFields": "garbage", "labels": [1]}, "spec": {"ports": "x", "selector": 3}}),
        json!({"spec": {"ports": [1, null, {"port": {"a": 1}}], "selector": {"a": null}}}),
    ];
    for v in &odd {
        let _ = update("Service", Some(v), v.clone(), "m", T0);
        let _ = update("Service", None, v.clone(), "m", T0);
        let _ = apply("Service", Some(v), v, "m", false, T0);
        let mut cfg = v.clone();
        if let Value::Object(m) = &mut cfg {
            m.insert("apiVersion".into(), json!("v1"));
            m.insert("kind".into(), json!("Service"));
            if let Some(Value::Object(meta)) = m.get_mut("metadata") {
                meta.remove("managedFields");
            }
        }
        let _ = apply("Service", Some(v), &cfg, "m", true, T0);
        let _ = apply("Service", None, &cfg, "m", false, T0);
    }
}

#[test]
fn schema_table_lookups() {
    let svc = Schema::for_kind("Service").unwrap();
    assert_eq!(
        svc.list_map_keys(&["spec", "ports"]),
        Some(&["port", "protocol"][..])
    );
    assert!(svc.is_atomic(&["spec", "selector"]));
    let pod = Schema::for_kind("Pod").unwrap();
    assert_eq!(
        pod.list_map_keys(&["spec", "containers"]),
        Some(&["name"][..])
    );
    assert_eq!(
        pod.list_map_keys(&["spec", "containers", "ports"]),
        Some(&["containerPort", "protocol"][..])
    );
    assert_eq!(
        pod.list_map_keys(&["spec", "containers", "env"]),
        Some(&["name"][..])
    );
    assert_eq!(pod.list_map_keys(&["spec", "volumes"]), Some(&["name"][..]));
    assert_eq!(
        pod.list_map_keys(&["status", "conditions"]),
        Some(&["type"][..])
    );
    assert!(pod.is_set(&["metadata", "finalizers"]));
    assert!(pod.is_atomic(&["spec", "tolerations"]));
    assert_eq!(
        Schema::for_kind("EndpointSlice").unwrap().api_version(),
        "discovery.k8s.io/v1"
    );
    assert!(Schema::for_kind("Deployment").is_none());
}
