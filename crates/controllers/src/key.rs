//! `ObjectKey`: the `namespace/name` every controller queue is keyed by (a cluster-scoped
//! object, such as a Node, has an empty namespace). A Service and its Endpoints share one key,
//! and an EndpointSlice maps to its Service's key through its `kubernetes.io/service-name`
//! label.

use std::fmt;

use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;

use crate::names::LABEL_SERVICE_NAME;

/// An object's identity, displayed as `namespace/name`, or `name` when cluster-scoped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> ObjectKey {
        ObjectKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The key of an object.
    pub fn of<K: ResourceExt>(obj: &K) -> ObjectKey {
        ObjectKey::new(obj.namespace().unwrap_or_default(), obj.name_any())
    }

    /// The key of the Service (or Endpoints) an EndpointSlice belongs to, if it is labelled.
    pub fn of_slice_owner(slice: &EndpointSlice) -> Option<ObjectKey> {
        let service = slice.labels().get(LABEL_SERVICE_NAME)?;
        if service.is_empty() {
            return None;
        }
        Some(ObjectKey::new(
            slice.namespace().unwrap_or_default(),
            service.clone(),
        ))
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            return f.write_str(&self.name);
        }
        write!(f, "{}/{}", self.namespace, self.name)
    }
}
