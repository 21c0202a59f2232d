//! Imperative creation: `kubectl run` and `kubectl create namespace`, which (unlike `apply`) send
//! their bodies with kubectl's typed clients.
//!
//! Expected output follows upstream kubectl: `pkg/cmd/run/run.go` (name printer "created",
//! label `run=<name>`, `-- args` as container args) and `pkg/cmd/create/create_namespace.go`;
//! the Pod defaults come from kubernetes `pkg/apis/core/v1/defaults.go`.

mod support;

use support::{Cluster, Table};

#[test]
fn run_creates_a_pod_with_args_and_the_run_label() {
    let c = Cluster::start();
    let run = c
        .kubectl(&["run", "t", "--image=busybox", "--", "sleep", "1d"])
        .ok();
    assert_eq!(run.stdout, "pod/t created\n");

    let pod = c.kubectl_json(&["get", "pod", "t"]);
    assert_eq!(pod["metadata"]["labels"], serde_json::json!({"run": "t"}));
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["name"], "t");
    assert_eq!(container["image"], "busybox");
    assert_eq!(container["args"], serde_json::json!(["sleep", "1d"]));
    // An untagged image is pulled Always.
    assert_eq!(container["imagePullPolicy"], "Always");
    assert_eq!(pod["spec"]["restartPolicy"], "Always");
    assert_eq!(pod["spec"]["terminationGracePeriodSeconds"], 30);

    let table = Table::parse(&c.kubectl(&["get", "pods", "--show-labels"]).ok().stdout);
    assert_eq!(table.names(), ["t"]);
    assert_eq!(table.cell("t", "LABELS"), "run=t");

    let again = c.kubectl(&["run", "t", "--image=busybox", "--", "sleep", "1d"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(
        again.stderr,
        "Error from server (AlreadyExists): pods \"t\" already exists\n"
    );
}

#[test]
fn create_namespace_and_use_it() {
    let c = Cluster::start();
    let created = c.kubectl(&["create", "namespace", "x"]).ok();
    assert_eq!(created.stdout, "namespace/x created\n");

    let namespaces = Table::parse(&c.kubectl(&["get", "namespaces"]).ok().stdout);
    assert_eq!(namespaces.header, ["NAME", "STATUS", "AGE"]);
    assert_eq!(namespaces.cell("x", "STATUS"), "Active");

    let run = c
        .kubectl(&[
            "run",
            "t",
            "-n",
            "x",
            "--image=busybox",
            "--",
            "sleep",
            "1d",
        ])
        .ok();
    assert_eq!(run.stdout, "pod/t created\n");
    let pods = Table::parse(&c.kubectl(&["get", "pods", "-n", "x"]).ok().stdout);
    assert_eq!(pods.names(), ["t"]);
    let default = c.kubectl(&["get", "pods"]).ok();
    assert_eq!(default.stderr, "No resources found in default namespace.\n");

    let dup = c.kubectl(&["create", "namespace", "x"]);
    assert_eq!(dup.code, 1, "{dup:?}");
    assert_eq!(
        dup.stderr,
        "Error from server (AlreadyExists): namespaces \"x\" already exists\n"
    );
}
