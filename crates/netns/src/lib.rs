//! kubelite's pod networking layer, like the CNI bridge plugin with host-local IPAM, done natively
//! with netlink and `setns` (no `ip`, no fork).
//!
//! - [`NodeNetwork::setup`]: bridge (`kl0`) with the gateway address, node sysctls.
//! - [`Ipam`]: pod addresses from the node's pod CIDR, persisted, not reused until the range wraps.
//! - [`NodeNetwork::create_sandbox`] / [`NodeNetwork::destroy_sandbox`]: per-pod namespace at
//!   `<run_dir>/netns/<uid>`, veth on the bridge (hairpin on), `eth0`, address, default route;
//!   in two steps, [`NodeNetwork::prepare_sandbox`] (what needs no address) and
//!   [`NodeNetwork::finish_sandbox`], so the address can be persisted meanwhile.
//! - [`NodeNetwork::list_sandboxes`] / [`NodeNetwork::gc`]: adoption after an agent restart.
//! - [`render_resolv_conf`] / [`render_hosts`]: the pod's `/etc/resolv.conf` and `/etc/hosts`,
//!   byte for byte as kubelet and containerd write them (pure functions).
//!
//! Everything kernel-facing is async (tokio) and must be driven from threads in the node's
//! network namespace; namespace switches happen only on the crate's own namespace threads,
//! which return to the node's namespace after each job.
//! IPv4 only.

mod adopt;
mod error;
mod hosts;
mod ipam;
mod ipam_state;
mod names;
mod netlink;
mod netns;
mod node;
mod ns_threads;
mod pod_range;
mod resolv;
mod rtnl_priority;
mod sandbox;
mod sysctl;

pub use adopt::{GcReport, SandboxInfo};
pub use error::{Error, Result};
pub use hosts::{
    HostAlias, PodHosts, pod_hostname_and_domain, render_host_network_hosts, render_hosts,
};
pub use ipam::{Change as IpamChange, Ipam, Outcome as IpamOutcome};
pub use ipam_state::{DecodeError, IpamState};
pub use names::{
    POD_INTERFACE, host_veth_name, is_host_veth_name, netns_dir, netns_path, validate_uid,
};
pub use node::{NodeNetConfig, NodeNetwork};
pub use pod_range::PodRange;
pub use resolv::{
    DnsOption, DnsPolicy, NodeDns, PodDns, PodDnsConfig, ResolvConf, parse_resolv_conf,
    pod_resolv_conf, render_resolv_conf,
};
pub use sandbox::{PendingSandbox, SandboxNet};
pub use sysctl::{NODE_SYSCTLS, get_sysctl, set_sysctl};
