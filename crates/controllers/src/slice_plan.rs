//! Planning a selector Service's EndpointSlices (the EndpointSlice controller's reconciler),
//! without IO: from the Service, the Pods it selects and its existing managed slices, the
//! creates, updates and deletes that make the slices match.
//!
//! As upstream: endpoints are grouped into slices by the port list each Pod resolves to (named
//! target ports can differ per Pod), at most 100 per slice. Existing slices are updated in place
//! where possible, filled up before new ones are made, and reused instead of being deleted and
//! recreated, so names do not churn. A Service with no endpoints keeps one empty placeholder
//! slice. Terminating Pods stay in with `serving`/`terminating` conditions; `ready` is false for
//! them unless the Service publishes not-ready addresses.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::address::{self, AddressType};
use crate::change::{SliceChange, SlicePlan};
use crate::endpoint_set::{EndpointSet, PortKey, equal_beyond_key};
use crate::names::{ANNOTATION_TRIGGER_TIME, ENDPOINTSLICE_CONTROLLER, MAX_ENDPOINTS_PER_SLICE};
use crate::{pod, service};

/// The changes that bring `existing` (the slices labelled for this Service and managed by the
/// EndpointSlice controller) in line with `pods` (the Pods the Service selects).
pub fn plan_endpoint_slices(
    svc: &Service,
    pods: &[&Pod],
    existing: &[&EndpointSlice],
) -> Vec<SliceChange> {
    let supported = address::for_service(svc);
    let mut existing: Vec<&EndpointSlice> = existing
        .iter()
        .copied()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .collect();
    existing.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));

    let mut by_type: BTreeMap<AddressType, Vec<&EndpointSlice>> = BTreeMap::new();
    let mut unsupported = Vec::new();
    for slice in existing {
        match AddressType::parse(&slice.address_type) {
            Some(t) if supported.contains(&t) => by_type.entry(t).or_default().push(slice),
            _ => unsupported.push(SliceChange::Delete(
                slice.metadata.name.clone().unwrap_or_default(),
            )),
        }
    }

    let trigger = service::trigger_time(svc, pods).map(service::format_trigger_time);
    let mut changes = Vec::new();
    for t in supported {
        let slices = by_type.remove(&t).unwrap_or_default();
        let mut plan = plan_address_type(svc, pods, &slices, t);
        plan.recycle(|s| owned_by(s, svc));
        if svc.metadata.deletion_timestamp.is_some() {
            plan.creates.clear();
        }
        for slice in plan.creates.iter_mut().chain(plan.updates.iter_mut()) {
            set_trigger_time(slice, trigger.as_deref());
        }
        changes.extend(plan.into_changes());
    }
    changes.extend(unsupported);
    changes
}

fn plan_address_type(
    svc: &Service,
    pods: &[&Pod],
    existing: &[&EndpointSlice],
    t: AddressType,
) -> SlicePlan {
    let mut plan = SlicePlan::default();
    let mut existing_by_ports: BTreeMap<PortKey, Vec<&EndpointSlice>> = BTreeMap::new();
    for slice in existing {
        if owned_by(slice, svc) {
            let ports = slice.ports.as_deref().unwrap_or_default();
            existing_by_ports
                .entry(PortKey::of(ports))
                .or_default()
                .push(slice);
        } else {
            plan.deletes.push((*slice).clone());
        }
    }

    let mut desired: BTreeMap<PortKey, (Vec<EndpointPort>, EndpointSet)> = BTreeMap::new();
    for pod in pods {
        if !pod::should_be_in_endpoints(pod, true) {
            continue;
        }
        let ports = endpoint_ports(svc, pod);
        let (_, set) = desired
            .entry(PortKey::of(&ports))
            .or_insert_with(|| (ports, EndpointSet::default()));
        let endpoint = pod_to_endpoint(pod, svc, t);
        if !endpoint.addresses.is_empty() {
            set.insert(endpoint);
        }
    }

    for (key, (ports, set)) in desired.iter() {
        let slices = existing_by_ports
            .get(key)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let part = plan_port_group(svc, slices, set.clone(), ports, t);
        plan.creates.extend(part.creates);
        plan.updates.extend(part.updates);
        plan.deletes.extend(part.deletes);
    }
    for (key, slices) in &existing_by_ports {
        if !desired.contains_key(key) {
            plan.deletes.extend(slices.iter().map(|s| (*s).clone()));
        }
    }

    if existing.len() == plan.deletes.len() && plan.creates.is_empty() {
        let placeholder = new_slice(svc, Vec::new(), t);
        if plan.deletes.len() == 1 && is_same_placeholder(&plan.deletes[0], &placeholder) {
            plan.deletes.clear();
        } else {
            plan.creates.push(placeholder);
        }
    }
    plan
}

