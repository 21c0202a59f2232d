//! The official Python client (`pip install kubernetes`) drives kubelite: a small script loads
//! the cluster's kubeconfig, then creates, lists, patches (JSON patch, merge, strategic merge and
//! server-side apply) and watches Pods and Services. It runs inside the cluster's network
//! namespace and prints one JSON line per step, which the test checks.
//!
//! A missing `kubernetes` module fails the test (CI installs it in `.ci/run`).

mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::Cluster;

/// Exit code the script uses when `import kubernetes` fails.
const MISSING_MODULE: i32 = 3;

const SCRIPT: &str = r#"
import json
import sys
import threading

try:
    from kubernetes import client, config, watch
except ImportError as e:
    sys.stderr.write("cannot import the official Python client: %s\n" % e)
    sys.exit(3)

NS = "default"
config.load_kube_config()
v1 = client.CoreV1Api()


def emit(step, value):
    print(json.dumps({"step": step, "value": value}), flush=True)


def watch_until_deleted(list_fn, name, resource_version, seen):
    w = watch.Watch()
    for event in w.stream(list_fn, NS, resource_version=resource_version, timeout_seconds=30):
        if event["object"].metadata.name == name:
            seen.append(event["type"])
            if event["type"] == "DELETED":
                w.stop()


def start_watch(list_fn, name):
    rv = list_fn(NS).metadata.resource_version
    seen = []
    t = threading.Thread(target=watch_until_deleted, args=(list_fn, name, rv, seen))
    t.start()
    return t, seen


# --- Pods ---------------------------------------------------------------------------------
t, pod_events = start_watch(v1.list_namespaced_pod, "py-web")
pod = client.V1Pod.from_dict({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "py-web", "labels": {"app": "py-web"}},
    "spec": {"containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]},
})
created = v1.create_namespaced_pod(NS, pod)
emit("pod.created", {"uid": bool(created.metadata.uid), "phase": created.status.phase})
listed = v1.list_namespaced_pod(NS, label_selector="app=py-web")
emit("pod.listed", [p.metadata.name for p in listed.items])

merged = v1.patch_namespaced_pod("py-web", NS, {"metadata": {"labels": {"tier": "front"}}},
                                 _content_type="application/merge-patch+json")
emit("pod.merge", merged.metadata.labels)

smp = v1.patch_namespaced_pod("py-web", NS, {"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}})
emit("pod.strategic", [[c.name, c.image, len(c.ports or [])] for c in smp.spec.containers])

jp = v1.patch_namespaced_pod("py-web", NS, [{"op": "add", "path": "/metadata/annotations", "value": {"note": "json-patch"}}])
emit("pod.jsonpatch", jp.metadata.annotations)

applied = v1.patch_namespaced_pod(
    "py-web", NS,
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "py-web", "labels": {"owner": "python"}}},
    field_manager="python-test", force=True, _content_type="application/apply-patch+yaml")
emit("pod.apply", {"owner": applied.metadata.labels.get("owner"),
                   "managers": sorted([m.manager, m.operation] for m in applied.metadata.managed_fields)})

v1.delete_namespaced_pod("py-web", NS)
t.join(40)
emit("pod.events", pod_events)
try:
    v1.read_namespaced_pod("py-web", NS)
    emit("pod.after_delete", 200)
except client.exceptions.ApiException as e:
    emit("pod.after_delete", e.status)

