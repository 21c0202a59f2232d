//! API semantics a client relies on, checked over the wire: protocols, generateName, dry-run,
//! paging, watch from a resourceVersion, graceful deletion of bound Pods, deletecollection.

mod support;

use serde_json::{Value, json};
use support::Cluster;

fn pod(name: &str, labels: Value) -> String {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    .to_string()
}

fn post(c: &Cluster, path: &str, body: &str) -> (u16, Value) {
    let (code, out) = c.curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        body,
        &format!("https://127.0.0.1:6443{path}"),
    ]);
    (code, serde_json::from_str(&out).unwrap_or(Value::Null))
}

fn get(c: &Cluster, path: &str) -> (u16, Value) {
    let (code, out) = c.curl(&[&format!("https://127.0.0.1:6443{path}")]);
    (code, serde_json::from_str(&out).unwrap_or(Value::Null))
}

#[test]
fn http1_and_http2_both_serve_the_api() {
    let c = Cluster::start();
    for proto in ["--http1.1", "--http2"] {
        let (code, body) = c.curl(&[
            proto,
            "-o",
            "/dev/null",
            "-w",
            "%{http_version}\n%{http_code}",
            "https://127.0.0.1:6443/api/v1/namespaces",
        ]);
        assert_eq!(code, 200);
        let version = body.trim();
        assert_eq!(version, if proto == "--http2" { "2" } else { "1.1" });
    }
}

#[test]
fn generate_name_and_dry_run() {
    let c = Cluster::start();
    let body = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
                      "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    let (code, created) = post(&c, "/api/v1/namespaces/default/pods", &body.to_string());
    assert_eq!(code, 201);
    let name = created["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("web-") && name.len() == 9, "{name}");
    assert_eq!(
        get(&c, &format!("/api/v1/namespaces/default/pods/{name}")).0,
        200
    );

    let (code, dry) = post(
        &c,
        "/api/v1/namespaces/default/pods?dryRun=All",
        &pod("dry", json!({})),
    );
    assert_eq!(code, 201);
    assert_eq!(
        dry["spec"]["restartPolicy"], "Always",
        "defaults are applied on dry run"
    );
    assert_eq!(
        get(&c, "/api/v1/namespaces/default/pods/dry").0,
        404,
        "nothing stored"
    );

    let out = c
        .kubectl(&[
            "run",
            "t",
            "--image=busybox",
            "--dry-run=server",
            "-o",
            "name",
        ])
        .ok();
    assert_eq!(out.stdout.trim(), "pod/t");
    c.kubectl(&["get", "pod", "t"]).fails();
}

#[test]
fn lists_page_with_limit_and_continue() {
    let c = Cluster::start();
    for i in 0..5 {
        assert_eq!(
            post(
                &c,
                "/api/v1/namespaces/default/pods",
                &pod(&format!("p{i}"), json!({"n": i.to_string()}))
            )
            .0,
            201
        );
    }
    let mut names = Vec::new();
    let mut path = "/api/v1/namespaces/default/pods?limit=2".to_string();
    loop {
        let (code, page) = get(&c, &path);
        assert_eq!(code, 200);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        names.extend(
            items
                .iter()
                .map(|p| p["metadata"]["name"].as_str().unwrap().to_string()),
        );
        match page["metadata"]["continue"].as_str() {
            Some(token) => {
                path = format!("/api/v1/namespaces/default/pods?limit=2&continue={token}")
            }
            None => break,
        }
    }
    assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);
    // Selectors apply before the limit, so a filtered page is full.
    let (_, page) = get(
        &c,
        "/api/v1/namespaces/default/pods?limit=2&labelSelector=n%20in%20(1,3,4)",
    );
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["p1", "p3"]);
    assert!(page["metadata"]["continue"].is_string());
    let (code, err) = get(
        &c,
        "/api/v1/namespaces/default/pods?fieldSelector=spec.bogus%3Dx",
    );
    assert_eq!(code, 400);
    assert_eq!(err["message"], "field label not supported: spec.bogus");
}

