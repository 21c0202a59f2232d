//! The watch caches the controllers read (Services, Pods, Endpoints, EndpointSlices, Nodes), and
//! the lookups they need. Readers may see slightly stale state; `expectations` (and the
//! scheduler's and IPAM controller's in-flight records) cover the staleness that matters.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Endpoints, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};

use crate::key::ObjectKey;
use crate::names::{LABEL_MANAGED_BY, LABEL_SERVICE_NAME};
use crate::pod_cidr_plan::has_pod_cidr;
use crate::schedule_plan::needs_scheduling;
use crate::service;
use crate::service_lb_plan;

/// Read handles on the five caches; cheap to clone.
#[derive(Clone)]
pub struct Cache {
    pub services: Store<Service>,
    pub pods: Store<Pod>,
    pub endpoints: Store<Endpoints>,
    pub slices: Store<EndpointSlice>,
    pub nodes: Store<Node>,
}

impl Cache {
    /// Resolves once every cache has been filled by its first list.
    pub async fn ready(&self) {
        // An error means the writer is gone, which only happens at shutdown.
        let _ = self.services.wait_until_ready().await;
        let _ = self.pods.wait_until_ready().await;
        let _ = self.endpoints.wait_until_ready().await;
        let _ = self.slices.wait_until_ready().await;
        let _ = self.nodes.wait_until_ready().await;
    }

    pub fn pod(&self, key: &ObjectKey) -> Option<Arc<Pod>> {
        self.pods
            .get(&ObjectRef::new(&key.name).within(&key.namespace))
    }

    pub fn node(&self, name: &str) -> Option<Arc<Node>> {
        self.nodes.get(&ObjectRef::new(name))
    }

    /// The keys of the Pods the scheduler has yet to place.
    pub fn pods_needing_scheduling(&self) -> Vec<ObjectKey> {
        self.pods
            .state_filter(needs_scheduling)
            .iter()
            .map(|p| ObjectKey::of(p.as_ref()))
            .collect()
    }

    /// How many unfinished Pods each node runs, by node name.
    pub fn pods_per_node(&self) -> BTreeMap<String, usize> {
        let pods = self.pods.state();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for pod in &pods {
            let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            if let Some(node) = node.filter(|n| !n.is_empty())
                && !matches!(phase, Some("Succeeded" | "Failed"))
            {
                *counts.entry(node).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .map(|(node, n)| (node.to_string(), n))
            .collect()
    }

    /// The keys of the Nodes that have no Pod CIDR yet.
    pub fn nodes_without_pod_cidr(&self) -> Vec<ObjectKey> {
        self.nodes
            .state_filter(|n| !has_pod_cidr(n))
            .iter()
            .map(|n| ObjectKey::of(n.as_ref()))
            .collect()
    }

    pub fn service(&self, key: &ObjectKey) -> Option<Arc<Service>> {
        self.services
            .get(&ObjectRef::new(&key.name).within(&key.namespace))
    }

    pub fn endpoints(&self, key: &ObjectKey) -> Option<Arc<Endpoints>> {
        self.endpoints
            .get(&ObjectRef::new(&key.name).within(&key.namespace))
    }

    /// The keys of the Services the LoadBalancer controller looks after: its LoadBalancers,
    /// and the Services still showing an ingress it published.
    pub fn load_balancer_services(&self) -> Vec<ObjectKey> {
        self.services
            .state_filter(|s| {
                service_lb_plan::claim(s).is_some() || service_lb_plan::published_by_us(s)
            })
            .iter()
            .map(|s| ObjectKey::of(s.as_ref()))
            .collect()
    }

    /// The Pods the Service selects.
    pub fn pods_selected_by(&self, svc: &Service) -> Vec<Arc<Pod>> {
        self.pods.state_filter(|p| service::selects(svc, p))
    }

    /// The keys of the Services that select the Pod.
    pub fn services_selecting(&self, pod: &Pod) -> Vec<ObjectKey> {
        self.services
            .state_filter(|s| service::selects(s, pod))
            .iter()
            .map(|s| ObjectKey::of(s.as_ref()))
            .collect()
    }

    /// The slices labelled for the Service (or Endpoints) `key` and managed by `controller`.
    pub fn slices_for(&self, key: &ObjectKey, controller: &str) -> Vec<Arc<EndpointSlice>> {
        self.slices.state_filter(|s| {
            s.namespace().as_deref() == Some(key.namespace.as_str())
                && s.labels().get(LABEL_SERVICE_NAME) == Some(&key.name)
                && s.labels().get(LABEL_MANAGED_BY).map(String::as_str) == Some(controller)
        })
    }

    /// The cached resourceVersion of the named slice in `namespace`.
    pub fn slice_version(&self, namespace: &str, name: &str) -> Option<String> {
        self.slices
            .get(&ObjectRef::new(name).within(namespace))
            .map(|s| s.resource_version().unwrap_or_default())
    }

    /// The cached resourceVersion of the Endpoints `key`.
    pub fn endpoints_version(&self, key: &ObjectKey) -> Option<String> {
        self.endpoints(key)
            .map(|e| e.resource_version().unwrap_or_default())
    }
}
