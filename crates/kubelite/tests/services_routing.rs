//! Service routing end to end (issue 4): the lab's Services reach their Pods through the
//! kernel (nftables rules the proxy writes), from Pods, from the node (localhost NodePort and
//! LoadBalancer ports) and from another network namespace; empty Services refuse at once;
//! traffic is spread over endpoints or pinned by ClientIP affinity; hairpin, multi-port with
//! named targetPorts, UDP, and the `kubernetes` Service to the API server.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use support::{Cluster, Table, eventually};

/// Applies the lab Pods and waits until both are Ready.
fn lab_pods(c: &Cluster) {
    c.kubectl(&["apply", "-f", "labs/services/specs/pods"]).ok();
    c.wait_ready("default", &["sleep", "whoami"]);
}

fn cluster_ip(c: &Cluster, svc: &str) -> String {
    c.jsonpath(&["get", "svc", svc], "{.spec.clusterIP}")
}

fn pod_ip(c: &Cluster, pod: &str) -> String {
    c.jsonpath(&["get", "pod", pod], "{.status.podIP}")
}

/// `curl` from the `sleep` Pod; the body on success.
fn curl_from_sleep(c: &Cluster, url: &str) -> Option<String> {
    let run = c.kubectl(&["exec", "sleep", "--", "curl", "-s", "-m", "5", url]);
    (run.code == 0).then_some(run.stdout)
}

/// The `IP:` line that is the Pod's IPv4 address in a whoami response.
fn answering_ip(body: &str) -> Option<&str> {
    body.lines()
        .filter_map(|l| l.strip_prefix("IP: "))
        .find(|ip| ip.starts_with("10."))
}

#[test]
fn clusterip_routes_to_the_current_pod() {
    let c = Cluster::start();
    lab_pods(&c);
    c.kubectl(&[
        "apply",
        "-f",
        "labs/services/specs/services/whoami-clusterip.yaml",
    ])
    .ok();
    let ip = cluster_ip(&c, "whoami");
    assert!(ip.starts_with("10.43."), "ClusterIP {ip}");
    let whoami_ip = pod_ip(&c, "whoami");

    let body = eventually(10, || curl_from_sleep(&c, &format!("http://{ip}")));
    assert!(body.contains("Hostname: whoami"), "{body}");
    assert_eq!(answering_ip(&body), Some(whoami_ip.as_str()), "{body}");

    let endpoints = Table::parse(&c.kubectl(&["get", "endpoints", "whoami"]).ok().stdout);
    assert_eq!(
        endpoints.cell("whoami", "ENDPOINTS"),
        format!("{whoami_ip}:80")
    );
    let describe = c.kubectl(&["describe", "svc", "whoami"]).ok().stdout;
    assert!(
        describe
            .lines()
            .any(|l| l.starts_with("Endpoints:") && l.contains(&format!("{whoami_ip}:80"))),
        "{describe}"
    );

    // Replace the Pod: same ClusterIP, the new Pod's IP as endpoint, and traffic follows it.
    c.kubectl(&["delete", "pods", "-l", "app=whoami"]).ok();
    c.kubectl(&["apply", "-f", "labs/services/specs/pods"]).ok();
    c.wait_ready("default", &["whoami"]);
    let new_ip = pod_ip(&c, "whoami");
    assert_ne!(new_ip, whoami_ip);
    assert_eq!(cluster_ip(&c, "whoami"), ip);
    eventually(10, || {
        let out = c.kubectl(&["get", "endpoints", "whoami"]).ok().stdout;
        (Table::parse(&out).cell("whoami", "ENDPOINTS") == format!("{new_ip}:80")).then_some(())
    });
    let body = eventually(10, || {
        curl_from_sleep(&c, &format!("http://{ip}"))
            .filter(|b| answering_ip(b) == Some(new_ip.as_str()))
    });
    assert!(body.contains("Hostname: whoami"), "{body}");
}

