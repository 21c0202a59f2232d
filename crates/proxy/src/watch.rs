//! The watches (Services, EndpointSlices, this Node) and their ingestion into the tracker.
//! Objects are slimmed into the proxy's own structs as they arrive; a (re)list is buffered from
//! `Init` to `InitDone` and then replaces the whole kind at once, as kube-runtime's reflector
//! does, so deletions missed while a watch was down are noticed.

use std::net::Ipv4Addr;
use std::pin::Pin;

use futures::{Stream, StreamExt, stream};
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt, watcher as watch};
use kube::{Api, Client, ResourceExt};

use crate::node::node_ips;
use crate::snapshot::{ServiceInfo, ServiceName, SliceInfo};
use crate::tracker::{SliceKey, Tracker};

/// One watch event of any of the three kinds.
pub enum Change {
    Service(Box<Event<Service>>),
    Slice(Box<Event<EndpointSlice>>),
    Node(Box<Event<Node>>),
}

pub type Changes = Pin<Box<dyn Stream<Item = Result<Change, watcher::Error>> + Send>>;

/// The merged watches; errors are retried with kube-runtime's default backoff.
pub fn changes(client: &Client, node_name: &str) -> Changes {
    let services = watch(
        Api::<Service>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .map(|e| e.map(|e| Change::Service(Box::new(e))));
    let slices = watch(
        Api::<EndpointSlice>::all(client.clone()),
        watcher::Config::default(),
    )
    .default_backoff()
    .map(|e| e.map(|e| Change::Slice(Box::new(e))));
    let node = watch(
        Api::<Node>::all(client.clone()),
        watcher::Config::default().fields(&format!("metadata.name={node_name}")),
    )
    .default_backoff()
    .map(|e| e.map(|e| Change::Node(Box::new(e))));
    stream::select_all([services.boxed(), slices.boxed(), node.boxed()]).boxed()
}

fn service_name(svc: &Service) -> ServiceName {
    ServiceName::new(&svc.namespace().unwrap_or_default(), &svc.name_any())
}

fn slice_key(slice: &EndpointSlice) -> SliceKey {
    (slice.namespace().unwrap_or_default(), slice.name_any())
}

/// What an event meant beyond the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    /// The Node's addresses as they are now.
    NodeIps(Vec<Ipv4Addr>),
}

/// Applies watch events to the tracker, buffering relists.
#[derive(Default)]
pub struct Ingest {
    services: Option<Vec<ServiceInfo>>,
    slices: Option<Vec<(SliceKey, SliceInfo)>>,
    pub services_synced: bool,
    pub slices_synced: bool,
}

impl Ingest {
    /// Whether both Services and EndpointSlices have been listed once: nothing is written
    /// before, so a restart never programs a half-known cluster.
    pub fn synced(&self) -> bool {
        self.services_synced && self.slices_synced
    }

    pub fn apply(&mut self, tracker: &mut Tracker, change: Change) -> Effect {
        match change {
            Change::Service(ev) => match *ev {
                Event::Init => self.services = Some(Vec::new()),
                Event::InitApply(svc) => {
                    if let (Some(buf), Some(info)) =
                        (self.services.as_mut(), ServiceInfo::from_service(&svc))
                    {
                        buf.push(info);
                    }
                }
                Event::InitDone => {
                    tracker.replace_services(self.services.take().unwrap_or_default());
                    self.services_synced = true;
                }
                Event::Apply(svc) => {
                    tracker.set_service(service_name(&svc), ServiceInfo::from_service(&svc))
                }
                Event::Delete(svc) => tracker.set_service(service_name(&svc), None),
            },
            Change::Slice(ev) => match *ev {
                Event::Init => self.slices = Some(Vec::new()),
                Event::InitApply(slice) => {
                    if let (Some(buf), Some(info)) =
                        (self.slices.as_mut(), SliceInfo::from_slice(&slice))
                    {
                        buf.push((slice_key(&slice), info));
                    }
                }
                Event::InitDone => {
                    tracker.replace_slices(self.slices.take().unwrap_or_default());
                    self.slices_synced = true;
                }
                Event::Apply(slice) => {
                    tracker.set_slice(slice_key(&slice), SliceInfo::from_slice(&slice))
                }
                Event::Delete(slice) => tracker.set_slice(slice_key(&slice), None),
            },
            Change::Node(ev) => {
                return match *ev {
                    Event::Apply(node) | Event::InitApply(node) => Effect::NodeIps(node_ips(&node)),
                    Event::Delete(_) => Effect::NodeIps(Vec::new()),
                    Event::Init | Event::InitDone => Effect::None,
                };
            }
        }
        Effect::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn svc(name: &str, ip: &str) -> Box<Event<Service>> {
        Box::new(Event::InitApply(
            serde_json::from_value(json!({
                "metadata": {"name": name, "namespace": "ns"},
                "spec": {"clusterIP": ip, "ports": [{"port": 80}]}
            }))
            .unwrap(),
        ))
    }

    #[test]
    fn nothing_is_synced_until_both_lists_are_done() {
        let mut t = Tracker::default();
        let mut i = Ingest::default();
        i.apply(&mut t, Change::Service(Box::new(Event::Init)));
        i.apply(&mut t, Change::Service(svc("a", "10.43.0.10")));
        i.apply(&mut t, Change::Service(svc("headless", "None")));
        // Buffered: not in the tracker yet.
        assert!(t.snapshot().is_empty());
        i.apply(&mut t, Change::Service(Box::new(Event::InitDone)));
        assert_eq!(t.snapshot().len(), 1);
        assert!(!i.synced());
        i.apply(&mut t, Change::Slice(Box::new(Event::Init)));
        i.apply(&mut t, Change::Slice(Box::new(Event::InitDone)));
        assert!(i.synced());

        let node: Node = serde_json::from_value(json!({
            "metadata": {"name": "n"},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.42.0.1"}]}
        }))
        .unwrap();
        assert_eq!(
            i.apply(&mut t, Change::Node(Box::new(Event::Apply(node)))),
            Effect::NodeIps(vec![Ipv4Addr::new(10, 42, 0, 1)])
        );
    }
}
