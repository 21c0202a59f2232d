//! Restart durability: pods, services and namespaces survive a clean stop (SIGTERM) and a crash
//! (SIGKILL) of kubelite unchanged, with the same uids, resourceVersions, ClusterIPs and
//! nodePorts; writes after the restart get higher resourceVersions; the allocators remember what
//! is taken (the upstream "provided port/IP is already allocated" errors); and a write
//! acknowledged right before SIGKILL is still there afterwards.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use support::Cluster;

const API: &str = "https://127.0.0.1:6443";

/// What must not change for one object across a restart.
#[derive(Debug, Clone, PartialEq)]
struct Kept {
    uid: String,
    resource_version: String,
    cluster_ips: Vec<String>,
    node_ports: Vec<i64>,
}

fn get(c: &Cluster, path: &str) -> Value {
    let (code, body) = c.curl(&[&format!("{API}{path}")]);
    assert_eq!(code, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn post(c: &Cluster, path: &str, body: &Value) -> (u16, Value) {
    let (code, text) = c.curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &body.to_string(),
        &format!("{API}{path}"),
    ]);
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (code, value)
}

#[track_caller]
fn create(c: &Cluster, path: &str, body: &Value) -> Value {
    let (code, created) = post(c, path, body);
    assert_eq!(code, 201, "POST {path}: {created}");
    created
}

fn rv_of(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion")
        .parse()
        .expect("numeric resourceVersion")
}

/// A Pod bound to a node that does not exist, so no scheduler or node agent writes it: its
/// resourceVersion changes only if the restart loses or rewrites it.
fn pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"nodeName": "elsewhere", "containers": [{"name": "app", "image": "nginx"}]}})
}

fn service(name: &str, kind: &str, node_port: Option<i64>) -> Value {
    let mut port = json!({"port": 80, "targetPort": 8080});
    if let Some(np) = node_port {
        port["nodePort"] = json!(np);
    }
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
           "spec": {"type": kind, "selector": {"app": name}, "ports": [port]}})
}

fn kept(o: &Value) -> Kept {
    let spec = &o["spec"];
    Kept {
        uid: o["metadata"]["uid"].as_str().expect("uid").to_string(),
        resource_version: o["metadata"]["resourceVersion"]
            .as_str()
            .expect("rv")
            .to_string(),
        cluster_ips: spec["clusterIPs"]
            .as_array()
            .map(|ips| {
                ips.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
        node_ports: spec["ports"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["nodePort"].as_i64()).collect())
            .unwrap_or_default(),
    }
}

/// Every pod, service and namespace, keyed `kind/namespace/name`, plus each list's resourceVersion.
fn state(c: &Cluster) -> (BTreeMap<String, Kept>, Vec<u64>) {
    let mut objects = BTreeMap::new();
    let mut list_rvs = Vec::new();
    for (kind, path) in [
        ("pod", "/api/v1/pods"),
        ("service", "/api/v1/services"),
        ("namespace", "/api/v1/namespaces"),
    ] {
        let list = get(c, path);
        list_rvs.push(rv_of(&list));
        for item in list["items"].as_array().expect("items") {
            let m = &item["metadata"];
            let key = format!(
                "{kind}/{}/{}",
                m["namespace"].as_str().unwrap_or(""),
                m["name"].as_str().expect("name")
            );
            objects.insert(key, kept(item));
        }
    }
    (objects, list_rvs)
}

/// Creates the objects a restart must preserve: a namespace, pods in two namespaces, a
/// ClusterIP service, a NodePort service with an allocated port and one with a requested port.
fn populate(c: &Cluster) {
    create(
        c,
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "keep"}}),
    );
    create(c, "/api/v1/namespaces/default/pods", &pod("web"));
    create(c, "/api/v1/namespaces/keep/pods", &pod("worker"));
    create(
        c,
        "/api/v1/namespaces/default/services",
        &service("web", "ClusterIP", None),
    );
    create(
        c,
        "/api/v1/namespaces/keep/services",
        &service("auto-port", "NodePort", None),
    );
    create(
        c,
        "/api/v1/namespaces/keep/services",
        &service("fixed-port", "NodePort", Some(30080)),
    );
}

