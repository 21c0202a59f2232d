//! Deleting: the lab's cleanup (`kubectl delete pod,svc -l …`) and deleting a namespace with its
//! content.
//!
//! Expected output follows upstream kubectl `pkg/cmd/delete/delete.go` (`PrintObj`:
//! `<kind> "<name>" deleted`, and `--wait` blocking until the objects are gone) and the
//! namespace lifecycle of kube-apiserver (a deleted namespace is `Terminating` until the
//! namespace controller has removed its content, then it disappears).

mod support;

use std::time::{Duration, Instant};
use support::{Cluster, Table};

const PODS: &str = "labs/services/specs/pods";
const SERVICES: &str = "labs/services/specs/services";

#[test]
fn delete_by_label_removes_the_lab_and_leaves_the_kubernetes_service() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", PODS, "-f", SERVICES]).ok();

    let start = Instant::now();
    let deleted = c
        .kubectl(&[
            "delete",
            "pod,svc",
            "-l",
            "kubernetes.courselabs.co=services",
        ])
        .ok();
    // Pending Pods go at once; a running Pod may use its grace period (30 s), never more.
    assert!(
        start.elapsed() < Duration::from_secs(40),
        "delete took {:?}",
        start.elapsed()
    );
    assert_eq!(
        deleted.stdout,
        "pod \"sleep\" deleted\npod \"whoami\" deleted\nservice \"whoami\" deleted\nservice \"whoami-lb\" deleted\nservice \"whoami-np\" deleted\n"
    );

    // `delete` waited: nothing is left, not even a Terminating Pod.
    let left = c.kubectl(&["get", "pods,svc"]).ok();
    let table = Table::parse(&left.stdout);
    assert_eq!(
        table.header,
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert_eq!(table.names(), ["service/kubernetes"]);
    let pods = c.kubectl(&["get", "pods"]).ok();
    assert_eq!(pods.stderr, "No resources found in default namespace.\n");

    // The Services' endpoints go with them (the endpoints controller removes them promptly).
    support::eventually(5, || {
        let endpoints = Table::parse(&c.kubectl(&["get", "endpoints"]).ok().stdout);
        (endpoints.names() == ["kubernetes"]).then_some(())
    });

    // Nothing matches any more.
    let again = c
        .kubectl(&[
            "delete",
            "pod,svc",
            "-l",
            "kubernetes.courselabs.co=services",
        ])
        .ok();
    assert_eq!(again.stdout, "No resources found\n");

    // Applying again creates afresh.
    let recreated = c.kubectl(&["apply", "-f", PODS]).ok();
    assert_eq!(recreated.stdout, "pod/sleep created\npod/whoami created\n");
}

#[test]
fn delete_a_missing_pod_fails_with_not_found() {
    let c = Cluster::start();
    let run = c.kubectl(&["delete", "pod", "nope"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "Error from server (NotFound): pods \"nope\" not found\n"
    );
}

#[test]
fn delete_namespace_completes_and_removes_its_content() {
    let c = Cluster::start();
    let ns = c.write(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
    );
    assert_eq!(
        c.kubectl(&["apply", "-f", ns.to_str().unwrap()])
            .ok()
            .stdout,
        "namespace/x created\n"
    );
    let applied = c
        .kubectl(&["apply", "-n", "x", "-f", PODS, "-f", SERVICES])
        .ok();
    assert_eq!(applied.stdout.lines().count(), 5, "{}", applied.stdout);
    let pods = Table::parse(&c.kubectl(&["get", "pods", "-n", "x"]).ok().stdout);
    assert_eq!(pods.names(), ["sleep", "whoami"]);

    // The default `--wait` returns once the namespace is gone; bound it so a hang fails.
    let deleted = c.kubectl(&["delete", "namespace", "x", "--timeout=15s"]);
    assert_eq!(deleted.code, 0, "{deleted:?}");
    assert_eq!(deleted.stdout, "namespace \"x\" deleted\n");

    let gone = c.kubectl(&["get", "namespace", "x"]);
    assert_eq!(gone.code, 1, "{gone:?}");
    assert_eq!(
        gone.stderr,
        "Error from server (NotFound): namespaces \"x\" not found\n"
    );
    for kind in ["pods", "services"] {
        let left = c.kubectl(&["get", kind, "-n", "x"]).ok();
        assert_eq!(left.stdout, "", "{kind}");
        assert_eq!(
            left.stderr, "No resources found in x namespace.\n",
            "{kind}"
        );
    }
    // The node ports of the deleted Services are free again.
    let reused = c
        .kubectl(&[
            "apply",
            "-f",
            "labs/services/specs/services/whoami-nodeport.yaml",
        ])
        .ok();
    assert_eq!(reused.stdout, "service/whoami-np created\n");
}
