//! Per-pod network sandbox: a named network namespace, a veth pair whose host end sits on the
//! node bridge with hairpin on and whose peer is the pod's `eth0`, the pod address, `lo` up and a
//! default route via the gateway. Creation undoes itself on failure; destruction is idempotent.

use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};

use rtnetlink::packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoBridgePort, InfoData, InfoKind, InfoPortData,
    InfoPortKind, InfoVeth, LinkAttribute, LinkFlags,
};
use rtnetlink::{LinkMessageBuilder, LinkUnspec, LinkVeth, RouteMessageBuilder};

use crate::error::{Error, Result};
use crate::names::{POD_INTERFACE, POD_INTERFACE_INDEX, host_veth_name, netns_path, validate_uid};
use crate::netlink::{Netlink, is_exists};
use crate::netns;
use crate::node::NodeNetwork;

/// A pod's network, as created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxNet {
    /// Pod UID.
    pub uid: String,
    /// Where the pod's network namespace is mounted (give it to the runtime).
    pub netns_path: PathBuf,
    /// The pod IP on `eth0`.
    pub ip: Ipv4Addr,
    /// Host end of the veth pair.
    pub host_veth: String,
}

/// A pod's network namespace with its veth pair, not yet addressed or attached: the part of a
/// sandbox that does not need the pod's address, so it can be made while IPAM persists one
/// ([`NodeNetwork::prepare_sandbox`], then [`NodeNetwork::finish_sandbox`]).
pub struct PendingSandbox {
    uid: String,
    netns_path: PathBuf,
    host_veth: String,
    /// A netlink session inside the pod's namespace.
    pod: Netlink,
}

impl NodeNetwork {
    /// Creates the sandbox of pod `uid` with address `ip` (from [`crate::Ipam::allocate`]):
    /// [`NodeNetwork::prepare_sandbox`] and [`NodeNetwork::finish_sandbox`] in one.
    pub async fn create_sandbox(&self, uid: &str, ip: Ipv4Addr) -> Result<SandboxNet> {
        self.range.check(ip)?;
        let pending = self.prepare_sandbox(uid).await?;
        self.finish_sandbox(pending, ip).await
    }

    /// Creates pod `uid`'s network namespace and its veth pair (the pod end as `eth0`, the host
    /// end on the bridge, both down). Fails with [`Error::SandboxExists`] if its namespace is
    /// already mounted; on any other failure whatever was created is removed again.
    pub async fn prepare_sandbox(&self, uid: &str) -> Result<PendingSandbox> {
        validate_uid(uid)?;
        let netns_path = netns_path(self.run_dir(), uid);
        if netns_path.exists() {
            return Err(Error::SandboxExists(uid.to_owned()));
        }
        let host_veth = host_veth_name(uid);
        let made = async {
            let pod = netns::create(&netns_path).await?;
            self.add_veth(&netns_path, &host_veth).await?;
            Ok(pod)
        };
        match made.await {
            Ok(pod) => Ok(PendingSandbox {
                uid: uid.to_owned(),
                netns_path,
                host_veth,
                pod,
            }),
            Err(e) => {
                let _ = self.destroy_sandbox(uid).await;
                Err(e)
            }
        }
    }

    /// Gives a prepared sandbox its address `ip`, `lo` and `eth0` up and the default route, and
    /// brings the host end up with hairpin on. On failure the sandbox is removed.
    pub async fn finish_sandbox(
        &self,
        pending: PendingSandbox,
        ip: Ipv4Addr,
    ) -> Result<SandboxNet> {
        let done = async {
            self.range.check(ip)?;
            configure_pod_side(
                &pending.pod,
                ip,
                self.range.cidr().prefix_len(),
                self.gateway(),
            )
            .await?;
            self.attach_host_side(&pending.host_veth).await
        };
        match done.await {
            Ok(()) => Ok(SandboxNet {
                uid: pending.uid,
                netns_path: pending.netns_path,
                ip,
                host_veth: pending.host_veth,
            }),
            Err(e) => {
                let _ = self.destroy_sandbox(&pending.uid).await;
                Err(e)
            }
        }
    }

    /// Whether pod `uid`'s sandbox was finished: its host veth is up, the last step of
    /// [`NodeNetwork::finish_sandbox`]. A pod's processes may run in a namespace whose links
    /// are still being made, so a restarted agent asks this before it adopts them.
    pub async fn sandbox_finished(&self, uid: &str) -> Result<bool> {
        validate_uid(uid)?;
        let link = self.host.link_by_name(&host_veth_name(uid)).await?;
        Ok(link.is_some_and(|l| l.header.flags.contains(LinkFlags::Up)))
    }

    /// Removes pod `uid`'s veth pair and namespace. Whatever is already gone is skipped, so this
    /// also cleans up a half-created sandbox. The caller releases the address with
    /// [`crate::Ipam::release`].
    pub async fn destroy_sandbox(&self, uid: &str) -> Result<()> {
        validate_uid(uid)?;
        self.host.delete_link(&host_veth_name(uid)).await?;
        netns::remove(&netns_path(self.run_dir(), uid))
    }