/// Fits the desired endpoints of one port list into that list's existing slices: keep what is
/// still wanted, update what changed, fill the slices being updated, then the unchanged slice
/// closest to full, then new slices.
fn plan_port_group(
    svc: &Service,
    existing: &[&EndpointSlice],
    mut desired: EndpointSet,
    ports: &[EndpointPort],
    t: AddressType,
) -> SlicePlan {
    let mut by_name: BTreeMap<String, EndpointSlice> = BTreeMap::new();
    let mut unchanged: BTreeSet<String> = BTreeSet::new();
    let mut to_update: BTreeSet<String> = BTreeSet::new();
    let mut to_delete: BTreeSet<String> = BTreeSet::new();

    for slice in existing {
        let name = slice.metadata.name.clone().unwrap_or_default();
        let mut kept = Vec::new();
        let mut changed = false;
        for ep in &slice.endpoints {
            if let Some(want) = desired.take_matching(ep) {
                changed |= !equal_beyond_key(&want, ep);
                kept.push(want);
            }
        }
        let labels_changed = service::slice_labels_changed(svc, slice.metadata.labels.as_ref());
        let mut copy = (*slice).clone();
        if changed || kept.len() != slice.endpoints.len() {
            if kept.is_empty() {
                to_delete.insert(name.clone());
            } else {
                copy.endpoints = kept;
                copy.metadata.labels = Some(service::slice_labels(svc, ENDPOINTSLICE_CONTROLLER));
                to_update.insert(name.clone());
            }
        } else if labels_changed {
            copy.metadata.labels = Some(service::slice_labels(svc, ENDPOINTSLICE_CONTROLLER));
            to_update.insert(name.clone());
        } else {
            unchanged.insert(name.clone());
        }
        by_name.insert(name, copy);
    }

    if !desired.is_empty() && !to_update.is_empty() {
        let mut fullest_first: Vec<&String> = to_update.iter().collect();
        fullest_first.sort_by_key(|n| std::cmp::Reverse(by_name[*n].endpoints.len()));
        let fullest_first: Vec<String> = fullest_first.into_iter().cloned().collect();
        for name in fullest_first {
            let slice = by_name.get_mut(&name).expect("planned slice");
            fill(slice, &mut desired);
        }
    }

    let mut plan = SlicePlan::default();
    while !desired.is_empty() {
        let reuse = if desired.len() < MAX_ENDPOINTS_PER_SLICE {
            closest_to_full(&unchanged, &by_name, desired.len())
        } else {
            None
        };
        match reuse {
            Some(name) => {
                let slice = by_name.get_mut(&name).expect("unchanged slice");
                fill(slice, &mut desired);
                unchanged.remove(&name);
                to_update.insert(name);
            }
            None => {
                let mut slice = new_slice(svc, ports.to_vec(), t);
                fill(&mut slice, &mut desired);
                plan.creates.push(slice);
            }
        }
    }
    plan.updates = to_update.iter().map(|n| by_name[n].clone()).collect();
    plan.deletes = to_delete.iter().map(|n| by_name[n].clone()).collect();
    plan
}