#[test]
fn nodeport_and_loadbalancer_answer_on_the_node() {
    let c = Cluster::start();
    lab_pods(&c);
    c.kubectl(&[
        "apply",
        "-f",
        "labs/services/specs/services/whoami-nodeport.yaml",
        "-f",
        "labs/services/specs/services/whoami-loadbalancer.yaml",
    ])
    .ok();
    let node_ip = c.jsonpath(
        &["get", "nodes"],
        "{.items[0].status.addresses[?(@.type==\"InternalIP\")].address}",
    );
    assert!(!node_ip.is_empty());
    let svc = eventually(10, || {
        let out = c.kubectl(&["get", "svc", "-l", "app=whoami"]).ok().stdout;
        let table = Table::parse(&out);
        (table.cell("whoami-lb", "EXTERNAL-IP") != "<pending>").then_some(table)
    });
    assert_eq!(svc.cell("whoami-lb", "EXTERNAL-IP"), node_ip);
    assert_eq!(svc.cell("whoami-lb", "TYPE"), "LoadBalancer");
    assert!(svc.cell("whoami-lb", "PORT(S)").starts_with("8080:3"));
    assert_eq!(svc.cell("whoami-np", "PORT(S)"), "8010:30010/TCP");
    assert_eq!(svc.cell("whoami-np", "EXTERNAL-IP"), "<none>");

    for url in ["http://localhost:30010", "http://localhost:8080"] {
        let body = eventually(10, || {
            let run = c.exec("curl", &["-s", "-m", "5", url], &[]);
            (run.code == 0).then_some(run.stdout)
        });
        assert!(body.contains("Hostname: whoami"), "{url}: {body}");
    }
    let np_ip = cluster_ip(&c, "whoami-np");
    let lb_ip = cluster_ip(&c, "whoami-lb");
    for url in [
        format!("http://{np_ip}:8010"),
        format!("http://{lb_ip}:8080"),
    ] {
        let body = eventually(10, || curl_from_sleep(&c, &url));
        assert!(body.contains("Hostname: whoami"), "{url}: {body}");
    }

    // A client in a network namespace of its own, linked to the node by a veth pair, as another
    // host on the node's network would be.
    let script = format!(
        "set -e
         ip netns add client
         ip link add cl-node type veth peer name cl-peer netns client
         ip addr add 192.168.77.1/30 dev cl-node && ip link set cl-node up
         ip -n client addr add 192.168.77.2/30 dev cl-peer && ip -n client link set cl-peer up
         ip -n client route add default via 192.168.77.1
         ip netns exec client curl -s -m 5 http://{node_ip}:30010"
    );
    let run = c.node_sh(&script);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Hostname: whoami"), "{}", run.stdout);
    // The Pod sees the client's connection masqueraded to the node, as kube-proxy does for
    // traffic from outside the cluster under externalTrafficPolicy: Cluster.
    assert!(
        run.stdout.contains(&format!("RemoteAddr: {node_ip}:")),
        "{}",
        run.stdout
    );

    // A type change drops what only the old type used, as kube-apiserver does: the NodePort
    // is released and stops answering.
    c.kubectl(&[
        "patch",
        "svc",
        "whoami-np",
        "-p",
        r#"{"spec":{"type":"ClusterIP"}}"#,
    ])
    .ok();
    let t = Table::parse(&c.kubectl(&["get", "svc", "whoami-np"]).ok().stdout);
    assert_eq!(t.cell("whoami-np", "TYPE"), "ClusterIP");
    assert_eq!(t.cell("whoami-np", "PORT(S)"), "8010/TCP");
    eventually(10, || {
        let run = c.exec("curl", &["-s", "-m", "2", "http://localhost:30010"], &[]);
        (run.code != 0).then_some(())
    });
    let body =
        curl_from_sleep(&c, &format!("http://{np_ip}:8010")).expect("ClusterIP still routes");
    assert!(body.contains("Hostname: whoami"), "{body}");
}

#[test]
fn a_service_without_endpoints_refuses_at_once() {
    let c = Cluster::start();
    lab_pods(&c);
    c.kubectl(&[
        "apply",
        "-f",
        "labs/services/solution/whoami-svc-zeromatches.yaml",
    ])
    .ok();
    // The endpoints controller writes the (empty) Endpoints a moment after the Service.
    let out = eventually(5, || {
        let run = c.kubectl(&["get", "endpoints", "whoami-zero-matches"]);
        (run.code == 0).then_some(run.stdout)
    });
    assert_eq!(
        Table::parse(&out).cell("whoami-zero-matches", "ENDPOINTS"),
        "<none>"
    );
    let ip = cluster_ip(&c, "whoami-zero-matches");
    // Both the Service's own port and one it does not define.
    for port in [8010, 80] {
        let started = Instant::now();
        let run = c.kubectl(&[
            "exec",
            "sleep",
            "--",
            "curl",
            "-v",
            "-m",
            "5",
            &format!("http://{ip}:{port}"),
        ]);
        let elapsed = started.elapsed();
        assert_ne!(run.code, 0, "curl to an empty Service succeeded");
        // curl's exit 7: "Failed to connect" (refused), not 28 (timeout).
        assert!(
            run.stderr.contains("exit code 7") && run.stderr.contains("Connection refused"),
            "{}",
            run.stderr
        );
        assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    }
}

