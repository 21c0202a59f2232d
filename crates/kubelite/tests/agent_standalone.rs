//! `kubelite agent` alone, as a second node: in a network namespace of its own (another host,
//! linked to the first node by a veth pair), it registers Node `n2` against the API server of
//! `kubelite up`, gets its own Pod range, turns Ready, runs the Pods bound to it with IPs from
//! that range, and on SIGTERM stops them.

mod support;

use support::{Cluster, Table, eventually};

#[test]
fn a_second_node_runs_its_own_pods() {
    let c = Cluster::start();
    let data = c.data_dir();
    let token = std::fs::read_to_string(data.join("pki/admin.token")).expect("admin token");
    // Node 2: its own network namespace, 192.168.77.2, reaching the API server on node 1's
    // address 192.168.77.1 (`kubelite up` listens on every address).
    let setup = c.node_sh(&format!(
        "set -e
         ip netns add n2
         ip link add n1-n2 type veth peer name eth0 netns n2
         ip addr add 192.168.77.1/24 dev n1-n2 && ip link set n1-n2 up
         ip -n n2 addr add 192.168.77.2/24 dev eth0 && ip -n n2 link set eth0 up && ip -n n2 link set lo up
         ip netns exec n2 sh -c '{bin} agent --server https://192.168.77.1:6443 --token {token} \
             --insecure-skip-tls-verify --node-name n2 --data-dir {dir}/n2 \
             > {dir}/n2.log 2>&1 & echo $! > {dir}/n2.pid'",
        bin = support::kubelite_bin(),
        token = token.trim(),
        dir = c.dir.path().display(),
    ));
    assert_eq!(setup.code, 0, "{}{}", setup.stdout, setup.stderr);
    let log = || std::fs::read_to_string(c.dir.path().join("n2.log")).unwrap_or_default();

    let nodes = eventually(20, || {
        let t = Table::parse(&c.kubectl(&["get", "nodes", "-o", "wide"]).ok().stdout);
        (t.names().contains(&"n2") && t.cell("n2", "STATUS") == "Ready").then_some(t)
    });
    assert_eq!(nodes.cell("n2", "INTERNAL-IP"), "192.168.77.2", "{}", log());
    assert_eq!(nodes.cell("n2", "ROLES"), "<none>");
    let cidr = c
        .kubectl(&["get", "node", "n2", "-o", "jsonpath={.spec.podCIDR}"])
        .ok()
        .stdout;
    assert_eq!(cidr, "10.42.1.0/24");

    let pod = c.write(
        "on-n2.yaml",
        "apiVersion: v1
kind: Pod
metadata:
  name: on-n2
spec:
  nodeName: n2
  containers:
  - name: app
    image: traefik/whoami
",
    );
    c.kubectl(&["apply", "-f", pod.to_str().unwrap()]).ok();
    c.kubectl(&[
        "wait",
        "--for=condition=Ready",
        "pod/on-n2",
        "--timeout=30s",
    ])
    .ok();
    let p = c.kubectl_json(&["get", "pod", "on-n2"]);
    let ip = p["status"]["podIP"].as_str().expect("pod IP").to_string();
    assert!(ip.starts_with("10.42.1."), "{ip}");
    assert_eq!(p["status"]["hostIP"], "192.168.77.2");
    // The Pod answers inside node 2's network.
    let body = c.node_sh(&format!("ip netns exec n2 curl -s -m 5 http://{ip}"));
    assert!(body.stdout.contains("Hostname: on-n2"), "{}", body.stdout);

    // A clean stop of the agent stops its Pods and removes its bridge and veths.
    let stop = c.node_sh(&format!(
        // Gone, or a zombie: the namespace's PID 1 (`sleep`) does not reap orphans.
        "pid=$(cat {dir}/n2.pid); kill -TERM $pid; for i in $(seq 100); do \
         state=$(awk '{{print $3}}' /proc/$pid/stat 2>/dev/null); \
         [ -z \"$state\" ] || [ \"$state\" = Z ] && exit 0; sleep 0.1; done; exit 1",
        dir = c.dir.path().display()
    ));
    assert_eq!(stop.code, 0, "the agent did not stop:\n{}", log());
    let left = c.node_sh("ip netns exec n2 ip -o link show | grep -v -e ': lo:' -e ': eth0@'");
    assert_eq!(
        left.stdout.trim(),
        "",
        "node 2 kept links:\n{}",
        left.stdout
    );
}
