//! The node agent as a learner meets it through the stock `kubectl`: exec into one lab Pod to
//! reach the other by its IP, the cluster DNS settings in a Pod's `/etc/resolv.conf`,
//! `kubectl run` (detached, and attached with `--rm`), and `kubectl port-forward svc/…`.
//!
//! Expected output is what kubectl 1.32 prints against a real cluster.

mod support;

use support::{Cluster, Table, eventually};

const PODS: &str = "labs/services/specs/pods";

/// The lab Pods, Ready.
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

fn pod_ip(c: &Cluster, name: &str) -> String {
    let ip = c
        .kubectl(&["get", "pod", name, "-o", "jsonpath={.status.podIP}"])
        .ok()
        .stdout;
    assert!(ip.starts_with("10.42.0."), "{name}: {ip:?}");
    ip
}

#[test]
fn exec_curl_reaches_the_whoami_pod_by_its_ip() {
    let c = lab();
    let ip = pod_ip(&c, "whoami");
    let out = c
        .kubectl(&["exec", "sleep", "--", "curl", "-s", &format!("http://{ip}")])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"Hostname: whoami"), "{}", out.stdout);
    assert!(
        lines.contains(&format!("IP: {ip}").as_str()),
        "{}",
        out.stdout
    );
    assert!(lines.contains(&"GET / HTTP/1.1"), "{}", out.stdout);
    assert!(
        lines.contains(&format!("Host: {ip}").as_str()),
        "{}",
        out.stdout
    );
    let sleep_ip = pod_ip(&c, "sleep");
    assert!(
        out.stdout.contains(&format!("RemoteAddr: {sleep_ip}:")),
        "{}",
        out.stdout
    );
}

#[test]
fn exec_shows_the_cluster_dns_settings() {
    let c = lab();
    let out = c
        .kubectl(&["exec", "sleep", "--", "cat", "/etc/resolv.conf"])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for want in [
        "nameserver 10.43.0.10",
        "search default.svc.cluster.local svc.cluster.local cluster.local",
        "options ndots:5",
    ] {
        assert!(lines.contains(&want), "{want:?} in {}", out.stdout);
    }
}

#[test]
fn kubectl_run_detached_pod_runs() {
    let c = Cluster::start();
    let out = c
        .kubectl(&["run", "t", "--image=busybox", "--", "sleep", "1d"])
        .ok();
    assert_eq!(out.stdout, "pod/t created\n");
    let table = eventually(30, || {
        let run = c.kubectl(&["get", "pods", "-o", "wide"]);
        if run.code != 0 {
            return None;
        }
        let table = Table::parse(&run.stdout);
        (table.names().contains(&"t")
            && table.cell("t", "READY") == "1/1"
            && table.cell("t", "STATUS") == "Running")
            .then_some(table)
    });
    assert!(table.cell("t", "IP").starts_with("10.42.0."));
    let pod = c.kubectl_json(&["get", "pod", "t"]);
    assert_eq!(pod["metadata"]["labels"]["run"], "t");
    assert_eq!(
        pod["spec"]["containers"][0]["args"],
        serde_json::json!(["sleep", "1d"])
    );
    assert_eq!(pod["spec"]["restartPolicy"], "Always");
}

#[test]
fn kubectl_run_attached_with_rm_prints_and_deletes() {
    let c = Cluster::start();
    let out = c.kubectl(&[
        "run",
        "-i",
        "--rm",
        "t2",
        "--image=busybox",
        "--restart=Never",
        "--",
        "echo",
        "hi",
    ]);
    assert_eq!(out.code, 0, "{out:?}\n{}", c.server_log());
    assert_eq!(out.stdout, "hi\npod \"t2\" deleted\n", "{out:?}");
    let left = c.kubectl(&["get", "pods", "-o", "name"]).ok();
    assert_eq!(left.stdout, "");
}

#[test]
fn port_forward_to_the_whoami_service() {
    let c = lab();
    c.kubectl(&[
        "apply",
        "-f",
        "labs/services/specs/services/whoami-clusterip.yaml",
    ])
    .ok();
    let out = c.dir.path().join("port-forward.out");
    let mut child = c.kubectl_spawn(&["port-forward", "svc/whoami", "18081:80"], &out);
    let body = eventually(30, || {
        let run = c.exec("curl", &["-s", "--max-time", "5", "localhost:18081"], &[]);
        (run.code == 0 && run.stdout.contains("Hostname: whoami")).then_some(run.stdout)
    });
    let ip = pod_ip(&c, "whoami");
    assert!(body.contains(&format!("IP: {ip}\n")), "{body}");
    assert!(body.contains("GET / HTTP/1.1"), "{body}");
    let _ = child.kill();
    let _ = child.wait();
    let printed = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        printed.starts_with("Forwarding from 127.0.0.1:18081 -> 80\n"),
        "{printed}"
    );
    assert!(
        printed.contains("Handling connection for 18081\n"),
        "{printed}"
    );
}
