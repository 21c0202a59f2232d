//! The watch caches the controllers read (Services, Pods, Endpoints, EndpointSlices), and the
//! lookups they need. Readers may see slightly stale state; `expectations` covers the staleness
//! that matters.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};

use crate::key::ObjectKey;
use crate::names::{LABEL_MANAGED_BY, LABEL_SERVICE_NAME};
use crate::service;

/// Read handles on the four caches; cheap to clone.
#[derive(Clone)]
pub struct Cache {
    pub services: Store<Service>,
    pub pods: Store<Pod>,
    pub endpoints: Store<Endpoints>,
    pub slices: Store<EndpointSlice>,
}

impl Cache {
    /// Resolves once every cache has been filled by its first list.
    pub async fn ready(&self) {
        // An error means the writer is gone, which only happens at shutdown.
        let _ = self.services.wait_until_ready().await;
        let _ = self.pods.wait_until_ready().await;
        let _ = self.endpoints.wait_until_ready().await;
        let _ = self.slices.wait_until_ready().await;
    }

    pub fn service(&self, key: &ObjectKey) -> Option<Arc<Service>> {
        self.services
            .get(&ObjectRef::new(&key.name).within(&key.namespace))
    }

    pub fn endpoints(&self, key: &ObjectKey) -> Option<Arc<Endpoints>> {
        self.endpoints
            .get(&ObjectRef::new(&key.name).within(&key.namespace))
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