# --- Services -----------------------------------------------------------------------------
t, svc_events = start_watch(v1.list_namespaced_service, "py-svc")
svc = client.V1Service.from_dict({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "py-svc"},
    "spec": {"selector": {"app": "py-web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
})
created = v1.create_namespaced_service(NS, svc)
cluster_ip = created.spec.cluster_ip
emit("svc.created", {"type": created.spec.type, "clusterIP": bool(cluster_ip), "clusterIPs": created.spec.cluster_ips == [cluster_ip]})
listed = v1.list_namespaced_service(NS, field_selector="metadata.name=py-svc")
emit("svc.listed", [s.spec.cluster_ip == cluster_ip for s in listed.items])

merged = v1.patch_namespaced_service("py-svc", NS, {"metadata": {"annotations": {"note": "merged"}}},
                                     _content_type="application/merge-patch+json")
emit("svc.merge", merged.metadata.annotations)

smp = v1.patch_namespaced_service("py-svc", NS, {"spec": {"ports": [{"name": "metrics", "port": 9090, "targetPort": 9090}]}})
emit("svc.strategic", sorted(p.port for p in smp.spec.ports))

applied = v1.patch_namespaced_service(
    "py-svc", NS,
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "py-svc"},
     "spec": {"type": "NodePort", "selector": {"app": "py-web"},
              "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
    field_manager="python-test", force=True, _content_type="application/apply-patch+yaml")
emit("svc.apply", {"type": applied.spec.type, "sameClusterIP": applied.spec.cluster_ip == cluster_ip,
                   "nodePortsInRange": all(30000 <= p.node_port <= 32767 for p in applied.spec.ports)})

v1.delete_namespaced_service("py-svc", NS)
t.join(40)
emit("svc.events", svc_events)
"#;

#[test]
fn python_client_creates_lists_patches_and_watches() {
    let c = Cluster::start();
    let script = c.dir.path().join("client.py");
    std::fs::write(&script, SCRIPT).expect("write script");
    let run = c.exec("python3", &[script.to_str().expect("utf-8 path")], &[]);
    assert_ne!(
        run.code, MISSING_MODULE,
        "the official Python client is not installed (`python3 -m pip install kubernetes`):\n{}",
        run.stderr
    );
    assert_eq!(
        run.code, 0,
        "script failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );

    let steps: BTreeMap<String, Value> = run
        .stdout
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            (
                v["step"].as_str().expect("step").to_string(),
                v["value"].clone(),
            )
        })
        .collect();
    let step = |name: &str| {
        steps
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no step {name}: {}", run.stdout))
    };

    assert_eq!(
        step("pod.created"),
        json!({"uid": true, "phase": "Pending"})
    );
    assert_eq!(step("pod.listed"), json!(["py-web"]));
    assert_eq!(step("pod.merge"), json!({"app": "py-web", "tier": "front"}));
    assert_eq!(step("pod.strategic"), json!([["app", "nginx:1.27", 1]]));
    assert_eq!(step("pod.jsonpatch"), json!({"note": "json-patch"}));
    let apply = step("pod.apply");
    assert_eq!(apply["owner"], "python");
    assert!(
        apply["managers"]
            .as_array()
            .expect("managers")
            .contains(&json!(["python-test", "Apply"])),
        "{apply}"
    );
    assert_eq!(step("pod.after_delete"), json!(404));
    assert_watch_events(&step("pod.events"), 4);

    assert_eq!(
        step("svc.created"),
        json!({"type": "ClusterIP", "clusterIP": true, "clusterIPs": true})
    );
    assert_eq!(step("svc.listed"), json!([true]));
    assert_eq!(step("svc.merge"), json!({"note": "merged"}));
    assert_eq!(step("svc.strategic"), json!([80, 9090]));
    assert_eq!(
        step("svc.apply"),
        json!({"type": "NodePort", "sameClusterIP": true, "nodePortsInRange": true})
    );
    assert_watch_events(&step("svc.events"), 3);
}

/// ADDED first, DELETED last, and at least one MODIFIED per write in between.
#[track_caller]
fn assert_watch_events(events: &Value, writes: usize) {
    let events: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(events.first(), Some(&"ADDED"), "{events:?}");
    assert_eq!(events.last(), Some(&"DELETED"), "{events:?}");
    let modified = events.iter().filter(|e| **e == "MODIFIED").count();
    assert!(
        modified >= writes,
        "{writes} writes, {modified} MODIFIED: {events:?}"
    );
}
