//! The EndpointSlice mirroring controller: mirrors the user-managed Endpoints of Services
//! without a selector into EndpointSlices (planned by [`crate::mirror_plan`]), and deletes the
//! mirrored slices once the Endpoints or Service is gone, the Service gains a selector, or the
//! Endpoints opt out.

use std::sync::Arc;

use kube::{Client, ResourceExt};

use crate::cache::Cache;
use crate::change::SliceChange;
use crate::error::Error;
use crate::expectations::Expectations;
use crate::key::ObjectKey;
use crate::mirror_plan::{plan_mirrored_slices, should_mirror};
use crate::names::MIRRORING_CONTROLLER;
use crate::queue::Reconcile;
use crate::{service, writes};

pub struct MirroringController {
    client: Client,
    cache: Cache,
    expectations: Expectations,
}

impl MirroringController {
    pub fn new(client: Client, cache: Cache) -> Self {
        MirroringController {
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
        let existing = cache.slices_for(key, MIRRORING_CONTROLLER);
        let without_selector = cache
            .service(key)
            .is_some_and(|s| service::selector(&s).is_none());
        let mirrored = cache
            .endpoints(key)
            .filter(|e| without_selector && should_mirror(e));
        let changes = match mirrored {
            Some(endpoints) => {
                let slices: Vec<_> = existing.iter().map(Arc::as_ref).collect();
                plan_mirrored_slices(&endpoints, &slices)
            }
            None => existing
                .iter()
                .map(|s| SliceChange::Delete(s.name_any()))
                .collect(),
        };
        writes::apply_slice_changes(&self.client, key, &changes, &mut self.expectations).await
    }
}

impl Reconcile for MirroringController {
    fn name(&self) -> &'static str {
        "endpointslicemirroring"
    }

    fn reconcile(&mut self, key: &ObjectKey) -> impl Future<Output = Result<(), Error>> + Send {
        self.sync(key)
    }
}
