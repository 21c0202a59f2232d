//! The proxy's configuration.

use std::net::SocketAddr;
use std::time::Duration;

use ipnet::Ipv4Net;

/// What the proxy needs to know; [`Config::new`] fills kube-proxy's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// This node's name: its Node gives the NodePort addresses, and endpoints on it are local.
    pub node_name: String,
    /// The Service network (`--service-cidr`): its unallocated addresses are rejected.
    pub service_cidr: Ipv4Net,
    /// The Pod network (`--cluster-cidr`): traffic from elsewhere to a ClusterIP is
    /// masqueraded.
    pub cluster_cidr: Ipv4Net,
    /// Where `/metrics` is served (kube-proxy's 127.0.0.1:10249); `None` serves nothing.
    pub metrics_addr: Option<SocketAddr>,
    /// How often a full sync rewrites the table, repairing drift (kube-proxy's 30 s).
    pub sync_period: Duration,
    /// The least time between two syncs, to batch bursts of changes (5 ms: the network
    /// programming latency target is a p99 under 100 ms).
    pub min_sync_interval: Duration,
}

impl Config {
    /// A configuration with the default metrics address and sync periods.
    pub fn new(node_name: &str, service_cidr: Ipv4Net, cluster_cidr: Ipv4Net) -> Config {
        Config {
            node_name: node_name.to_string(),
            service_cidr,
            cluster_cidr,
            metrics_addr: Some(SocketAddr::from(([127, 0, 0, 1], 10249))),
            sync_period: Duration::from_secs(30),
            min_sync_interval: Duration::from_millis(5),
        }
    }
}
