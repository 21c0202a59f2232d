//! The node agent end to end: the lab Pods run for real on the node (distinct IPs from the
//! node's podCIDR, node Ready), reach each other, are deleted within their grace period, get a
//! new IP when re-created, and leave their output in CRI log files.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Cluster, Table, eventually};

/// Waits until `kubectl get pods -o wide --show-labels` shows each of `names` `1/1 Running`
/// with an IP; returns the table.
fn wait_running(c: &Cluster, names: &[&str]) -> Table {
    eventually(20, || {
        let out = c.kubectl(&["get", "pods", "-o", "wide", "--show-labels"]);
        if out.code != 0 {
            return None;
        }
        let table = Table::parse(&out.stdout);
        names
            .iter()
            .all(|n| {
                table.names().contains(n)
                    && table.cell(n, "READY") == "1/1"
                    && table.cell(n, "STATUS") == "Running"
                    && table.cell(n, "IP") != "<none>"
            })
            .then_some(table)
    })
}

fn pod_json(c: &Cluster, name: &str) -> Value {
    c.kubectl_json(&["get", "pod", name])
}

#[test]
fn lab_pods_run_reach_each_other_and_go_away() {
    let c = Cluster::start();
    let started = Instant::now();
    c.kubectl(&["apply", "-f", "labs/services/specs/pods"]).ok();
    let table = wait_running(&c, &["sleep", "whoami"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "pods took {:?}",
        started.elapsed()
    );
    let whoami_ip = table.cell("whoami", "IP").to_string();
    let sleep_ip = table.cell("sleep", "IP").to_string();
    assert_ne!(whoami_ip, sleep_ip);
    for ip in [&whoami_ip, &sleep_ip] {
        assert!(ip.starts_with("10.42.0."), "{ip} not in 10.42.0.0/24");
    }
    let node = table.cell("whoami", "NODE").to_string();
    assert!(!node.is_empty() && node != "<none>");
    assert!(table.cell("whoami", "LABELS").contains("app=whoami"));

    let nodes = Table::parse(&c.kubectl(&["get", "nodes"]).ok().stdout);
    assert_eq!(nodes.cell(&node, "STATUS"), "Ready");
    assert_eq!(nodes.cell(&node, "ROLES"), "control-plane");

    let pod = pod_json(&c, "whoami");
    let status = &pod["status"];
    assert_eq!(status["qosClass"], "BestEffort");
    assert_eq!(status["containerStatuses"][0]["ready"], true);
    assert!(
        status["containerStatuses"][0]["containerID"]
            .as_str()
            .unwrap()
            .starts_with("kubelite://")
    );
    let conditions: Vec<(String, String)> = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ] {
        assert!(
            conditions.contains(&(want.to_string(), "True".to_string())),
            "{want} in {conditions:?}"
        );
    }

    // The node reaches the Pod, and so does another Pod.
    let from_node = c.exec(
        "curl",
        &["-s", "--max-time", "5", &format!("http://{whoami_ip}")],
        &[],
    );
    assert!(
        from_node.stdout.contains("Hostname: whoami"),
        "{from_node:?}"
    );
    let client = c.write(
        "client.yaml",
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: client\nspec:\n  restartPolicy: Never\n  \
             containers:\n  - name: curl\n    image: busybox\n    command: [curl, -s, --max-time, '5', 'http://{whoami_ip}']\n  \
             - name: env\n    image: busybox\n    command: [sh, -c, 'cat /etc/resolv.conf; hostname; echo \"k8s=$KUBERNETES_SERVICE_HOST me=$MY_IP\"']\n    \
             env:\n    - name: MY_IP\n      valueFrom:\n        fieldRef:\n          fieldPath: status.podIP\n"
        ),
    );
    c.kubectl(&["apply", "-f", client.to_str().unwrap()]).ok();
    let done = eventually(20, || {
        let pod = pod_json(&c, "client");
        (pod["status"]["phase"] == "Succeeded").then_some(pod)
    });
    let uid = done["metadata"]["uid"].as_str().unwrap();
    let log = c
        .data_dir()
        .join(format!("agent/pods/default_client_{uid}/curl/0.log"));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(" stdout F Hostname: whoami"), "{text}");
    assert!(text.contains(&format!("IP: {whoami_ip}")), "{text}");
    let client_ip = done["status"]["podIP"].as_str().unwrap();
    let env_logs = c.kubectl(&["logs", "client", "-c", "env"]).ok();
    assert_eq!(
        env_logs.stdout,
        format!(
            "search default.svc.cluster.local svc.cluster.local cluster.local\n\
             nameserver 10.43.0.10\n\
             options ndots:5\n\
             client\n\
             k8s=10.43.0.1 me={client_ip}\n"
        )
    );

    // Events as the kubelet writes them.
    let events = c
        .kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=whoami",
        ])
        .ok();
    for reason in ["Pulled", "Created", "Started"] {
        assert!(
            events.stdout.contains(reason),
            "{reason}: {}",
            events.stdout
        );
    }
    assert!(
        events
            .stdout
            .contains("Container image \"sixeyed/whoami:21.04\" already present on machine")
    );

    // Delete returns once the Pod has stopped; a new Pod gets a new IP.
    let t = Instant::now();
    c.kubectl(&["delete", "pods", "-l", "app=whoami"]).ok();
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "delete took {:?}",
        t.elapsed()
    );
    c.kubectl(&["apply", "-f", "labs/services/specs/pods"]).ok();
    let table = wait_running(&c, &["sleep", "whoami"]);
    let new_ip = table.cell("whoami", "IP");
    assert_ne!(
        new_ip, whoami_ip,
        "IPs are not reused until the range wraps"
    );
    assert_eq!(table.cell("sleep", "IP"), sleep_ip);

    // A forced delete cleans up too.
    c.kubectl(&["delete", "pod", "sleep", "--grace-period=0", "--force"])
        .ok();
    eventually(10, || {
        let links = c.exec("ip", &["-o", "link"], &[]).stdout;
        (links.matches("veth").count() == 1).then_some(())
    });
}

/// A Pod without probes goes from Pending straight to `1/1 Running`, as kubelet's first Running
/// status is already ready when no probe says otherwise: `kubectl get pods -w` shows no
/// `0/1 Running` row, and one Running row only (the status is written once, not rewritten on
/// the agent's next syncs).
#[test]
fn a_pod_without_probes_is_ready_in_its_first_running_status() {
    let c = Cluster::start();
    let out = c.dir.path().join("watch.txt");
    let mut watch = c.kubectl_spawn(&["get", "pods", "-w"], &out);
    c.kubectl(&["apply", "-f", "labs/services/specs/pods/whoami.yaml"])
        .ok();
    c.kubectl(&[
        "wait",
        "--for=condition=Ready",
        "pod/whoami",
        "--timeout=30s",
    ])
    .ok();
    // Past the agent's syncs of a just-started Pod (every 200 ms), which would rewrite it.
    std::thread::sleep(Duration::from_secs(2));
    let _ = watch.kill();
    let _ = watch.wait();
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let running: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|cells| cells.first() == Some(&"whoami") && cells.get(2) == Some(&"Running"))
        .collect();
    assert_eq!(running.len(), 1, "{text}");
    assert_eq!(running[0][1], "1/1", "{text}");
}
