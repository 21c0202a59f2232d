//! The EndpointSlice controller: keeps the slices of every selector Service in line with the
//! Pods it selects (planned by [`crate::slice_plan`]). With no garbage collector in the cluster,
//! it also deletes its slices once their Service is gone or stops selecting Pods.

use std::sync::Arc;

use kube::{Client, ResourceExt};

use crate::cache::Cache;
use crate::change::SliceChange;
use crate::error::Error;
use crate::expectations::Expectations;
use crate::key::ObjectKey;
use crate::names::ENDPOINTSLICE_CONTROLLER;
use crate::queue::Reconcile;
use crate::slice_plan::plan_endpoint_slices;
use crate::{service, writes};

pub struct EndpointSliceController {
    client: Client,
    cache: Cache,
    expectations: Expectations,
}

impl EndpointSliceController {
    pub fn new(client: Client, cache: Cache) -> Self {
        EndpointSliceController {
            client,
            cache,
            expectations: Expectations::default(),
        }
    }

    async fn sync(&mut self, key: &ObjectKey) -> Result<(), Error> {
        let cache = &self.cache;
        if !self
            .expectations
            .met(key, |name| cache.slice_version(&key.namespace, name))
        {
            return Err(Error::StaleCache(key.clone()));
        }
        let existing = cache.slices_for(key, ENDPOINTSLICE_CONTROLLER);
        let changes = match cache.service(key) {
            Some(svc) if service::has_managed_endpoints(&svc) => {
                let pods = cache.pods_selected_by(&svc);
                let pods: Vec<_> = pods.iter().map(Arc::as_ref).collect();
                let slices: Vec<_> = existing.iter().map(Arc::as_ref).collect();
                plan_endpoint_slices(&svc, &pods, &slices)
            }
            _ => existing
                .iter()
                .map(|s| SliceChange::Delete(s.name_any()))
                .collect(),
        };
        writes::apply_slice_changes(&self.client, key, &changes, &mut self.expectations).await
    }
}

impl Reconcile for EndpointSliceController {
    fn name(&self) -> &'static str {
        "endpointslice"
    }

    fn reconcile(&mut self, key: &ObjectKey) -> impl Future<Output = Result<(), Error>> + Send {
        self.sync(key)
    }
}
