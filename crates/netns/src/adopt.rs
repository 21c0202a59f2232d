//! Re-adoption after an agent restart: listing the pod namespaces that exist, and removing
//! leftovers (namespaces and bridge veths) of pods that are no longer wanted.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::names::{POD_INTERFACE, host_veth_name, is_host_veth_name, validate_uid};
use crate::netlink::{link_controller, link_name};
use crate::netns;
use crate::node::NodeNetwork;

/// A pod namespace found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxInfo {
    /// Pod UID (the namespace file's name).
    pub uid: String,
    /// The namespace mount.
    pub netns_path: PathBuf,
    /// IPv4 address of `eth0` inside; `None` for a half-created sandbox (no namespace mounted,
    /// no `eth0`, or no address), which the agent should destroy and create again.
    pub ip: Option<Ipv4Addr>,
    /// Host end of the veth pair.
    pub host_veth: String,
    /// Whether that host veth exists.
    pub host_veth_present: bool,
}

/// What [`NodeNetwork::gc`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// UIDs whose namespace (and veth) were removed.
    pub sandboxes: Vec<String>,
    /// Bridge veths removed because no kept pod owns them.
    pub veths: Vec<String>,
}

impl NodeNetwork {
    /// Every pod namespace under the netns directory, ordered by UID.
    pub async fn list_sandboxes(&self) -> Result<Vec<SandboxInfo>> {
        let host_links: HashSet<String> = self
            .host
            .links()
            .await?
            .iter()
            .filter_map(link_name)
            .map(str::to_owned)
            .collect();
        let mut found = Vec::new();
        for uid in self.netns_uids()? {
            let netns_path = self.netns_dir().join(&uid);
            let ip = match netns::open(&netns_path).await? {
                Some(pod) => match pod.link_by_name(POD_INTERFACE).await? {
                    Some(eth0) => pod
                        .ipv4_addresses(eth0.header.index)
                        .await?
                        .first()
                        .map(|(ip, _)| *ip),
                    None => None,
                },
                None => None,
            };
            let host_veth = host_veth_name(&uid);
            let host_veth_present = host_links.contains(&host_veth);
            found.push(SandboxInfo {
                uid,
                netns_path,
                ip,
                host_veth,
                host_veth_present,
            });
        }
        Ok(found)
    }

    /// Destroys the sandbox of every namespace whose UID is not in `keep`, then deletes every
    /// `veth…` on the bridge that belongs to no kept UID (veths whose namespace is gone). Release
    /// the addresses with [`crate::Ipam::retain`].
    pub async fn gc(&self, keep: &HashSet<String>) -> Result<GcReport> {
        let mut report = GcReport::default();
        for uid in self.netns_uids()? {
            if !keep.contains(&uid) {
                self.destroy_sandbox(&uid).await?;
                report.sandboxes.push(uid);
            }
        }
        let wanted: HashSet<String> = keep.iter().map(|uid| host_veth_name(uid)).collect();
        for link in self.host.links().await? {
            let Some(name) = link_name(&link) else {
                continue;
            };
            if link_controller(&link) == Some(self.bridge_index)
                && is_host_veth_name(name)
                && !wanted.contains(name)
            {
                self.host.delete_link(name).await?;
                report.veths.push(name.to_owned());
            }
        }
        Ok(report)
    }

    fn netns_uids(&self) -> Result<Vec<String>> {
        let dir = self.netns_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", dir, e)),
        };
        let mut uids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("list", &dir, e))?;
            if let Some(uid) = entry
                .file_name()
                .to_str()
                .filter(|uid| validate_uid(uid).is_ok())
            {
                uids.push(uid.to_owned());
            }
        }
        uids.sort();
        Ok(uids)
    }
}
