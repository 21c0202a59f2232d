//! The node side: bridge with the gateway address, node sysctls, the netns directory, and node
//! teardown. A `NodeNetwork` is the entry point for every sandbox operation.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use rtnetlink::{LinkBridge, LinkUnspec, RouteMessageBuilder};

use crate::error::{Error, Result};
use crate::names::netns_dir;
use crate::netlink::{Netlink, ignore_exists};
use crate::netns;
use crate::pod_range::PodRange;
use crate::sysctl::{NODE_SYSCTLS, send_redirects_key, set_sysctl};

/// How the node's pod network looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeNetConfig {
    /// Bridge name, e.g. `kl0`.
    pub bridge: String,
    /// The node's `spec.podCIDR`; its first address becomes the bridge's (gateway) address.
    pub pod_cidr: Ipv4Net,
    /// MTU of the bridge and of every pod veth.
    pub mtu: u32,
    /// Runtime directory; pod namespaces are mounted at `<run_dir>/netns/<uid>`.
    pub run_dir: PathBuf,
    /// Service CIDR to route onto the bridge, so `connect()` to a ClusterIP reaches the nat hooks.
    pub service_cidr: Option<Ipv4Net>,
}

/// The node's pod network, set up. Must be used from threads in the node's network namespace
/// (any tokio worker: this crate never moves them).
pub struct NodeNetwork {
    pub(crate) config: NodeNetConfig,
    pub(crate) range: PodRange,
    pub(crate) bridge_index: u32,
    pub(crate) host: Netlink,
}

impl NodeNetwork {
    /// Creates or adopts the bridge (MTU, gateway address, up), routes the service CIDR onto it,
    /// sets [`NODE_SYSCTLS`] and prepares the netns directory. Idempotent: a restarted
    /// agent calls it again and keeps existing pods.
    pub async fn setup(config: NodeNetConfig) -> Result<Self> {
        let range = PodRange::new(config.pod_cidr)?;
        for (key, value) in NODE_SYSCTLS {
            set_sysctl(key, value)?;
        }
        netns::prepare_dir(&netns_dir(&config.run_dir))?;
        let host = Netlink::start(Netlink::connect_here()?)?;
        let handle = host.handle();
        if host.link_by_name(&config.bridge).await?.is_none() {
            let add = handle
                .link()
                .add(LinkBridge::new(&config.bridge).mtu(config.mtu).up().build())
                .execute()
                .await;
            ignore_exists(add).map_err(|e| Error::netlink("add bridge", e))?;
        }
        handle
            .link()
            .set(
                LinkUnspec::new_with_name(&config.bridge)
                    .mtu(config.mtu)
                    .up()
                    .build(),
            )
            .execute()
            .await
            .map_err(|e| Error::netlink("set bridge up", e))?;
        set_sysctl(&send_redirects_key(&config.bridge), "0")?;
        let bridge_index = host
            .link_by_name(&config.bridge)
            .await?
            .map(|link| link.header.index)
            .ok_or_else(|| Error::LinkMissing(config.bridge.clone()))?;
        let add = handle
            .address()
            .add(
                bridge_index,
                IpAddr::V4(range.gateway()),
                range.cidr().prefix_len(),
            )
            .execute()
            .await;
        ignore_exists(add).map_err(|e| Error::netlink("add gateway address", e))?;
        if let Some(service_cidr) = config.service_cidr {
            let route = RouteMessageBuilder::<Ipv4Addr>::new()
                .destination_prefix(service_cidr.network(), service_cidr.prefix_len())
                .output_interface(bridge_index)
                .build();
            ignore_exists(handle.route().add(route).execute().await)
                .map_err(|e| Error::netlink("add service route", e))?;
        }
        Ok(NodeNetwork {
            config,
            range,
            bridge_index,
            host,
        })
    }

    /// The configuration this network was set up with.
    pub fn config(&self) -> &NodeNetConfig {
        &self.config
    }

    /// The pod address range (gateway, first/last pod address).
    pub fn range(&self) -> PodRange {
        self.range
    }

    /// The gateway address on the bridge.
    pub fn gateway(&self) -> Ipv4Addr {
        self.range.gateway()
    }

    /// Directory of the pod namespace mounts.
    pub fn netns_dir(&self) -> PathBuf {
        netns_dir(&self.config.run_dir)
    }

    /// Removes every sandbox, then the bridge (and with it its address and routes), then the
    /// netns directory's mount. Node sysctls are left as they are. IPAM state is the caller's
    /// to clear.
    pub async fn teardown(&self) -> Result<()> {
        self.gc(&HashSet::new()).await?;
        self.host.delete_link(&self.config.bridge).await?;
        netns::release_dir(&netns_dir(&self.config.run_dir))
    }

    pub(crate) fn run_dir(&self) -> &Path {
        &self.config.run_dir
    }
}
