//! The informer: one event loop over the watches of Services, Pods, Endpoints, EndpointSlices
//! and Nodes. Each event is turned into the keys it may affect (computed against the cache
//! before and after the change, so a Pod that changed labels wakes both its old and new
//! Services), applied to the cache, and the keys pushed to the controllers that care: Services
//! to the endpoint controllers, pending Pods to the scheduler (see `wake`), Nodes without a Pod
//! CIDR to the node IPAM controller, LoadBalancer Services to the LoadBalancer controller when
//! what they claim or the nodes' IPs change.
//!
//! A completed (re)list resyncs every key of that kind, since deletions may have been missed
//! while the watch was down. Watch errors are retried with kube-runtime's default backoff.

use std::collections::BTreeSet;
use std::pin::Pin;

use futures::{Stream, StreamExt, stream};
use k8s_openapi::api::core::v1::{Endpoints, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::reflector::{self, ObjectRef};

use crate::slim;
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt, watcher as watch};
use kube::{Api, Client, ResourceExt};

use crate::cache::Cache;
use crate::key::ObjectKey;
use crate::names::{ENDPOINTSLICE_CONTROLLER, LABEL_MANAGED_BY, MIRRORING_CONTROLLER};
use crate::pod_cidr_plan::has_pod_cidr;
use crate::queue::Queue;
use crate::schedule_plan::needs_scheduling;
use crate::service;
use crate::wake::{
    LoadBalancerWake, deletion_wakes_load_balancers, node_wakes_load_balancers,
    node_wakes_scheduler, pod_wakes_scheduler, service_wakes_load_balancers,
};

/// The queues of the controllers.
pub struct Queues {
    pub slices: Queue,
    pub endpoints: Queue,
    pub mirroring: Queue,
    pub scheduler: Queue,
    pub ipam: Queue,
    /// `None` when the LoadBalancer controller does not run.
    pub service_lb: Option<Queue>,
}

impl Queues {
    /// Pushes `key` and, for [`LoadBalancerWake::All`], every Service the LoadBalancer
    /// controller looks after, to that controller.
    fn wake_load_balancers(&self, cache: &Cache, wake: LoadBalancerWake, key: Option<ObjectKey>) {
        let Some(queue) = &self.service_lb else {
            return;
        };
        if wake == LoadBalancerWake::Nothing {
            return;
        }
        if wake == LoadBalancerWake::All {
            for k in cache.load_balancer_services() {
                queue.push(k);
            }
        }
        if let Some(key) = key {
            queue.push(key);
        }
    }
}

/// Every change the controllers react to.
enum Change {
    Service(Box<Event<Service>>),
    Pod(Box<Event<Pod>>),
    Endpoints(Event<Endpoints>),
    Slice(Event<EndpointSlice>),
    Node(Box<Event<Node>>),
}

/// The cache writers; only the informer writes.
pub struct Informer {
    client: Client,
    services: reflector::store::Writer<Service>,
    pods: reflector::store::Writer<Pod>,
    endpoints: reflector::store::Writer<Endpoints>,
    slices: reflector::store::Writer<EndpointSlice>,
    nodes: reflector::store::Writer<Node>,
    /// Whether the Endpoints have been listed once (orphans are only swept at startup).
    endpoints_listed: bool,
}

impl Informer {
    /// An informer over `client` and the read side of its caches.
    pub fn new(client: Client) -> (Informer, Cache) {
        let services = reflector::store::Writer::default();
        let pods = reflector::store::Writer::default();
        let endpoints = reflector::store::Writer::default();
        let slices = reflector::store::Writer::default();
        let nodes = reflector::store::Writer::default();
        let cache = Cache {
            services: services.as_reader(),
            pods: pods.as_reader(),
            endpoints: endpoints.as_reader(),
            slices: slices.as_reader(),
            nodes: nodes.as_reader(),
        };
        let informer = Informer {
            client,
            services,
            pods,
            endpoints,
            slices,
            nodes,
            endpoints_listed: false,
        };
        (informer, cache)
    }

