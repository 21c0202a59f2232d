//! Planning node Pod CIDRs (the node IPAM controller's range allocator), without IO: from the
//! nodes, the cluster CIDR and the per-node mask, the block each node without a `podCIDR` gets.
//!
//! The blocks in use are rebuilt from the nodes every time (`spec.podCIDRs`, or `spec.podCIDR`),
//! so a block held by any node is never handed out again, whatever mask it has. Nodes are served
//! in name order, each taking the lowest free block of the cluster CIDR.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use k8s_openapi::api::core::v1::Node;

/// The IPv4 Pod CIDRs `node` holds (`spec.podCIDRs`, or `spec.podCIDR` when the list is empty);
/// entries that are not IPv4 CIDRs are left out.
pub fn node_cidrs(node: &Node) -> Vec<Ipv4Net> {
    let Some(spec) = node.spec.as_ref() else {
        return Vec::new();
    };
    let listed = spec.pod_cidrs.clone().unwrap_or_default();
    let raw = if listed.is_empty() {
        spec.pod_cidr.clone().into_iter().collect()
    } else {
        listed
    };
    raw.iter()
        .filter_map(|c| c.parse::<Ipv4Net>().ok())
        .map(|c| c.trunc())
        .collect()
}

/// Whether `node` has been given a Pod CIDR (of any family).
pub fn has_pod_cidr(node: &Node) -> bool {
    node.spec.as_ref().is_some_and(|s| {
        s.pod_cidr.as_deref().is_some_and(|c| !c.is_empty())
            || s.pod_cidrs.as_ref().is_some_and(|l| !l.is_empty())
    })
}

/// For every node without a Pod CIDR, by name: its new `/mask` block of `cluster`, or `None`
/// when the cluster CIDR has no free block left. `mask` must not be shorter than `cluster`'s
/// prefix (then nothing is free).
pub fn plan_pod_cidrs(
    nodes: &[&Node],
    cluster: Ipv4Net,
    mask: u8,
) -> BTreeMap<String, Option<Ipv4Net>> {
    let mut used: Vec<Ipv4Net> = nodes.iter().flat_map(|n| node_cidrs(n)).collect();
    let mut waiting: Vec<&str> = nodes
        .iter()
        .filter(|n| !has_pod_cidr(n))
        .map(|n| n.metadata.name.as_deref().unwrap_or_default())
        .collect();
    waiting.sort_unstable();
    let mut plan = BTreeMap::new();
    for name in waiting {
        let block = cluster.trunc().subnets(mask).ok().and_then(|mut blocks| {
            blocks.find(|b| !used.iter().any(|u| u.contains(b) || b.contains(u)))
        });
        if let Some(b) = block {
            used.push(b);
        }
        plan.insert(name.to_string(), block);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::NodeSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    /// A node with `cidrs` as `spec.podCIDRs` (and the first as `spec.podCIDR`).
    fn node(name: &str, cidrs: &[&str]) -> Node {
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                pod_cidr: cidrs.first().map(|c| c.to_string()),
                pod_cidrs: (!cidrs.is_empty())
                    .then(|| cidrs.iter().map(|c| c.to_string()).collect()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn check(nodes: &[Node], cluster: &str, mask: u8, want: &[(&str, Option<&str>)]) {
        let nodes: Vec<&Node> = nodes.iter().collect();
        let got = plan_pod_cidrs(&nodes, cluster.parse().unwrap(), mask);
        let got: Vec<(String, Option<String>)> = got
            .into_iter()
            .map(|(n, c)| (n, c.map(|c| c.to_string())))
            .collect();
        let want: Vec<(String, Option<String>)> = want
            .iter()
            .map(|(n, c)| (n.to_string(), c.map(String::from)))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn assigns_the_lowest_free_blocks() {
        let cluster = "10.42.0.0/16";
        check(
            &[node("kubelite", &[])],
            cluster,
            24,
            &[("kubelite", Some("10.42.0.0/24"))],
        );
        check(
            &[node("b", &[]), node("a", &[])],
            cluster,
            24,
            &[("a", Some("10.42.0.0/24")), ("b", Some("10.42.1.0/24"))],
        );
        // Blocks held by other nodes are skipped, gaps are filled.
        check(
            &[
                node("a", &["10.42.0.0/24"]),
                node("b", &["10.42.2.0/24"]),
                node("c", &[]),
                node("d", &[]),
            ],
            cluster,
            24,
            &[("c", Some("10.42.1.0/24")), ("d", Some("10.42.3.0/24"))],
        );
        // A held block of another size covers every block it overlaps.
        check(
            &[
                node("a", &["10.42.0.0/23"]),
                node("b", &["10.42.2.128/25"]),
                node("c", &[]),
            ],
            cluster,
            24,
            &[("c", Some("10.42.3.0/24"))],
        );
        // Blocks outside the cluster CIDR and IPv6 ones do not matter.
        check(
            &[node("a", &["10.99.0.0/24", "fd00::/64"]), node("b", &[])],
            cluster,
            24,
            &[("b", Some("10.42.0.0/24"))],
        );
        // Nodes that already have a CIDR are not planned.
        check(&[node("a", &["10.42.7.0/24"])], cluster, 24, &[]);
        // A non-canonical cluster CIDR is truncated; other masks work.
        check(
            &[node("a", &[])],
            "10.42.5.1/16",
            26,
            &[("a", Some("10.42.0.0/26"))],
        );
    }

    #[test]
    fn reports_exhaustion() {
        check(
            &[node("a", &["10.42.0.0/25"]), node("b", &[]), node("c", &[])],
            "10.42.0.0/24",
            25,
            &[("b", Some("10.42.0.128/25")), ("c", None)],
        );
        check(&[node("a", &[])], "10.42.0.0/16", 8, &[("a", None)]);
    }

    #[test]
    fn reads_node_cidrs() {
        let mut only_single = node("a", &[]);
        only_single.spec.as_mut().unwrap().pod_cidr = Some("10.42.3.7/24".into());
        assert_eq!(
            node_cidrs(&only_single),
            vec!["10.42.3.0/24".parse::<Ipv4Net>().unwrap()]
        );
        assert!(has_pod_cidr(&only_single));
        assert!(!has_pod_cidr(&node("b", &[])));
        assert!(has_pod_cidr(&node("c", &["fd00::/64"])));
        assert!(node_cidrs(&node("c", &["fd00::/64"])).is_empty());
    }
}