#[test]
fn watch_replays_from_a_resource_version_through_a_selector() {
    let c = Cluster::start();
    let (_, list) = get(&c, "/api/v1/namespaces/default/pods");
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    post(
        &c,
        "/api/v1/namespaces/default/pods",
        &pod("a", json!({"app": "x"})),
    );
    post(
        &c,
        "/api/v1/namespaces/default/pods",
        &pod("b", json!({"app": "y"})),
    );
    c.kubectl(&["label", "pod", "a", "app=y", "--overwrite"])
        .ok();
    c.kubectl(&["delete", "pod", "b"]).ok();
    let (_, out) = c.curl(&[&format!(
        "https://127.0.0.1:6443/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&labelSelector=app%3Dy&timeoutSeconds=1"
    )]);
    // The scheduler may also update b's status meanwhile (MODIFIED): what matters is how each
    // Pod enters and leaves the selection, in order.
    let events: Vec<(String, String)> = out
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .filter(|(kind, _)| kind != "MODIFIED")
        .collect();
    let expected: Vec<(String, String)> = [("ADDED", "b"), ("ADDED", "a"), ("DELETED", "b")]
        .iter()
        .map(|(t, n)| (t.to_string(), n.to_string()))
        .collect();
    assert_eq!(events, expected, "a entered the selection when relabelled");
}

#[test]
fn bound_pods_terminate_gracefully_and_force_delete_removes_them() {
    let c = Cluster::start();
    // Bound by hand (as another scheduler would): kubelite's scheduler leaves it alone.
    let manual = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound"},
        "spec": {"schedulerName": "manual", "containers": [{"name": "c", "image": "busybox"}]}});
    post(&c, "/api/v1/namespaces/default/pods", &manual.to_string());
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bound"}, "target": {"kind": "Node", "name": "node-1"}});
    let (code, _) = post(
        &c,
        "/api/v1/namespaces/default/pods/bound/binding",
        &binding.to_string(),
    );
    assert_eq!(code, 201);
    let (_, p) = get(&c, "/api/v1/namespaces/default/pods/bound");
    assert_eq!(p["spec"]["nodeName"], "node-1");
    assert_eq!(p["status"]["conditions"][0]["type"], "PodScheduled");
    let (code, again) = post(
        &c,
        "/api/v1/namespaces/default/pods/bound/binding",
        &binding.to_string(),
    );
    assert_eq!(code, 409);
    assert_eq!(
        again["message"],
        "Operation cannot be fulfilled on pods/binding \"bound\": pod bound is already assigned to node \"node-1\""
    );

    c.kubectl(&["delete", "pod", "bound", "--wait=false"]).ok();
    let (code, p) = get(&c, "/api/v1/namespaces/default/pods/bound");
    assert_eq!(code, 200, "a bound Pod waits for its node");
    assert!(p["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(p["metadata"]["deletionGracePeriodSeconds"], 30);
    let listed = c.kubectl(&["get", "pod", "bound"]).ok();
    assert!(listed.stdout.contains("Terminating"), "{}", listed.stdout);
    c.kubectl(&["delete", "pod", "bound", "--grace-period=0", "--force"])
        .ok();
    assert_eq!(get(&c, "/api/v1/namespaces/default/pods/bound").0, 404);
}

#[test]
fn deletecollection_removes_the_selected_objects() {
    let c = Cluster::start();
    // Left unscheduled (no scheduler of that name), so deletion is immediate rather than
    // graceful on a node.
    for (n, app) in [("a", "x"), ("b", "x"), ("c", "z")] {
        let unscheduled = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": n, "labels": {"app": app}},
            "spec": {"schedulerName": "manual", "containers": [{"name": "c", "image": "busybox"}]}});
        post(
            &c,
            "/api/v1/namespaces/default/pods",
            &unscheduled.to_string(),
        );
    }
    let (code, _) = c.curl(&[
        "-X",
        "DELETE",
        "https://127.0.0.1:6443/api/v1/namespaces/default/pods?labelSelector=app%3Dx",
    ]);
    assert_eq!(code, 200);
    let left = c.kubectl(&["get", "pods", "-o", "name"]).ok();
    assert_eq!(left.stdout.trim(), "pod/c");
}