/// Which Pod IP answered each of `n` requests through `url` from the sleep Pod.
fn spread(c: &Cluster, url: &str, n: usize) -> BTreeMap<String, usize> {
    let script = format!("for i in $(seq {n}); do curl -s -m 5 {url} | grep '^IP: 10\\.'; done");
    let out = c
        .kubectl(&["exec", "sleep", "--", "sh", "-c", &script])
        .ok()
        .stdout;
    let mut counts = BTreeMap::new();
    for line in out.lines() {
        *counts
            .entry(line.trim_start_matches("IP: ").to_string())
            .or_insert(0) += 1;
    }
    counts
}

#[test]
fn traffic_spreads_over_endpoints_unless_pinned_by_client_ip() {
    let c = Cluster::start();
    lab_pods(&c);
    c.kubectl(&[
        "apply",
        "-f",
        "labs/services/specs/services/whoami-clusterip.yaml",
        "-f",
        "labs/services/solution/whoami-pod-2.yaml",
    ])
    .ok();
    c.wait_ready("default", &["whoami-2"]);
    let ip = cluster_ip(&c, "whoami");
    eventually(10, || {
        let out = c.kubectl(&["get", "endpoints", "whoami"]).ok().stdout;
        (Table::parse(&out)
            .cell("whoami", "ENDPOINTS")
            .split(',')
            .count()
            == 2)
            .then_some(())
    });
    let url = format!("http://{ip}");
    let counts = spread(&c, &url, 60);
    assert_eq!(counts.values().sum::<usize>(), 60, "{counts:?}");
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(counts.values().all(|&n| n >= 15), "{counts:?}");

    c.kubectl(&[
        "patch",
        "svc",
        "whoami",
        "-p",
        r#"{"spec":{"sessionAffinity":"ClientIP"}}"#,
    ])
    .ok();
    let counts = eventually(10, || {
        let counts = spread(&c, &url, 60);
        (counts.len() == 1).then_some(counts)
    });
    assert_eq!(counts.values().sum::<usize>(), 60, "{counts:?}");
}

#[test]
fn hairpin_multiport_udp_and_the_kubernetes_service() {
    let c = Cluster::start();
    lab_pods(&c);
    let manifest = c.write(
        "multi.yaml",
        r#"apiVersion: v1
kind: Pod
metadata:
  name: multi
  labels: {app: multi}
spec:
  containers:
  - name: web
    image: traefik/whoami
    env: [{name: WHOAMI_NAME, value: web}]
    ports: [{name: web, containerPort: 80}]
  - name: alt
    image: traefik/whoami
    args: ["--port", "8081"]
    env: [{name: WHOAMI_NAME, value: alt}]
    ports: [{name: alt, containerPort: 8081}]
  - name: echo
    image: python
    command: ["python3", "-c", "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',9000))\nwhile True:\n  d,a=s.recvfrom(512)\n  s.sendto(b'pong '+d,a)\n"]
    ports: [{name: echo, containerPort: 9000, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata:
  name: multi
spec:
  selector: {app: multi}
  ports:
  - {name: first, port: 81, targetPort: web}
  - {name: second, port: 82, targetPort: alt}
  - {name: udp, port: 53, targetPort: echo, protocol: UDP}
"#,
    );
    c.kubectl(&["apply", "-f", manifest.to_str().unwrap()]).ok();
    c.wait_ready("default", &["multi"]);
    let ip = cluster_ip(&c, "multi");
    for (port, name) in [(81, "web"), (82, "alt")] {
        let body = eventually(10, || curl_from_sleep(&c, &format!("http://{ip}:{port}")));
        assert!(body.contains(&format!("Name: {name}")), "{port}: {body}");
    }

    // Hairpin: the Pod reaches itself through its own Service.
    let run = c.kubectl(&[
        "exec",
        "multi",
        "-c",
        "web",
        "--",
        "curl",
        "-s",
        "-m",
        "5",
        &format!("http://{ip}:82"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Name: alt"), "{}", run.stdout);

    // UDP through the Service.
    let reply = eventually(10, || {
        let run = c.kubectl(&[
            "exec",
            "sleep",
            "--",
            "python3",
            "-c",
            &format!(
                "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(2)\ns.sendto(b'ping',('{ip}',53))\nprint(s.recv(64).decode())"
            ),
        ]);
        run.stdout.contains("pong").then_some(run.stdout)
    });
    assert!(reply.contains("pong ping"), "{reply}");

    // The `kubernetes` Service reaches the API server.
    let run = c.kubectl(&[
        "exec",
        "sleep",
        "--",
        "curl",
        "-sk",
        "-m",
        "5",
        "https://10.43.0.1/version",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("\"minor\": \"33\"") || run.stdout.contains("\"minor\":\"33\""));
}
