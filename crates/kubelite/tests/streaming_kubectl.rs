//! `kubectl exec`, `logs` and `port-forward` against the lab Pods, through the API server's
//! proxy to the node agent's streaming server (WebSocket first, SPDY when forced).
//!
//! Expected output follows kubectl 1.32 against a real cluster (kubectl-wire.md §6): exit
//! codes pass through with `command terminated with exit code N`, and container errors come
//! from kube-apiserver's `pod/rest` container validation.

mod support;

use std::time::Duration;

use support::{Cluster, eventually};

const PODS: &str = "labs/services/specs/pods";

fn lab() -> Cluster {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", PODS]).ok();
    c.kubectl(&[
        "wait",
        "--for=condition=Ready",
        "pod/sleep",
        "pod/whoami",
        "--timeout=60s",
    ])
    .ok();
    c
}

#[test]
fn exec_output_exit_codes_and_stdin() {
    let c = lab();
    let host = c.kubectl(&["exec", "sleep", "--", "hostname"]).ok();
    assert_eq!(host.stdout, "sleep\n");

    let failed = c.kubectl(&["exec", "sleep", "--", "sh", "-c", "exit 7"]);
    assert_eq!(failed.code, 7, "{failed:?}");
    assert_eq!(failed.stderr, "command terminated with exit code 7\n");

    let echoed = c
        .kubectl_with(
            &["exec", "-i", "sleep", "--", "cat"],
            &[],
            Some("hello\nworld\n"),
        )
        .ok();
    assert_eq!(echoed.stdout, "hello\nworld\n");
}

#[test]
fn exec_over_spdy_when_websockets_are_off() {
    let c = lab();
    let env = [("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false")];
    let out = c.kubectl_with(
        &["exec", "-i", "sleep", "--", "sh", "-c", "cat; exit 3"],
        &env,
        Some("via spdy"),
    );
    assert_eq!(out.stdout, "via spdy");
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(out.stderr, "command terminated with exit code 3\n");
}

#[test]
fn exec_into_an_unknown_container_is_a_bad_request() {
    let c = lab();
    let out = c
        .kubectl(&["exec", "sleep", "-c", "nope", "--", "true"])
        .fails();
    assert!(
        out.stderr
            .contains("container nope is not valid for pod sleep"),
        "{out:?}"
    );
}

#[test]
fn logs_show_the_server_start() {
    let c = lab();
    let logs = eventually(20, || {
        let run = c.kubectl(&["logs", "whoami"]).ok();
        (!run.stdout.is_empty()).then_some(run.stdout)
    });
    let tail = c.kubectl(&["logs", "whoami", "--tail=1"]).ok();
    assert!(logs.ends_with(&tail.stdout), "{logs:?} / {:?}", tail.stdout);
    let stamped = c
        .kubectl(&["logs", "whoami", "--timestamps", "--tail=1"])
        .ok();
    let (stamp, rest) = stamped.stdout.split_once(' ').expect("timestamp");
    assert!(stamp.ends_with('Z') && stamp.contains('T'), "{stamp}");
    assert_eq!(rest, tail.stdout);
}

#[test]
fn port_forward_to_the_whoami_pod() {
    let c = lab();
    let out = c.dir.path().join("port-forward.out");
    let mut child = c.kubectl_spawn(&["port-forward", "pod/whoami", "18080:80"], &out);
    let body = eventually(30, || {
        let run = c.exec(
            "curl",
            &["-s", "--max-time", "5", "http://127.0.0.1:18080"],
            &[],
        );
        (run.code == 0 && run.stdout.contains("Hostname: whoami")).then_some(run.stdout)
    });
    // Two more requests reuse the forward, each on its own connection.
    for _ in 0..2 {
        let run = c.exec(
            "curl",
            &["-s", "--max-time", "5", "http://127.0.0.1:18080"],
            &[],
        );
        assert!(run.stdout.contains("Hostname: whoami"), "{run:?}");
    }
    assert!(body.contains("GET / HTTP/1.1"), "{body}");
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(10));
}
