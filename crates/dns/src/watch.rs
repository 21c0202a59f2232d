//! The watch loop: one event loop over the watches of Services, EndpointSlices, Namespaces
//! (and Pods in `pods verified` mode). Each event is slimmed as it arrives and applied to the
//! [`State`]; after a batch (everything already received), if anything visible changed, a new
//! [`Records`] snapshot with the next serial is published. Nothing is published until every
//! watched kind has been listed once; until then cluster names get SERVFAIL.
//!
//! The DNS programming latency is measured at publication: from a new Service's creation
//! time, and from a headless Service's EndpointSlice `last-change-trigger-time`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use arc_swap::ArcSwap;
use futures::{FutureExt, Stream, StreamExt, TryStreamExt, stream};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt, watcher as watch};
use kube::{Api, Client, ResourceExt};

use crate::metrics::{self, Metrics};
use crate::records::{Options, PodMode, Records};
use crate::slim::{self, Key, ServiceKind, SlimService, SlimSlice};
use crate::state::{State, Update};

/// The annotation the EndpointSlice controller sets to the time of the change it reflects.
const TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
/// The most events applied before a snapshot is published.
const BATCH: usize = 1024;

/// A Service as ingested: its slim form, the latency label and its creation time.
struct ServiceIn {
    slim: SlimService,
    kind: metrics::ServiceKind,
    created: Option<Timestamp>,
}

/// An EndpointSlice as ingested; `None` when it names no Service.
struct SliceIn {
    slim: Option<SlimSlice>,
    trigger: Option<Timestamp>,
}

enum Change {
    Service(Update<ServiceIn>),
    Slice(Update<SliceIn>),
    Namespace(Update<()>),
    Pod(Update<Vec<std::net::IpAddr>>),
}

type Changes = Pin<Box<dyn Stream<Item = Result<Change, watcher::Error>> + Send>>;

/// The slimmed watch of every `K`, as [`Change`]s.
fn changes<K>(
    client: &Client,
    convert: fn(K) -> (Key, K::Ingested),
    wrap: fn(Update<K::Ingested>) -> Change,
) -> Changes
where
    K: Ingest,
{
    let api: Api<K> = Api::all(client.clone());
    watch(api, watcher::Config::default())
        .default_backoff()
        .map_ok(move |ev| {
            wrap(match ev {
                Event::Init => Update::Init,
                Event::InitApply(o) => {
                    let (k, v) = convert(o);
                    Update::InitApply(k, v)
                }
                Event::InitDone => Update::InitDone,
                Event::Apply(o) => {
                    let (k, v) = convert(o);
                    Update::Apply(k, v)
                }
                Event::Delete(o) => Update::Delete(convert(o).0),
            })
        })
        .boxed()
}

/// A watched kind and what it becomes on ingest.
trait Ingest:
    kube::Resource<DynamicType = ()>
    + Clone
    + serde::de::DeserializeOwned
    + std::fmt::Debug
    + Send
    + 'static
{
    type Ingested: Send + 'static;
}

impl Ingest for Service {
    type Ingested = ServiceIn;
}
impl Ingest for EndpointSlice {
    type Ingested = SliceIn;
}
impl Ingest for Namespace {
    type Ingested = ();
}
impl Ingest for Pod {
    type Ingested = Vec<std::net::IpAddr>;
}

fn ingest_service(svc: Service) -> (Key, ServiceIn) {
    let (key, slim) = slim::service(&svc);
    let kind = match slim.kind {
        ServiceKind::Headless if slim::has_selector(&svc) => {
            metrics::ServiceKind::HeadlessWithSelector
        }
        ServiceKind::Headless => metrics::ServiceKind::HeadlessWithoutSelector,
        _ => metrics::ServiceKind::ClusterIp,
    };
    let created = svc.metadata.creation_timestamp.as_ref().map(|t| t.0);
    (
        key,
        ServiceIn {
            slim,
            kind,
            created,
        },
    )
}

fn ingest_slice(slice: EndpointSlice) -> (Key, SliceIn) {
    let trigger = slice
        .annotations()
        .get(TRIGGER_TIME)
        .and_then(|t| t.parse().ok());
    let (key, slim) = slim::slice(&slice);
    (key, SliceIn { slim, trigger })
}

fn ingest_namespace(ns: Namespace) -> (Key, ()) {
    (Key::new("", &ns.name_any()), ())
}

fn ingest_pod(pod: Pod) -> (Key, Vec<std::net::IpAddr>) {
    slim::pod(&pod)
}

