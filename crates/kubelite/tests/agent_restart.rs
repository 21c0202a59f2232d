//! Pods outlive the agent: after `kill -9` of kubelite the lab Pods keep running, and the next
//! start re-adopts them (same Pods, same IPs, still answering); a clean stop then stops every
//! Pod and leaves no pod network namespace, veth or process behind. A sandbox the crash left
//! half-made is made again.

mod support;

use support::{Cluster, Table, eventually};

fn running_ips(c: &Cluster) -> (String, String) {
    eventually(20, || {
        let out = c.kubectl(&["get", "pods", "-o", "wide"]);
        if out.code != 0 {
            return None;
        }
        let t = Table::parse(&out.stdout);
        let up = |n: &str| {
            t.names().contains(&n)
                && t.cell(n, "READY") == "1/1"
                && t.cell(n, "STATUS") == "Running"
        };
        (up("sleep") && up("whoami")).then(|| {
            (
                t.cell("sleep", "IP").to_string(),
                t.cell("whoami", "IP").to_string(),
            )
        })
    })
}

#[test]
fn pods_survive_a_crash_and_a_clean_stop_cleans_up() {
    let mut c = Cluster::start();
    c.kubectl(&["apply", "-f", "labs/services/specs/pods"]).ok();
    let before = running_ips(&c);
    let uid_before = c.kubectl_json(&["get", "pod", "whoami"])["metadata"]["uid"].clone();

    c.stop_server(true);
    let answer = c.exec(
        "curl",
        &["-s", "--max-time", "5", &format!("http://{}", before.1)],
        &[],
    );
    assert!(
        answer.stdout.contains("Hostname: whoami"),
        "while kubelite is down: {answer:?}"
    );

    c.start_server(&[]);
    let after = running_ips(&c);
    assert_eq!(before, after);
    let pod = c.kubectl_json(&["get", "pod", "whoami"]);
    assert_eq!(pod["metadata"]["uid"], uid_before);
    assert_eq!(pod["status"]["containerStatuses"][0]["restartCount"], 0);
    let answer = c.exec(
        "curl",
        &["-s", "--max-time", "5", &format!("http://{}", after.1)],
        &[],
    );
    assert!(
        answer.stdout.contains("Hostname: whoami"),
        "after the restart: {answer:?}"
    );

    // The harness returns once `nsenter` is gone; kubelite itself still stops its Pods.
    let pid = c.server_pid();
    c.stop_server(false);
    eventually(20, || {
        (!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    });
    let netns = c.data_dir().join("agent/run/netns");
    let left: Vec<_> = std::fs::read_dir(&netns)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "namespaces left: {left:?}\n{}",
        c.server_log()
    );
    let links = c.exec("ip", &["-o", "link"], &[]).stdout;
    assert!(!links.contains("veth"), "{links}");
    let procs = c.exec("ps", &["-e", "-o", "comm="], &[]).stdout;
    assert!(!procs.contains("kubelite"), "{procs}");
}

/// The agent forks a Pod's init while the Pod's links are still being made; if it dies in
/// between, the next start must not adopt the half-made sandbox (its host veth, brought up last,
/// is down) but make it again, so the Pod answers.
#[test]
fn a_sandbox_left_unfinished_by_a_crash_is_made_again() {
    let mut c = Cluster::start();
    c.kubectl(&["apply", "-f", "labs/services/specs/pods"]).ok();
    running_ips(&c);

    c.stop_server(true);
    let ports = c.exec("ip", &["-o", "link", "show", "master", "kl0"], &[]);
    let veths: Vec<String> = ports
        .stdout
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|name| name.split('@').next().unwrap_or(name).to_string())
        .collect();
    assert_eq!(veths.len(), 2, "{ports:?}");
    for veth in &veths {
        assert_eq!(c.exec("ip", &["link", "set", veth, "down"], &[]).code, 0);
    }

    c.start_server(&[]);
    // The address stays the Pod's (IPAM keeps it by UID) while its sandbox is made again.
    let (_, whoami) = running_ips(&c);
    eventually(20, || {
        let out = c.exec(
            "curl",
            &["-s", "--max-time", "2", &format!("http://{whoami}")],
            &[],
        );
        out.stdout.contains("Hostname: whoami").then_some(())
    });
}
