//! The node IPAM controller (upstream's range allocator): gives every Node without a Pod CIDR a
//! block of the cluster CIDR, planned by [`crate::pod_cidr_plan`], by patching `spec.podCIDR`
//! and `spec.podCIDRs`. The blocks in use are read from the Nodes in the cache on every sync,
//! plus the ones written here that the cache does not show yet, so no block is handed out twice.
//! When the cluster CIDR is full the Node gets a `CIDRNotAvailable` event, and waits until a
//! Node is deleted.

use std::collections::HashMap;

use ipnet::Ipv4Net;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use crate::cache::Cache;
use crate::error::{Error, is_not_found};
use crate::event::node_ref;
use crate::key::ObjectKey;
use crate::names::{CIDR_ALLOCATOR, FIELD_MANAGER};
use crate::pod_cidr_plan::{has_pod_cidr, plan_pod_cidrs};
use crate::queue::Reconcile;
use crate::recorder::Recorder;

pub struct IpamController {
    client: Client,
    cache: Cache,
    cluster_cidr: Ipv4Net,
    mask: u8,
    recorder: Recorder,
    /// Blocks written here that the cache does not show yet: node name → (uid, block).
    in_flight: HashMap<String, (String, Ipv4Net)>,
}

impl IpamController {
    pub fn new(client: Client, cache: Cache, cluster_cidr: Ipv4Net, mask: u8) -> Self {
        IpamController {
            recorder: Recorder::new(client.clone(), CIDR_ALLOCATOR),
            client,
            cache,
            cluster_cidr,
            mask,
            in_flight: HashMap::new(),
        }
    }

    async fn sync(&mut self, key: &ObjectKey) -> Result<(), Error> {
        let cache = &self.cache;
        self.in_flight.retain(|name, (uid, _)| {
            cache
                .node(name)
                .is_some_and(|n| n.uid().as_deref() == Some(uid.as_str()) && !has_pod_cidr(&n))
        });
        let Some(node) = cache.node(&key.name) else {
            return Ok(());
        };
        if has_pod_cidr(&node) || self.in_flight.contains_key(&key.name) {
            return Ok(());
        }
        let nodes = cache.nodes.state();
        let mut view: Vec<Node> = nodes.iter().map(|n| n.as_ref().clone()).collect();
        for n in &mut view {
            if let Some((_, block)) = self.in_flight.get(&n.name_any()) {
                let spec = n.spec.get_or_insert_default();
                spec.pod_cidr = Some(block.to_string());
                spec.pod_cidrs = Some(vec![block.to_string()]);
            }
        }
        let view: Vec<&Node> = view.iter().collect();
        let plan = plan_pod_cidrs(&view, self.cluster_cidr, self.mask);
        let Some(Some(block)) = plan.get(&key.name).copied() else {
            tracing::warn!(node = %key, cidr = %self.cluster_cidr, "no Pod CIDR left for the node");
            let message = format!("Node {} status is now: CIDRNotAvailable", key.name);
            self.recorder
                .record(&node_ref(&node), "Normal", "CIDRNotAvailable", &message);
            return Ok(());
        };
        let api: Api<Node> = Api::all(self.client.clone());
        let patch =
            json!({"spec": {"podCIDR": block.to_string(), "podCIDRs": [block.to_string()]}});
        let pp = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        match api.patch(&key.name, &pp, &Patch::Merge(&patch)).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => {
                return Err(Error::api(
                    "setting the Pod CIDR of Node",
                    key.name.clone(),
                    e,
                ));
            }
        }
        tracing::debug!(node = %key, %block, "allocated Pod CIDR");
        self.in_flight
            .insert(key.name.clone(), (node.uid().unwrap_or_default(), block));
        Ok(())
    }
}

impl Reconcile for IpamController {
    fn name(&self) -> &'static str {
        "node-ipam"
    }

    fn reconcile(&mut self, key: &ObjectKey) -> impl Future<Output = Result<(), Error>> + Send {
        self.sync(key)
    }
}
