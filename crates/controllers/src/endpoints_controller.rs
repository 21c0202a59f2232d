//! The Endpoints controller: keeps the Endpoints of every selector Service in line with the
//! Pods it selects (planned by [`crate::endpoints_plan`]), and deletes the Endpoints of a
//! Service that is gone. Endpoints of Services without a selector belong to the user.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Endpoints;
use kube::api::DeleteParams;
use kube::{Api, Client, ResourceExt};

use crate::cache::Cache;
use crate::endpoints_plan::plan_endpoints;
use crate::error::{Error, is_not_found};
use crate::expectations::Expectations;
use crate::key::ObjectKey;
use crate::names::ANNOTATION_LEADER;
use crate::queue::Reconcile;
use crate::service;
use crate::writes::post_params;

pub struct EndpointsController {
    client: Client,
    cache: Cache,
    expectations: Expectations,
}

impl EndpointsController {
    pub fn new(client: Client, cache: Cache) -> Self {
        EndpointsController {
            client,
            cache,
            expectations: Expectations::default(),
        }
    }

    async fn sync(&mut self, key: &ObjectKey) -> Result<(), Error> {
        let cache = &self.cache;
        if !self.expectations.met(key, |_| cache.endpoints_version(key)) {
            return Err(Error::StaleCache(key.clone()));
        }
        let api: Api<Endpoints> = Api::namespaced(self.client.clone(), &key.namespace);
        let current = cache.endpoints(key);
        let Some(svc) = cache.service(key) else {
            let leader = current
                .as_ref()
                .is_some_and(|e| e.annotations().contains_key(ANNOTATION_LEADER));
            if current.is_none() || leader {
                return Ok(());
            }
            match api.delete(&key.name, &DeleteParams::default()).await {
                Ok(_) => tracing::debug!(%key, "deleted Endpoints of a deleted Service"),
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(Error::api("deleting Endpoints", key.to_string(), e)),
            }
            self.expectations.deleted(key, &key.name);
            return Ok(());
        };
        if !service::has_managed_endpoints(&svc) {
            return Ok(());
        }
        let pods = cache.pods_selected_by(&svc);
        let pods: Vec<_> = pods.iter().map(Arc::as_ref).collect();
        let Some(desired) = plan_endpoints(&svc, &pods, current.as_deref()) else {
            return Ok(());
        };
        let written = if desired.metadata.resource_version.is_none() {
            api.create(&post_params(), &desired)
                .await
                .map_err(|e| Error::api("creating Endpoints", key.to_string(), e))?
        } else {
            api.replace(&key.name, &post_params(), &desired)
                .await
                .map_err(|e| Error::api("updating Endpoints", key.to_string(), e))?
        };
        tracing::debug!(%key, "wrote Endpoints");
        self.expectations.wrote(
            key,
            &key.name,
            &written.resource_version().unwrap_or_default(),
        );
        Ok(())
    }
}

impl Reconcile for EndpointsController {
    fn name(&self) -> &'static str {
        "endpoints"
    }

    fn reconcile(&mut self, key: &ObjectKey) -> impl Future<Output = Result<(), Error>> + Send {
        self.sync(key)
    }
}
