//! The LoadBalancer controller (k3s ServiceLB without its Pods; the proxy answers on the IPs):
//! gives each LoadBalancer Service the nodes' IPs as `status.loadBalancer.ingress`, or leaves it
//! `<pending>` when another one holds a port, as planned by [`crate::service_lb_plan`], through
//! the `services/{name}/status` subresource, written only when it differs. What happened is
//! reported with the upstream service controller's Events, once per change of outcome: the
//! last outcome carried out is remembered per Service (so a restart reports every Service once,
//! as upstream's does).

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{ObjectReference, Service};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, ResourceExt};

use crate::cache::Cache;
use crate::error::{Error, is_not_found};
use crate::key::ObjectKey;
use crate::queue::Reconcile;
use crate::recorder::Recorder;
use crate::service_lb_plan::{
    Decision, SERVICE_LB_CONTROLLER, notes, plan_load_balancers, status_patch,
};

pub struct ServiceLbController {
    client: Client,
    cache: Cache,
    recorder: Recorder,
    /// The last decision carried out, by Service: key → (uid, decision).
    carried_out: HashMap<ObjectKey, (String, Decision)>,
}

impl ServiceLbController {
    pub fn new(client: Client, cache: Cache) -> Self {
        ServiceLbController {
            recorder: Recorder::new(client.clone(), SERVICE_LB_CONTROLLER),
            client,
            cache,
            carried_out: HashMap::new(),
        }
    }

    async fn sync(&mut self, key: &ObjectKey) -> Result<(), Error> {
        let Some(svc) = self.cache.service(key) else {
            self.forget(key);
            return Ok(());
        };
        let services = self.cache.services.state();
        let services: Vec<&Service> = services.iter().map(|s| s.as_ref()).collect();
        let nodes = self.cache.nodes.state();
        let nodes: Vec<_> = nodes.iter().map(|n| n.as_ref()).collect();
        let uid = svc.uid().unwrap_or_default();
        let published_here = self
            .carried_out
            .get(key)
            .is_some_and(|(u, d)| *u == uid && matches!(d, Decision::Publish(_)));
        let decision = match plan_load_balancers(&services, &nodes).remove(key) {
            Some(decision) => decision,
            // The API server drops the ingress itself when the type changes (as kube-apiserver
            // does), leaving nothing to clear: the release is still reported, once.
            None if published_here => Decision::Release,
            None => {
                self.forget(key);
                return Ok(());
            }
        };
        if let Some(patch) = status_patch(&svc, &decision) {
            let api: Api<Service> = Api::namespaced(self.client.clone(), &key.namespace);
            let pp = PatchParams {
                field_manager: Some(SERVICE_LB_CONTROLLER.into()),
                ..Default::default()
            };
            match api
                .patch_status(&key.name, &pp, &Patch::Merge(&patch))
                .await
            {
                Ok(_) => tracing::debug!(service = %key, ?decision, "wrote load balancer status"),
                Err(e) if is_not_found(&e) => return Ok(()),
                Err(e) => {
                    return Err(Error::api(
                        "writing the load balancer status of Service",
                        key.to_string(),
                        e,
                    ));
                }
            }
        }
        let previous = self
            .carried_out
            .get(key)
            .filter(|(u, _)| *u == uid)
            .map(|(_, d)| d);
        let involved = service_ref(&svc);
        for n in notes(previous, &decision) {
            self.recorder
                .record(&involved, n.type_, n.reason, &n.message);
        }
        if decision == Decision::Release {
            self.carried_out.remove(key);
        } else {
            self.carried_out.insert(key.clone(), (uid, decision));
        }
        Ok(())
    }

    /// Drops what is remembered of a Service that is gone or not ours.
    fn forget(&mut self, key: &ObjectKey) {
        if let Some((uid, _)) = self.carried_out.remove(key) {
            self.recorder.forget(&uid);
        }
    }
}

/// A reference to `svc` for `involvedObject`.
fn service_ref(svc: &Service) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Service".into()),
        namespace: svc.metadata.namespace.clone(),
        name: svc.metadata.name.clone(),
        uid: svc.metadata.uid.clone(),
        resource_version: svc.metadata.resource_version.clone(),
        ..Default::default()
    }
}

impl Reconcile for ServiceLbController {
    fn name(&self) -> &'static str {
        "service-lb"
    }

    fn reconcile(&mut self, key: &ObjectKey) -> impl Future<Output = Result<(), Error>> + Send {
        self.sync(key)
    }
}