/// Restarts kubelite and checks that nothing moved and that allocations are remembered.
fn restart_preserves_everything(kill: bool) {
    let mut c = Cluster::start();
    populate(&c);
    let (before, list_rvs) = state(&c);
    let highest_before = *list_rvs.iter().max().expect("lists");
    for key in [
        "namespace//keep",
        "pod/default/web",
        "pod/keep/worker",
        "service/default/web",
        "service/keep/fixed-port",
    ] {
        assert!(before.contains_key(key), "{key} missing: {before:?}");
    }
    assert_eq!(before["service/keep/fixed-port"].node_ports, vec![30080]);
    assert_eq!(before["service/keep/auto-port"].node_ports.len(), 1);
    assert_eq!(before["service/default/web"].cluster_ips.len(), 1);

    c.stop_server(kill);
    c.start_server(&[]);

    let (after, after_rvs) = state(&c);
    assert_eq!(after, before, "objects changed across the restart");
    // The store's revision never goes back (a restart may itself write, as kube-apiserver's
    // lease and endpoint reconcilers do).
    for (after_rv, before_rv) in after_rvs.iter().zip(&list_rvs) {
        assert!(
            after_rv >= before_rv,
            "list resourceVersion went back: {after_rv} < {before_rv}"
        );
    }

    // A new write gets a higher resourceVersion than anything before the restart.
    let fresh = create(&c, "/api/v1/namespaces/default/pods", &pod("after-restart"));
    assert!(
        rv_of(&fresh) > highest_before,
        "{} > {highest_before}",
        rv_of(&fresh)
    );

    // The same nodePort is still taken.
    let (code, status) = post(
        &c,
        "/api/v1/namespaces/default/services",
        &service("dup-port", "NodePort", Some(30080)),
    );
    let message = "Service \"dup-port\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated";
    assert_eq!(code, 422, "{status}");
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(status["message"], message);

    // The same ClusterIP is still taken.
    let ip = before["service/default/web"].cluster_ips[0].clone();
    let mut same_ip = service("dup-ip", "ClusterIP", None);
    same_ip["spec"]["clusterIP"] = json!(ip);
    let (code, status) = post(&c, "/api/v1/namespaces/default/services", &same_ip);
    let message = format!(
        "Service \"dup-ip\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: provided IP is already allocated"
    );
    assert_eq!(code, 422, "{status}");
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(status["message"], message.as_str());

    // New services never get an address or port that is already allocated.
    let mut ips: BTreeSet<String> = before
        .values()
        .flat_map(|k| k.cluster_ips.clone())
        .collect();
    let mut ports: BTreeSet<i64> = before.values().flat_map(|k| k.node_ports.clone()).collect();
    for i in 0..5 {
        let created = create(
            &c,
            "/api/v1/namespaces/default/services",
            &service(&format!("new-{i}"), "NodePort", None),
        );
        let k = kept(&created);
        for new_ip in k.cluster_ips {
            assert!(ips.insert(new_ip.clone()), "ClusterIP {new_ip} reused");
        }
        for port in k.node_ports {
            assert!(ports.insert(port), "nodePort {port} reused");
        }
    }
    assert_eq!(
        state(&c).0.len(),
        before.len() + 1 + 5,
        "one pod and five services added, nothing else"
    );
}

#[test]
fn objects_survive_a_clean_restart() {
    restart_preserves_everything(false);
}

#[test]
fn objects_survive_kill_9() {
    restart_preserves_everything(true);
}

#[test]
fn write_acknowledged_before_kill_9_survives() {
    let mut c = Cluster::start();
    let svc = create(
        &c,
        "/api/v1/namespaces/default/services",
        &service("last-word", "NodePort", None),
    );
    let pod = create(&c, "/api/v1/namespaces/default/pods", &pod("last-pod"));
    c.stop_server(true);
    c.start_server(&[]);
    let svc_after = get(&c, "/api/v1/namespaces/default/services/last-word");
    assert_eq!(kept(&svc_after), kept(&svc));
    let pod_after = get(&c, "/api/v1/namespaces/default/pods/last-pod");
    assert_eq!(kept(&pod_after), kept(&pod));
}
