//! The harness itself: a cluster comes up isolated and kubectl reaches it.

mod support;

use support::Cluster;

#[test]
fn cluster_answers_kubectl_from_an_isolated_namespace() {
    let c = Cluster::start();
    let v = c.kubectl(&["version"]).ok();
    assert!(v.stdout.contains("Server Version: v1.33"), "{}", v.stdout);
    let ns = c.kubectl(&["get", "namespaces"]).ok();
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(ns.stdout.contains(name), "{}", ns.stdout);
    }
    // The machine's own network never sees the API server.
    let mine = std::fs::read_link("/proc/self/ns/net").unwrap();
    assert_ne!(std::fs::read_link(c.netns_path()).unwrap(), mine);
}
