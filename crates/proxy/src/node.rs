//! What the planner needs to know about this node and the cluster.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use k8s_openapi::api::core::v1::Node;

/// This node and the cluster's ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The Node's name: endpoints with this `nodeName` are local.
    pub name: String,
    /// The Node's IPv4 `InternalIP` and `ExternalIP` addresses: NodePorts answer on them (and
    /// on 127.0.0.1).
    pub ips: Vec<Ipv4Addr>,
    /// The Pod network: traffic from elsewhere to a ClusterIP is masqueraded.
    pub cluster_cidr: Ipv4Net,
    /// The Service network: addresses in it without a Service are rejected.
    pub service_cidr: Ipv4Net,
}

/// The IPv4 InternalIP and ExternalIP addresses of `node`, sorted and unique.
pub fn node_ips(node: &Node) -> Vec<Ipv4Addr> {
    let mut ips: Vec<Ipv4Addr> = node
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .into_iter()
        .flatten()
        .filter(|a| a.type_ == "InternalIP" || a.type_ == "ExternalIP")
        .filter_map(|a| a.address.parse().ok())
        .collect();
    ips.sort();
    ips.dedup();
    ips
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_addresses() {
        let node: Node = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "n1"},
            "status": {"addresses": [
                {"type": "Hostname", "address": "n1"},
                {"type": "InternalIP", "address": "10.42.0.1"},
                {"type": "InternalIP", "address": "fd00::1"},
                {"type": "ExternalIP", "address": "192.0.2.7"},
                {"type": "InternalIP", "address": "10.42.0.1"}
            ]}
        }))
        .unwrap();
        assert_eq!(
            node_ips(&node),
            vec![Ipv4Addr::new(10, 42, 0, 1), Ipv4Addr::new(192, 0, 2, 7)]
        );
        assert!(node_ips(&Node::default()).is_empty());
    }
}