    /// Watches until the process stops, filling the caches and pushing keys to `queues`.
    pub async fn run(mut self, cache: Cache, queues: Queues) {
        let changes = stream::select_all([
            changes(&self.client, slim::service, |e| {
                Change::Service(Box::new(e))
            }),
            changes(&self.client, slim::pod, |e| Change::Pod(Box::new(e))),
            changes(&self.client, slim::object, Change::Endpoints),
            changes(&self.client, slim::object, Change::Slice),
            changes(&self.client, slim::object, |e| Change::Node(Box::new(e))),
        ]);
        let mut changes = std::pin::pin!(changes);
        while let Some(change) = changes.next().await {
            match change {
                Ok(change) => self.handle(&cache, &queues, change),
                Err(e) => tracing::warn!("controllers' watch failed, retrying: {e}"),
            }
        }
    }

    fn handle(&mut self, cache: &Cache, queues: &Queues, change: Change) {
        match change {
            Change::Service(ev) => {
                let ev = *ev;
                let lb_wake = match &ev {
                    Event::Apply(s) => {
                        let old = cache.services.get(&ObjectRef::from_obj(s));
                        service_wakes_load_balancers(old.as_deref(), s)
                    }
                    Event::Delete(s) => {
                        let old = cache.services.get(&ObjectRef::from_obj(s));
                        deletion_wakes_load_balancers(old.as_deref().unwrap_or(s))
                    }
                    Event::InitDone => LoadBalancerWake::All,
                    Event::Init | Event::InitApply(_) => LoadBalancerWake::Nothing,
                };
                self.services.apply_watcher_event(&ev);
                let changed = match &ev {
                    Event::Apply(s) | Event::Delete(s) => Some(ObjectKey::of(s)),
                    _ => None,
                };
                queues.wake_load_balancers(cache, lb_wake, changed);
                let keys: Vec<ObjectKey> = match &ev {
                    Event::Apply(s) | Event::Delete(s) => vec![ObjectKey::of(s)],
                    Event::InitDone => cache
                        .services
                        .state()
                        .iter()
                        .map(|s| ObjectKey::of(s.as_ref()))
                        .collect(),
                    Event::Init | Event::InitApply(_) => Vec::new(),
                };
                for key in keys {
                    queues.slices.push(key.clone());
                    queues.endpoints.push(key.clone());
                    queues.mirroring.push(key);
                }
            }
            Change::Pod(ev) => {
                let ev = *ev;
                let keys: BTreeSet<ObjectKey> = match &ev {
                    Event::Apply(p) | Event::Delete(p) => {
                        let old = cache.pods.get(&ObjectRef::from_obj(p));
                        let wakes = match &ev {
                            // The scheduler drops what it kept about a pending Pod.
                            Event::Delete(_) => needs_scheduling(old.as_deref().unwrap_or(p)),
                            _ => pod_wakes_scheduler(old.as_deref(), p),
                        };
                        if wakes {
                            queues.scheduler.push(ObjectKey::of(p));
                        }
                        let mut keys: BTreeSet<ObjectKey> =
                            cache.services_selecting(p).into_iter().collect();
                        if let Some(old) = old {
                            keys.extend(cache.services_selecting(&old));
                        }
                        keys
                    }
                    // A relisted Pod set may differ in any way: resync every selector Service.
                    Event::InitDone => cache
                        .services
                        .state()
                        .iter()
                        .filter(|s| service::selector(s).is_some())
                        .map(|s| ObjectKey::of(s.as_ref()))
                        .collect(),
                    Event::Init | Event::InitApply(_) => BTreeSet::new(),
                };
                self.pods.apply_watcher_event(&ev);
                if matches!(ev, Event::InitDone) {
                    for key in cache.pods_needing_scheduling() {
                        queues.scheduler.push(key);
                    }
                }
                for key in keys {
                    queues.slices.push(key.clone());
                    queues.endpoints.push(key);
                }
            }
            Change::Endpoints(ev) => {
                self.endpoints.apply_watcher_event(&ev);
                match &ev {
                    Event::Apply(e) => {
                        let key = ObjectKey::of(e);
                        // Only Endpoints of selector Services are the controller's to correct.
                        if cache
                            .service(&key)
                            .is_some_and(|s| service::has_managed_endpoints(&s))
                        {
                            queues.endpoints.push(key.clone());
                        }
                        queues.mirroring.push(key);
                    }
                    Event::Delete(e) => {
                        let key = ObjectKey::of(e);
                        queues.endpoints.push(key.clone());
                        queues.mirroring.push(key);
                    }
                    Event::InitDone => {
                        // At startup every Endpoints is checked, so those left by Services
                        // deleted while nothing ran are removed.
                        let sweep = !self.endpoints_listed;
                        self.endpoints_listed = true;
                        for e in cache.endpoints.state() {
                            let key = ObjectKey::of(e.as_ref());
                            if sweep {
                                queues.endpoints.push(key.clone());
                            }
                            queues.mirroring.push(key);
                        }
                    }
                    Event::Init | Event::InitApply(_) => {}
                }
            }
            Change::Slice(ev) => {
                let mut touched: Vec<EndpointSlice> = Vec::new();
                match &ev {
                    Event::Apply(s) | Event::Delete(s) => {
                        if let Some(old) = cache.slices.get(&ObjectRef::from_obj(s)) {
                            touched.push(old.as_ref().clone());
                        }
                        touched.push(s.clone());
                    }
                    Event::Init | Event::InitApply(_) | Event::InitDone => {}
                }
                self.slices.apply_watcher_event(&ev);
                if matches!(ev, Event::InitDone) {
                    touched.extend(cache.slices.state().iter().map(|s| s.as_ref().clone()));
                }
                for slice in touched {
                    let Some(key) = ObjectKey::of_slice_owner(&slice) else {
                        continue;
                    };
                    match slice.labels().get(LABEL_MANAGED_BY).map(String::as_str) {
                        Some(ENDPOINTSLICE_CONTROLLER) => queues.slices.push(key),
                        Some(MIRRORING_CONTROLLER) => queues.mirroring.push(key),
                        _ => {}
                    }
                }
            }
            Change::Node(ev) => {
                let ev = *ev;
                let lb_wake = match &ev {
                    Event::Apply(n) => {
                        let old = cache.nodes.get(&ObjectRef::from_obj(n));
                        node_wakes_load_balancers(old.as_deref(), Some(n))
                    }
                    Event::Delete(n) => {
                        let old = cache.nodes.get(&ObjectRef::from_obj(n));
                        node_wakes_load_balancers(Some(old.as_deref().unwrap_or(n)), None)
                    }
                    Event::InitDone => true,
                    Event::Init | Event::InitApply(_) => false,
                };
                let retry_pending = match &ev {
                    Event::Apply(n) => {
                        let old = cache.nodes.get(&ObjectRef::from_obj(n));
                        node_wakes_scheduler(old.as_deref(), n)
                    }
                    Event::InitDone => true,
                    Event::Delete(_) | Event::Init | Event::InitApply(_) => false,
                };
                self.nodes.apply_watcher_event(&ev);
                if lb_wake {
                    queues.wake_load_balancers(cache, LoadBalancerWake::All, None);
                }
                if retry_pending {
                    for key in cache.pods_needing_scheduling() {
                        queues.scheduler.push(key);
                    }
                }
                match &ev {
                    Event::Apply(n) if !has_pod_cidr(n) => queues.ipam.push(ObjectKey::of(n)),
                    // A deleted node's block is free again; a relist may show anything.
                    Event::Delete(_) | Event::InitDone => {
                        for key in cache.nodes_without_pod_cidr() {
                            queues.ipam.push(key);
                        }
                    }
                    Event::Apply(_) | Event::Init | Event::InitApply(_) => {}
                }
            }
        }
    }
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<Change, watcher::Error>> + Send>>;

/// The watch events of every `K` in the cluster, slimmed, wrapped as [`Change`]s.
fn changes<K>(client: &Client, slim: fn(&mut K), wrap: fn(Event<K>) -> Change) -> ChangeStream
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + 'static,
{
    let api: Api<K> = Api::all(client.clone());
    watch(api, watcher::Config::default())
        .default_backoff()
        .modify(slim)
        .map(move |ev| ev.map(wrap))
        .boxed()
}
