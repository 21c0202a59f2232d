//! Changing live objects in place: `kubectl label`, `kubectl annotate` and `kubectl edit` (with a
//! non-interactive `EDITOR`), and what each prints.
//!
//! Expected output follows upstream kubectl: the printer operations "labeled" / "unlabeled"
//! (`pkg/cmd/label/label.go`), "annotated" (`pkg/cmd/annotate/annotate.go`), "edited"
//! (`pkg/cmd/util/editor/editoptions.go`), and the client-side overwrite checks
//! `validateNoOverwrites` / `validateNoAnnotationOverwrites`.

mod support;

use support::Cluster;

const PODS: &str = "labs/services/specs/pods";
const CLUSTERIP: &str = "labs/services/specs/services/whoami-clusterip.yaml";

fn jsonpath(c: &Cluster, args: &[&str], path: &str) -> String {
    let mut all = args.to_vec();
    let expr = format!("jsonpath={path}");
    all.extend(["-o", expr.as_str()]);
    c.kubectl(&all).ok().stdout
}

#[test]
fn label_adds_refuses_to_overwrite_then_overwrites_and_removes() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", PODS]).ok();

    let added = c.kubectl(&["label", "pod", "whoami", "x=y"]).ok();
    assert_eq!(added.stdout, "pod/whoami labeled\n");
    assert_eq!(
        jsonpath(&c, &["get", "pod", "whoami"], "{.metadata.labels.x}"),
        "y"
    );

    let refused = c.kubectl(&["label", "pod", "whoami", "x=z"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: 'x' already has a value (y), and --overwrite is false\n"
    );
    assert_eq!(
        jsonpath(&c, &["get", "pod", "whoami"], "{.metadata.labels.x}"),
        "y"
    );

    let overwritten = c
        .kubectl(&["label", "pod", "whoami", "x=z", "--overwrite"])
        .ok();
    assert_eq!(overwritten.stdout, "pod/whoami labeled\n");
    let labels = support::Table::parse(
        &c.kubectl(&["get", "pod", "whoami", "--show-labels"])
            .ok()
            .stdout,
    );
    assert_eq!(
        labels.cell("whoami", "LABELS"),
        "app=whoami,kubernetes.courselabs.co=services,x=z"
    );

    // Selecting on the new label finds the Pod.
    let selected = support::Table::parse(&c.kubectl(&["get", "pods", "-l", "x=z"]).ok().stdout);
    assert_eq!(selected.names(), ["whoami"]);

    let removed = c.kubectl(&["label", "pod", "whoami", "x-"]).ok();
    assert_eq!(removed.stdout, "pod/whoami unlabeled\n");
    assert_eq!(
        jsonpath(&c, &["get", "pod", "whoami"], "{.metadata.labels}"),
        r#"{"app":"whoami","kubernetes.courselabs.co":"services"}"#
    );

    // Several objects by selector.
    let many = c
        .kubectl(&[
            "label",
            "pods",
            "-l",
            "kubernetes.courselabs.co=services",
            "tier=lab",
        ])
        .ok();
    assert_eq!(many.stdout, "pod/sleep labeled\npod/whoami labeled\n");
}

#[test]
fn annotate_adds_refuses_to_overwrite_then_overwrites() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", PODS]).ok();

    let added = c.kubectl(&["annotate", "pod", "whoami", "note=hello"]).ok();
    assert_eq!(added.stdout, "pod/whoami annotated\n");
    assert_eq!(
        jsonpath(
            &c,
            &["get", "pod", "whoami"],
            "{.metadata.annotations.note}"
        ),
        "hello"
    );

    let refused = c.kubectl(&["annotate", "pod", "whoami", "note=bye"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(
        refused.stderr,
        "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello)\n"
    );

    let overwritten = c
        .kubectl(&["annotate", "pod", "whoami", "note=bye", "--overwrite"])
        .ok();
    assert_eq!(overwritten.stdout, "pod/whoami annotated\n");
    assert_eq!(
        jsonpath(
            &c,
            &["get", "pod", "whoami"],
            "{.metadata.annotations.note}"
        ),
        "bye"
    );

    // The annotation shows in describe, next to apply's own.
    let describe = c.kubectl(&["describe", "pod", "whoami"]).ok().stdout;
    assert!(
        describe
            .lines()
            .any(|l| l.starts_with("Annotations:") && l.ends_with("note: bye")),
        "{describe}"
    );

    // Client-side apply keeps annotations it does not manage.
    let reapplied = c.kubectl(&["apply", "-f", PODS]).ok();
    assert_eq!(
        reapplied.stdout,
        "pod/sleep unchanged\npod/whoami unchanged\n"
    );
    assert_eq!(
        jsonpath(
            &c,
            &["get", "pod", "whoami"],
            "{.metadata.annotations.note}"
        ),
        "bye"
    );
}

#[test]
fn edit_service_with_a_scripted_editor() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", CLUSTERIP]).ok();
    let before = jsonpath(&c, &["get", "svc", "whoami"], "{.metadata.resourceVersion}");

    let editor = "sed -i 's/sessionAffinity: None/sessionAffinity: ClientIP/'";
    let edited = c
        .kubectl_with(&["edit", "svc", "whoami"], &[("EDITOR", editor)], None)
        .ok();
    assert_eq!(edited.stdout, "service/whoami edited\n");
    assert_eq!(
        jsonpath(&c, &["get", "svc", "whoami"], "{.spec.sessionAffinity}"),
        "ClientIP"
    );
    // The server defaults the ClientIP timeout (3 hours).
    assert_eq!(
        jsonpath(
            &c,
            &["get", "svc", "whoami"],
            "{.spec.sessionAffinityConfig.clientIP.timeoutSeconds}"
        ),
        "10800"
    );
    assert_ne!(
        jsonpath(&c, &["get", "svc", "whoami"], "{.metadata.resourceVersion}"),
        before
    );
    let describe = c.kubectl(&["describe", "svc", "whoami"]).ok().stdout;
    assert!(
        describe
            .lines()
            .any(|l| l == "Session Affinity:         ClientIP"),
        "{describe}"
    );

    // An editor that changes nothing: kubectl says so and exits 0.
    let untouched = c
        .kubectl_with(&["edit", "svc", "whoami"], &[("EDITOR", "true")], None)
        .ok();
    assert_eq!(untouched.stdout, "");
    assert_eq!(untouched.stderr, "Edit cancelled, no changes made.\n");
}