    /// Adds the veth pair, both ends down (veth cannot open an end before the pair is linked),
    /// the peer as `eth0` in the pod's namespace with index [`POD_INTERFACE_INDEX`] (the new
    /// namespace holds only `lo`), so the pod side needs no lookup. One TX and one RX queue each, given
    /// explicitly: otherwise veth makes one per CPU and then cuts them to one, each cut waiting
    /// for an RCU grace period under the RTNL lock.
    async fn add_veth(&self, netns_path: &Path, host_veth: &str) -> Result<()> {
        let mtu = self.config.mtu;
        let ns_file = fs::File::open(netns_path).map_err(|e| Error::io("open", netns_path, e))?;
        let veth = || {
            let peer = LinkUnspec::new_with_name(POD_INTERFACE)
                .index(POD_INTERFACE_INDEX)
                .mtu(mtu)
                .append_extra_attribute(LinkAttribute::NumTxQueues(1))
                .append_extra_attribute(LinkAttribute::NumRxQueues(1))
                .setns_by_fd(ns_file.as_raw_fd())
                .build();
            LinkMessageBuilder::<LinkVeth>::new_with_info_kind(InfoKind::Veth)
                .name(host_veth.to_owned())
                .mtu(mtu)
                .append_extra_attribute(LinkAttribute::NumTxQueues(1))
                .append_extra_attribute(LinkAttribute::NumRxQueues(1))
                .controller(self.bridge_index)
                .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
                .build()
        };
        let handle = self.host.handle();
        let added = handle.link().add(veth()).execute().await;
        match added {
            // A veth of this name without a namespace is a leftover of an interrupted attempt.
            Err(e) if is_exists(&e) => {
                self.host.delete_link(host_veth).await?;
                handle.link().add(veth()).execute().await
            }
            other => other,
        }
        .map_err(|e| Error::netlink("add veth pair", e))
    }

    /// Turns on hairpin mode on the bridge port and brings the host end up, once the pod end is
    /// up: the carrier comes on at once, and the kernel never deactivates a link that is up
    /// without carrier (another RCU grace period under the RTNL lock). The host end, a bridge
    /// port, gets no IPv6 link-local address (address generation off before it goes up, in the
    /// hairpin message; the kernel takes it only for an existing link): nothing addresses a
    /// bridge port, and each such address costs duplicate address detection and MLD reports.
    /// Multicast is not flooded to the port (same message): with no multicast querier on the
    /// bridge, every pod's MLD reports, duplicate address probes and router solicitations were
    /// copied into every other pod (O(pods) each), while a pod reaches no other pod's link-local
    /// multicast on the point-to-point links of other CNIs (kind's ptp) either. Unicast and
    /// broadcast (ARP) are untouched; the node still receives the pods' multicast.
    async fn attach_host_side(&self, host_veth: &str) -> Result<()> {
        let handle = self.host.handle();
        let hairpin = LinkUnspec::new_with_name(host_veth)
            .set_port_kind(InfoPortKind::Bridge)
            .set_port_data(InfoPortData::BridgePort(vec![
                InfoBridgePort::HairpinMode(true),
                InfoBridgePort::MulticastFlood(false),
            ]))
            .append_extra_attribute(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
                vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::None)],
            )]))
            .build();
        // Sent together, taken in order (see `configure_pod_side`).
        let (hairpin, up) = futures::join!(
            handle.link().set_port(hairpin).execute(),
            handle
                .link()
                .set(LinkUnspec::new_with_name(host_veth).up().build())
                .execute(),
        );
        hairpin.map_err(|e| Error::netlink("set hairpin mode", e))?;
        up.map_err(|e| Error::netlink("set host veth up", e))
    }
}

/// Brings `lo` up, gives `eth0` its address, brings it up and adds the default route via the
/// gateway. The four requests are sent together and answered together: the kernel takes a
/// netlink socket's requests one by one in the order sent (each within its `sendmsg`), so each
/// still sees the ones before it done (the route needs `eth0` up with its address), and the
/// netlink thread and the caller hand off once instead of four times. A request after a failed
/// one may fail too; the first failure is the one reported (the caller removes the sandbox).
async fn configure_pod_side(
    pod: &Netlink,
    ip: Ipv4Addr,
    prefix_len: u8,
    gateway: Ipv4Addr,
) -> Result<()> {
    let handle = pod.handle();
    // `eth0` got its index at creation (`add_veth`).
    let eth0 = POD_INTERFACE_INDEX;
    let default_route = RouteMessageBuilder::<Ipv4Addr>::new()
        .gateway(gateway)
        .output_interface(eth0)
        .build();
    let (lo_up, address, eth0_up, route) = futures::join!(
        handle
            .link()
            .set(LinkUnspec::new_with_name("lo").up().build())
            .execute(),
        handle
            .address()
            .add(eth0, IpAddr::V4(ip), prefix_len)
            .execute(),
        handle
            .link()
            .set(LinkUnspec::new_with_index(eth0).up().build())
            .execute(),
        handle.route().add(default_route).execute(),
    );
    lo_up.map_err(|e| Error::netlink("set lo up", e))?;
    address.map_err(|e| Error::netlink("add pod address", e))?;
    eth0_up.map_err(|e| Error::netlink("set eth0 up", e))?;
    route.map_err(|e| Error::netlink("add default route", e))
}
