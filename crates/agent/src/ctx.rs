//! What every pod worker shares: the API client, the agent's configuration and directories,
//! the node network and IPAM, the node IP, the cluster DNS settings, the event recorder and the
//! registry the streaming server finds pods in, the Service cache and the pod zygote.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;

use kube::Client;
use kubelite_netns::{NodeDns, NodeNetwork};
use kubelite_podsandbox::Zygote;

use crate::Config;
use crate::events::Recorder;
use crate::pod_ips::PodIps;
use crate::registry::Registry;
use crate::services::Services;

/// Shared state of the pod workers.
pub(crate) struct Ctx {
    pub(crate) client: Client,
    pub(crate) config: Config,
    pub(crate) net: NodeNetwork,
    pub(crate) ips: PodIps,
    pub(crate) node_ip: Ipv4Addr,
    pub(crate) dns: NodeDns,
    pub(crate) recorder: Recorder,
    pub(crate) registry: Arc<Registry>,
    pub(crate) services: Services,
    /// Forks the pod inits.
    pub(crate) zygote: Zygote,
}

impl Ctx {
    /// Where pod sandboxes keep their state (short, for the unix socket path).
    pub(crate) fn sandbox_dir(&self) -> PathBuf {
        sandbox_dir(&self.config)
    }

    /// Where container logs go.
    pub(crate) fn logs_dir(&self) -> PathBuf {
        logs_dir(&self.config)
    }
}

/// `<state_dir>/sb`.
pub(crate) fn sandbox_dir(config: &Config) -> PathBuf {
    config.state_dir.join("sb")
}

/// `<state_dir>/pods` (kubelet's `/var/log/pods`).
pub(crate) fn logs_dir(config: &Config) -> PathBuf {
    config.state_dir.join("pods")
}

/// `<state_dir>/run` (pod network namespaces are mounted under it).
pub(crate) fn run_dir(config: &Config) -> PathBuf {
    config.state_dir.join("run")
}

/// `<state_dir>/ipam`.
pub(crate) fn ipam_file(config: &Config) -> PathBuf {
    config.state_dir.join("ipam")
}

/// The cluster DNS Service IP: the 10th address of the service CIDR (10.43.0.10).
pub(crate) fn cluster_dns_ip(config: &Config) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(
        u32::from(config.service_cidr.network()) + 10,
    ))
}