fn fill(slice: &mut EndpointSlice, desired: &mut EndpointSet) {
    while slice.endpoints.len() < MAX_ENDPOINTS_PER_SLICE {
        let Some(ep) = desired.pop() else { break };
        slice.endpoints.push(ep);
    }
}

/// The unchanged slice that `adding` more endpoints would bring closest to full without
/// overflowing it.
fn closest_to_full(
    unchanged: &BTreeSet<String>,
    by_name: &BTreeMap<String, EndpointSlice>,
    adding: usize,
) -> Option<String> {
    let mut best: Option<(usize, &String)> = None;
    for name in unchanged {
        let used = by_name[name].endpoints.len() + adding;
        if used > MAX_ENDPOINTS_PER_SLICE {
            continue;
        }
        let room = MAX_ENDPOINTS_PER_SLICE - used;
        if best.is_none_or(|(r, _)| room < r) {
            best = Some((room, name));
            if room == 0 {
                break;
            }
        }
    }
    best.map(|(_, n)| n.clone())
}

/// A fresh slice for the Service with these ports and no endpoints yet.
fn new_slice(svc: &Service, ports: Vec<EndpointPort>, t: AddressType) -> EndpointSlice {
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(format!(
                "{}-",
                svc.metadata.name.as_deref().unwrap_or_default()
            )),
            namespace: svc.metadata.namespace.clone(),
            labels: Some(service::slice_labels(svc, ENDPOINTSLICE_CONTROLLER)),
            owner_references: Some(vec![service::owner_reference(svc)]),
            ..Default::default()
        },
        address_type: t.as_str().into(),
        endpoints: Vec::new(),
        ports: Some(ports),
    }
}

/// Whether an existing slice already is the placeholder that would be created: same namespace,
/// labels, owner, address type, and no ports or endpoints.
fn is_same_placeholder(existing: &EndpointSlice, placeholder: &EndpointSlice) -> bool {
    let labels = |s: &EndpointSlice| s.metadata.labels.clone().unwrap_or_default();
    existing.metadata.namespace == placeholder.metadata.namespace
        && labels(existing) == labels(placeholder)
        && existing.metadata.owner_references == placeholder.metadata.owner_references
        && existing.address_type == placeholder.address_type
        && existing.endpoints.is_empty()
        && existing.ports.as_deref().unwrap_or_default().is_empty()
}

/// Whether the slice names this Service (by UID) as an owner.
fn owned_by(slice: &EndpointSlice, svc: &Service) -> bool {
    slice.metadata.owner_references.iter().flatten().any(|o| {
        Some(&o.uid) == svc.metadata.uid.as_ref() && o.kind == "Service" && o.api_version == "v1"
    })
}

fn set_trigger_time(slice: &mut EndpointSlice, trigger: Option<&str>) {
    let annotations = slice.metadata.annotations.get_or_insert_default();
    match trigger {
        Some(t) => {
            annotations.insert(ANNOTATION_TRIGGER_TIME.into(), t.into());
        }
        None => {
            annotations.remove(ANNOTATION_TRIGGER_TIME);
        }
    }
}

/// The ports a Pod serves for the Service: every Service port whose target resolves on the Pod,
/// named as the Service port (`""` when unnamed, which kubectl needs). A headless Service may
/// have none.
fn endpoint_ports(svc: &Service, pod: &Pod) -> Vec<EndpointPort> {
    let ports = svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_deref())
        .unwrap_or_default();
    ports
        .iter()
        .filter_map(|sp| {
            let port = pod::find_port(pod, sp)?;
            Some(EndpointPort {
                name: Some(sp.name.clone().unwrap_or_default()),
                port: Some(port),
                protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: sp.app_protocol.clone(),
            })
        })
        .collect()
}