/// The loop's state besides the caches.
struct Loop {
    state: State,
    options: Options,
    serial: u32,
    /// The latency label of each Service.
    kinds: HashMap<Key, metrics::ServiceKind>,
    /// Changes waiting to be published: (label, when the change was made).
    samples: Vec<(metrics::ServiceKind, Timestamp)>,
}

impl Loop {
    fn synced(&self) -> bool {
        self.state.services.synced()
            && self.state.slices.synced()
            && self.state.namespaces.synced()
            && (self.options.pods != PodMode::Verified || self.state.pods.synced())
    }

    /// Applies one change; true when it is visible in DNS.
    fn apply(&mut self, change: Change) -> bool {
        let live = self.synced();
        match change {
            Change::Service(update) => {
                let update = match update {
                    Update::Init => Update::Init,
                    Update::InitDone => Update::InitDone,
                    Update::Delete(k) => {
                        self.kinds.remove(&k);
                        Update::Delete(k)
                    }
                    Update::InitApply(k, s) => {
                        self.kinds.insert(k.clone(), s.kind);
                        Update::InitApply(k, s.slim)
                    }
                    Update::Apply(k, s) => {
                        self.kinds.insert(k.clone(), s.kind);
                        if live
                            && self.state.services.get(&k).is_none()
                            && let Some(created) = s.created
                        {
                            self.samples.push((s.kind, created));
                        }
                        Update::Apply(k, s.slim)
                    }
                };
                self.state.services.apply(update)
            }
            Change::Slice(update) => {
                let update = match update {
                    Update::Init => Update::Init,
                    Update::InitDone => Update::InitDone,
                    Update::Delete(k) => Update::Delete(k),
                    Update::InitApply(k, s) => match s.slim {
                        Some(slim) => Update::InitApply(k, slim),
                        None => return false,
                    },
                    Update::Apply(k, s) => match s.slim {
                        Some(slim) => {
                            let kind = self.kinds.get(&slim.service).copied();
                            let headless = matches!(
                                kind,
                                Some(
                                    metrics::ServiceKind::HeadlessWithSelector
                                        | metrics::ServiceKind::HeadlessWithoutSelector
                                )
                            );
                            if live
                                && headless
                                && self.state.slices.get(&k) != Some(&slim)
                                && let (Some(kind), Some(t)) = (kind, s.trigger)
                            {
                                self.samples.push((kind, t));
                            }
                            Update::Apply(k, slim)
                        }
                        // A slice that lost its Service label no longer counts.
                        None => Update::Delete(k),
                    },
                };
                self.state.slices.apply(update)
            }
            Change::Namespace(update) => self.state.namespaces.apply(update),
            Change::Pod(update) => self.state.pods.apply(update),
        }
    }
}

/// Watches until the streams end (never, in practice), publishing snapshots into `published`
/// and calling `on_synced` after the first one.
pub async fn run(
    client: Client,
    options: Options,
    serial: u32,
    published: Arc<ArcSwap<Records>>,
    metrics: Arc<Metrics>,
    on_synced: impl FnOnce(),
) {
    let mut streams = vec![
        changes::<Service>(&client, ingest_service, Change::Service),
        changes::<EndpointSlice>(&client, ingest_slice, Change::Slice),
        changes::<Namespace>(&client, ingest_namespace, Change::Namespace),
    ];
    if options.pods == PodMode::Verified {
        streams.push(changes::<Pod>(&client, ingest_pod, Change::Pod));
    }
    let mut changes = stream::select_all(streams);
    let mut lp = Loop {
        state: State::default(),
        options,
        serial,
        kinds: HashMap::new(),
        samples: Vec::new(),
    };
    let mut on_synced = Some(on_synced);
    while let Some(first) = changes.next().await {
        let was_synced = lp.synced();
        let mut visible = false;
        let mut next = Some(first);
        let mut n = 0;
        while let Some(change) = next {
            match change {
                Ok(change) => visible |= lp.apply(change),
                Err(e) => tracing::warn!("DNS watch failed, retrying: {e}"),
            }
            n += 1;
            next = if n < BATCH {
                changes.next().now_or_never().flatten()
            } else {
                None
            };
        }
        // Publish once everything is listed, then on each visible change.
        let publish = lp.synced() && (visible || !was_synced);
        if !publish {
            continue;
        }
        lp.serial = lp.serial.wrapping_add(1);
        published.store(Arc::new(Records::build(&lp.state, &lp.options, lp.serial)));
        let now = Timestamp::now();
        for (kind, t) in lp.samples.drain(..) {
            metrics.programmed(kind, now.duration_since(t).as_secs_f64());
        }
        if let Some(f) = on_synced.take() {
            f();
        }
    }
}
