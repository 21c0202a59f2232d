//! The Services that containers' Docker-link environment variables are built from, held in one
//! watch cache for the whole node (kubelet's service lister) rather than listed through the API
//! for every container start.

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Service;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, Client};
use tokio::task::JoinHandle;

/// A read handle on the node's Service cache.
#[derive(Clone)]
pub(crate) struct Services {
    store: Store<Service>,
}

impl Services {
    /// Starts watching every Service; abort the task to stop.
    pub(crate) fn watch(client: Client) -> (Services, JoinHandle<()>) {
        let (store, writer) = reflector::store();
        let stream = watcher(Api::<Service>::all(client), watcher::Config::default())
            .default_backoff()
            .modify(|svc| svc.metadata.managed_fields = None)
            .reflect(writer)
            .applied_objects();
        let task = tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                if let Err(e) = event {
                    tracing::debug!("service watch: {e}");
                }
            }
        });
        (Services { store }, task)
    }

    /// The Services of `namespace` and `default/kubernetes` (all a container's environment can
    /// name), once the first list has been read: kubelet does not start containers before its
    /// service informer has synced either, since their environment would be wrong.
    pub(crate) async fn candidates(&self, namespace: &str) -> Vec<Service> {
        if self.store.wait_until_ready().await.is_err() {
            return Vec::new();
        }
        self.store
            .state()
            .iter()
            .filter(|svc| {
                let ns = svc.metadata.namespace.as_deref().unwrap_or_default();
                let name = svc.metadata.name.as_deref().unwrap_or_default();
                ns == namespace || (ns == "default" && name == "kubernetes")
            })
            .map(|svc| Service::clone(svc))
            .collect()
    }
}