/// The endpoint for a Pod in a slice of address type `t`.
fn pod_to_endpoint(pod: &Pod, svc: &Service, t: AddressType) -> Endpoint {
    let serving = pod::is_ready(pod);
    let terminating = pod::is_terminating(pod);
    let publish = svc
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let ready = publish || (serving && !terminating);
    Endpoint {
        addresses: pod::ips(pod)
            .into_iter()
            .filter(|ip| AddressType::of(*ip) == t)
            .map(|ip| ip.to_string())
            .collect(),
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        }),
        hostname: pod::hostname_for(pod, svc),
        node_name: pod::node_name(pod),
        target_ref: Some(pod::target_ref(pod)),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;
    use crate::names::{LABEL_MANAGED_BY, LABEL_SERVICE_NAME};

    /// A name, the Service, the Pods of earlier syncs, the current Pods, the expected changes.
    type Case<'a> = (&'a str, &'a Service, Vec<Vec<Pod>>, Vec<Pod>, Vec<&'a str>);

    /// Plans against a fake server that starts with the slices `setup` leads to.
    fn plan_after(svc: &Service, setup: &[&[Pod]], pods: &[Pod]) -> (FakeServer, Vec<String>) {
        let mut server = FakeServer::default();
        for step in setup {
            let refs: Vec<&Pod> = step.iter().collect();
            let changes = plan_endpoint_slices(svc, &refs, &server.list());
            server.apply(&changes);
        }
        let refs: Vec<&Pod> = pods.iter().collect();
        let changes = plan_endpoint_slices(svc, &refs, &server.list());
        server.apply(&changes);
        // Whatever was planned, planning again from the result changes nothing.
        assert_eq!(
            describe(&plan_endpoint_slices(svc, &refs, &server.list())),
            Vec::<String>::new(),
            "not converged"
        );
        (server, describe(&changes))
    }

    #[test]
    fn table() {
        let publish = {
            let mut s = service();
            s.spec.as_mut().unwrap().publish_not_ready_addresses = Some(true);
            s
        };
        let named = {
            let mut s = service();
            s.spec.as_mut().unwrap().ports = Some(vec![svc_port("http", 80, "http")]);
            s
        };
        let multi = {
            let mut s = service();
            s.spec.as_mut().unwrap().ports = Some(vec![
                svc_port("http", 80, "http"),
                svc_port("metrics", 9090, "9090"),
            ]);
            s
        };
        let succeeded = {
            let mut p = pod("done", "10.42.0.9", false);
            p.status.as_mut().unwrap().phase = Some("Succeeded".into());
            p
        };
        let svc = service();
        let a = pod("a", "10.42.0.1", true);
        let b = pod("b", "10.42.0.2", true);
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("one ready pod", &svc, vec![], vec![a.clone()],
             vec!["create web- IPv4 ports=[:8080/TCP] a@10.42.0.1[RSt]"]),
            ("not ready pod", &svc, vec![], vec![pod("a", "10.42.0.1", false)],
             vec!["create web- IPv4 ports=[:8080/TCP] a@10.42.0.1[rst]"]),
            ("terminating ready pod", &svc, vec![], vec![terminating(a.clone())],
             vec!["create web- IPv4 ports=[:8080/TCP] a@10.42.0.1[rST]"]),
            ("terminating pod published", &publish, vec![], vec![terminating(a.clone())],
             vec!["create web- IPv4 ports=[:8080/TCP] a@10.42.0.1[RST]"]),
            ("not ready pod published", &publish, vec![], vec![pod("a", "10.42.0.1", false)],
             vec!["create web- IPv4 ports=[:8080/TCP] a@10.42.0.1[Rst]"]),
            ("no pods: placeholder", &svc, vec![], vec![],
             vec!["create web- IPv4 ports=[]"]),
            ("pod without IP: placeholder", &svc, vec![], vec![pod("a", "", true)],
             vec!["create web- IPv4 ports=[]"]),
            ("terminal pod: placeholder", &svc, vec![], vec![succeeded],
             vec!["create web- IPv4 ports=[]"]),
            ("placeholder kept", &svc, vec![vec![]], vec![], vec![]),
            ("placeholder reused for the first pod", &svc, vec![vec![]], vec![a.clone()],
             vec!["update web-1 IPv4 ports=[:8080/TCP] a@10.42.0.1[RSt]"]),
            ("last pod gone: slice becomes the placeholder", &svc, vec![vec![a.clone()]], vec![],
             vec!["update web-1 IPv4 ports=[]"]),
            ("unchanged", &svc, vec![vec![a.clone(), b.clone()]], vec![a.clone(), b.clone()],
             vec![]),
            ("readiness change updates in place", &svc, vec![vec![a.clone(), b.clone()]],
             vec![a.clone(), pod("b", "10.42.0.2", false)],
             vec!["update web-1 IPv4 ports=[:8080/TCP] a@10.42.0.1[RSt],b@10.42.0.2[rst]"]),
            ("removed pod", &svc, vec![vec![a.clone(), b.clone()]], vec![b.clone()],
             vec!["update web-1 IPv4 ports=[:8080/TCP] b@10.42.0.2[RSt]"]),
            ("added pod fills the existing slice", &svc, vec![vec![a.clone()]], vec![a.clone(), b.clone()],
             vec!["update web-1 IPv4 ports=[:8080/TCP] a@10.42.0.1[RSt],b@10.42.0.2[RSt]"]),
            ("named target port per pod", &named, vec![],
             vec![a.clone(), with_http_port(b.clone(), 9000)],
             vec!["create web- IPv4 ports=[http:8080/TCP] a@10.42.0.1[RSt]",
                  "create web- IPv4 ports=[http:9000/TCP] b@10.42.0.2[RSt]"]),
            ("multi-port", &multi, vec![], vec![a.clone()],
             vec!["create web- IPv4 ports=[http:8080/TCP,metrics:9090/TCP] a@10.42.0.1[RSt]"]),
            ("numeric target port ignores container ports", &svc, vec![vec![a.clone()]],
             vec![with_http_port(a.clone(), 9000)], vec![]),
        ];
        for (name, svc, setup, pods, want) in cases {
            let setup: Vec<&[Pod]> = setup.iter().map(Vec::as_slice).collect();
            let (_, got) = plan_after(svc, &setup, &pods);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn port_change_on_named_port_replaces_the_slice_in_place() {
        let mut svc = service();
        svc.spec.as_mut().unwrap().ports = Some(vec![svc_port("http", 80, "http")]);
        let a = pod("a", "10.42.0.1", true);
        let moved = with_http_port(a.clone(), 9000);
        let (_, got) = plan_after(&svc, &[std::slice::from_ref(&a)], &[moved]);
        assert_eq!(
            got,
            vec!["update web-1 IPv4 ports=[http:9000/TCP] a@10.42.0.1[RSt]"]
        );
    }

    #[test]
    fn slices_hold_at_most_100_endpoints() {
        let svc = service();
        let pods: Vec<Pod> = (0..250)
            .map(|i| {
                pod(
                    &format!("p{i:03}"),
                    &format!("10.42.{}.{}", i / 200, i % 200),
                    true,
                )
            })
            .collect();
        let (server, _) = plan_after(&svc, &[], &pods);
        let mut sizes: Vec<usize> = server.list().iter().map(|s| s.endpoints.len()).collect();
        sizes.sort();
        assert_eq!(sizes, vec![50, 100, 100]);

        // Ten more Pods go into the slice with room, not a new one.
        let more: Vec<Pod> = (0..260)
            .map(|i| {
                pod(
                    &format!("p{i:03}"),
                    &format!("10.42.{}.{}", i / 200, i % 200),
                    true,
                )
            })
            .collect();
        let refs: Vec<&Pod> = more.iter().collect();
        let changes = plan_endpoint_slices(&svc, &refs, &server.list());
        assert_eq!(changes.len(), 1);
        let SliceChange::Update(s) = &changes[0] else {
            panic!("expected an update, got {changes:?}")
        };
        assert_eq!(s.endpoints.len(), 60);
    }

    #[test]
    fn new_slice_metadata() {
        let mut svc = service();
        svc.metadata.labels = Some(labels(&[("team", "x"), (LABEL_MANAGED_BY, "someone")]));
        let a = pod("a", "10.42.0.1", true);
        let changes = plan_endpoint_slices(&svc, &[&a], &[]);
        let [SliceChange::Create(s)] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!(s.metadata.generate_name.as_deref(), Some("web-"));
        assert_eq!(s.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(
            s.metadata.labels,
            Some(labels(&[
                ("team", "x"),
                (LABEL_MANAGED_BY, ENDPOINTSLICE_CONTROLLER),
                (LABEL_SERVICE_NAME, "web"),
            ]))
        );
        let owner = &s.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (
                owner.api_version.as_str(),
                owner.kind.as_str(),
                owner.name.as_str(),
                owner.uid.as_str()
            ),
            ("v1", "Service", "web", "svc-uid")
        );
        assert_eq!(
            (owner.controller, owner.block_owner_deletion),
            (Some(true), Some(true))
        );
        assert_eq!(
            s.metadata.annotations.as_ref().unwrap()[ANNOTATION_TRIGGER_TIME],
            "2024-01-01T00:01:00Z"
        );
        let ep = &s.endpoints[0];
        assert_eq!(ep.node_name.as_deref(), Some("node1"));
        let target = ep.target_ref.as_ref().unwrap();
        assert_eq!(
            (
                target.kind.as_deref(),
                target.namespace.as_deref(),
                target.name.as_deref(),
                target.uid.as_deref()
            ),
            (Some("Pod"), Some("default"), Some("a"), Some("a-uid"))
        );
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(
            json["ports"][0]["name"], "",
            "kubectl describe needs the name"
        );
    }

    #[test]
    fn headless_service_gets_the_headless_label() {
        let mut svc = service();
        svc.spec.as_mut().unwrap().cluster_ip = Some("None".into());
        let a = pod("a", "10.42.0.1", true);
        let changes = plan_endpoint_slices(&svc, &[&a], &[]);
        let [SliceChange::Create(s)] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!(
            s.metadata.labels.as_ref().unwrap()["service.kubernetes.io/headless"],
            ""
        );
    }

    #[test]
    fn service_label_change_updates_slices() {
        let svc = service();
        let a = pod("a", "10.42.0.1", true);
        let mut server = FakeServer::default();
        server.apply(&plan_endpoint_slices(&svc, &[&a], &[]));
        let mut relabelled = svc.clone();
        relabelled.metadata.labels = Some(labels(&[("team", "y")]));
        let changes = plan_endpoint_slices(&relabelled, &[&a], &server.list());
        let [SliceChange::Update(s)] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!(s.metadata.labels.as_ref().unwrap()["team"], "y");
    }

    #[test]
    fn slices_of_another_service_incarnation_are_replaced() {
        let svc = service();
        let a = pod("a", "10.42.0.1", true);
        let mut server = FakeServer::default();
        server.apply(&plan_endpoint_slices(&svc, &[&a], &[]));
        let mut recreated = svc.clone();
        recreated.metadata.uid = Some("new-uid".into());
        let got = describe(&plan_endpoint_slices(&recreated, &[&a], &server.list()));
        assert_eq!(
            got,
            vec![
                "create web- IPv4 ports=[:8080/TCP] a@10.42.0.1[RSt]",
                "delete web-1"
            ]
        );
    }

    #[test]
    fn unsupported_address_types_are_deleted() {
        let svc = service();
        let mut v6 = EndpointSlice {
            address_type: "IPv6".into(),
            ..Default::default()
        };
        v6.metadata.name = Some("web-v6".into());
        let got = describe(&plan_endpoint_slices(&svc, &[], &[&v6]));
        assert_eq!(got, vec!["create web- IPv4 ports=[]", "delete web-v6"]);
    }

    #[test]
    fn deleting_service_creates_nothing() {
        let mut svc = service();
        svc.metadata.deletion_timestamp = Some(time("2024-01-01T00:05:00Z"));
        let a = pod("a", "10.42.0.1", true);
        assert_eq!(plan_endpoint_slices(&svc, &[&a], &[]), vec![]);
    }
}
