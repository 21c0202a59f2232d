//! Planning the EndpointSlices mirrored from a user-managed Endpoints object (the
//! EndpointSlice mirroring controller's reconciler), without IO.
//!
//! As upstream: each distinct (address type, port list) of the Endpoints' subsets becomes one
//! slice holding at most 1000 addresses per subset; ready and not-ready addresses map to the
//! `ready` condition; addresses that are not IPs are skipped. A slice that already matches is
//! left alone, one that does not is rewritten in place, extra slices are deleted. Slices carry
//! the Endpoints' labels and annotations (except the trigger time and kubectl's last-applied
//! record) and are owned by the Endpoints.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{EndpointAddress, Endpoints};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use crate::address::AddressType;
use crate::change::{SliceChange, SlicePlan};
use crate::endpoint_set::{EndpointSet, PortKey, equal_beyond_key};
use crate::names::{
    ANNOTATION_LAST_APPLIED, ANNOTATION_LEADER, ANNOTATION_TRIGGER_TIME, LABEL_MANAGED_BY,
    LABEL_SERVICE_NAME, LABEL_SKIP_MIRROR, MAX_ENDPOINTS_PER_SUBSET, MIRRORING_CONTROLLER,
};

/// Whether user-managed Endpoints are mirrored at all: not when labelled
/// `endpointslice.kubernetes.io/skip-mirror: "true"` (as the API server's own `kubernetes`
/// Endpoints are) nor when they are a leader-election record.
pub fn should_mirror(endpoints: &Endpoints) -> bool {
    let skip = endpoints
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL_SKIP_MIRROR))
        .is_some_and(|v| v == "true");
    let leader = endpoints
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(ANNOTATION_LEADER));
    !skip && !leader
}

/// The changes that make `existing` (the slices mirrored for this Endpoints' name) mirror
/// `endpoints`.
pub fn plan_mirrored_slices(
    endpoints: &Endpoints,
    existing: &[&EndpointSlice],
) -> Vec<SliceChange> {
    type Group = (Vec<EndpointPort>, EndpointSet);
    let mut desired: BTreeMap<(AddressType, PortKey), Group> = BTreeMap::new();
    for subset in endpoints.subsets.iter().flatten() {
        let ports: Vec<EndpointPort> = subset
            .ports
            .iter()
            .flatten()
            .map(|p| EndpointPort {
                name: Some(p.name.clone().unwrap_or_default()),
                port: Some(p.port),
                protocol: Some(p.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: p.app_protocol.clone(),
            })
            .collect();
        let key = PortKey::of(&ports);
        let ready = subset.addresses.iter().flatten().map(|a| (a, true));
        let not_ready = subset
            .not_ready_addresses
            .iter()
            .flatten()
            .map(|a| (a, false));
        let mut added = 0;
        for (addr, is_ready) in ready.chain(not_ready) {
            if added >= MAX_ENDPOINTS_PER_SUBSET {
                break;
            }
            let Some((t, ep)) = to_endpoint(addr, is_ready) else {
                continue;
            };
            added += 1;
            desired
                .entry((t, key.clone()))
                .or_insert_with(|| (ports.clone(), EndpointSet::default()))
                .1
                .insert(ep);
        }
    }

    let mut existing: Vec<&EndpointSlice> = existing.to_vec();
    existing.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let mut by_key: BTreeMap<(AddressType, PortKey), Vec<&EndpointSlice>> = BTreeMap::new();
    let mut plan = SlicePlan::default();
    for slice in existing {
        match AddressType::parse(&slice.address_type) {
            Some(t) => {
                let ports = slice.ports.as_deref().unwrap_or_default();
                by_key
                    .entry((t, PortKey::of(ports)))
                    .or_default()
                    .push(slice);
            }
            None => plan.deletes.push(slice.clone()),
        }
    }

    for (key, (ports, mut set)) in desired {
        let slices = by_key.remove(&key).unwrap_or_default();
        let reuse = match slices.split_first() {
            None => None,
            Some((first, rest)) => {
                plan.deletes.extend(rest.iter().map(|s| (*s).clone()));
                if matches_exactly(first, &set) {
                    continue;
                }
                Some(*first)
            }
        };
        let mut slice = new_slice(endpoints, ports, key.0);
        if let Some(old) = reuse {
            slice.metadata.generate_name = None;
            slice.metadata.name = old.metadata.name.clone();
            slice.metadata.resource_version = old.metadata.resource_version.clone();
        }
        while slice.endpoints.len() < MAX_ENDPOINTS_PER_SUBSET {
            let Some(ep) = set.pop() else { break };
            slice.endpoints.push(ep);
        }
        if reuse.is_some() {
            plan.updates.push(slice);
        } else {
            plan.creates.push(slice);
        }
    }
    for slices in by_key.into_values() {
        plan.deletes.extend(slices.into_iter().cloned());
    }

    plan.recycle(|_| true);
    if endpoints.metadata.deletion_timestamp.is_some() {
        plan.creates.clear();
    }
    plan.into_changes()
}

/// Whether the slice holds exactly the desired endpoints, each unchanged.
fn matches_exactly(slice: &EndpointSlice, desired: &EndpointSet) -> bool {
    let mut matched = 0;
    for ep in &slice.endpoints {
        match desired.get_matching(ep) {
            Some(want) if equal_beyond_key(want, ep) => matched += 1,
            _ => return false,
        }
    }
    matched == desired.len()
}

/// The endpoint an Endpoints address mirrors to, and its address type; `None` for an address
/// that is not an IP.
fn to_endpoint(addr: &EndpointAddress, ready: bool) -> Option<(AddressType, Endpoint)> {
    let ip: IpAddr = addr.ip.trim().parse().ok()?;
    let ep = Endpoint {
        addresses: vec![ip.to_string()],
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            ..Default::default()
        }),
        target_ref: addr.target_ref.clone(),
        node_name: addr.node_name.clone(),
        hostname: addr.hostname.clone().filter(|h| !h.is_empty()),
        ..Default::default()
    };
    Some((AddressType::of(ip), ep))
}

fn new_slice(endpoints: &Endpoints, ports: Vec<EndpointPort>, t: AddressType) -> EndpointSlice {
    let name = endpoints.metadata.name.clone().unwrap_or_default();
    let mut labels = endpoints.metadata.labels.clone().unwrap_or_default();
    labels.insert(LABEL_SERVICE_NAME.into(), name.clone());
    labels.insert(LABEL_MANAGED_BY.into(), MIRRORING_CONTROLLER.into());
    let mut annotations = endpoints.metadata.annotations.clone().unwrap_or_default();
    annotations.remove(ANNOTATION_TRIGGER_TIME);
    annotations.remove(ANNOTATION_LAST_APPLIED);
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: endpoints.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Endpoints".into(),
                name,
                uid: endpoints.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        address_type: t.as_str().into(),
        endpoints: Vec::new(),
        ports: Some(ports),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;
    use k8s_openapi::api::core::v1::{EndpointPort as CorePort, EndpointSubset};

    /// A name, the Endpoints subsets of earlier syncs, the current subsets, the expected changes.
    type Case<'a> = (
        &'a str,
        Vec<Vec<EndpointSubset>>,
        Vec<EndpointSubset>,
        Vec<&'a str>,
    );
    type Pairs<'a> = &'a [(&'a str, &'a str)];

    fn addr(ip: &str) -> EndpointAddress {
        EndpointAddress {
            ip: ip.into(),
            ..Default::default()
        }
    }

    fn subset(ready: &[&str], not_ready: &[&str], ports: &[(&str, i32)]) -> EndpointSubset {
        let list = |ips: &[&str]| Some(ips.iter().map(|i| addr(i)).collect());
        EndpointSubset {
            addresses: list(ready),
            not_ready_addresses: list(not_ready),
            ports: Some(
                ports
                    .iter()
                    .map(|(n, p)| CorePort {
                        name: (!n.is_empty()).then(|| n.to_string()),
                        port: *p,
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
        }
    }

    fn endpoints(subsets: Vec<EndpointSubset>) -> Endpoints {
        Endpoints {
            metadata: ObjectMeta {
                name: Some("ext".into()),
                namespace: Some("default".into()),
                uid: Some("ep-uid".into()),
                labels: Some(labels(&[("team", "x")])),
                annotations: Some(labels(&[
                    ("note", "kept"),
                    (ANNOTATION_LAST_APPLIED, "{}"),
                    (ANNOTATION_TRIGGER_TIME, "2024-01-01T00:00:00Z"),
                ])),
                ..Default::default()
            },
            subsets: Some(subsets),
        }
    }

    #[test]
    fn table() {
        let many: Vec<String> = (0..1005)
            .map(|i| format!("10.1.{}.{}", i / 250, i % 250))
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("ready and not ready", vec![],
             vec![subset(&["10.1.0.1"], &["10.1.0.2"], &[("", 80)])],
             vec!["create ext- IPv4 ports=[:80/TCP] @10.1.0.1[R--],@10.1.0.2[r--]"]),
            ("invalid address skipped", vec![],
             vec![subset(&["not-an-ip", "10.1.0.1"], &[], &[("http", 80)])],
             vec!["create ext- IPv4 ports=[http:80/TCP] @10.1.0.1[R--]"]),
            ("IPv6 gets its own slice", vec![],
             vec![subset(&["10.1.0.1", "fd00::1"], &[], &[("", 80)])],
             vec!["create ext- IPv4 ports=[:80/TCP] @10.1.0.1[R--]",
                  "create ext- IPv6 ports=[:80/TCP] @fd00::1[R--]"]),
            ("port sets split", vec![],
             vec![subset(&["10.1.0.1"], &[], &[("a", 80)]), subset(&["10.1.0.2"], &[], &[("b", 81)])],
             vec!["create ext- IPv4 ports=[a:80/TCP] @10.1.0.1[R--]",
                  "create ext- IPv4 ports=[b:81/TCP] @10.1.0.2[R--]"]),
            ("same ports merge", vec![],
             vec![subset(&["10.1.0.1"], &[], &[("a", 80)]), subset(&["10.1.0.2"], &[], &[("a", 80)])],
             vec!["create ext- IPv4 ports=[a:80/TCP] @10.1.0.1[R--],@10.1.0.2[R--]"]),
            ("unchanged", vec![vec![subset(&["10.1.0.1"], &[], &[("", 80)])]],
             vec![subset(&["10.1.0.1"], &[], &[("", 80)])], vec![]),
            ("changed rewritten in place", vec![vec![subset(&["10.1.0.1"], &[], &[("", 80)])]],
             vec![subset(&["10.1.0.1", "10.1.0.3"], &[], &[("", 80)])],
             vec!["update ext-1 IPv4 ports=[:80/TCP] @10.1.0.1[R--],@10.1.0.3[R--]"]),
            ("port change reuses the slice", vec![vec![subset(&["10.1.0.1"], &[], &[("", 80)])]],
             vec![subset(&["10.1.0.1"], &[], &[("", 8080)])],
             vec!["update ext-1 IPv4 ports=[:8080/TCP] @10.1.0.1[R--]"]),
            ("emptied: slices deleted", vec![vec![subset(&["10.1.0.1"], &[], &[("", 80)])]],
             vec![], vec!["delete ext-1"]),
        ];
        for (name, setup, subsets, want) in cases {
            let mut server = FakeServer::default();
            for step in setup {
                server.apply(&plan_mirrored_slices(&endpoints(step), &server.list()));
            }
            let ep = endpoints(subsets);
            let changes = plan_mirrored_slices(&ep, &server.list());
            assert_eq!(describe(&changes), want, "{name}");
            server.apply(&changes);
            assert_eq!(
                plan_mirrored_slices(&ep, &server.list()),
                vec![],
                "{name}: not converged"
            );
        }
        let ep = endpoints(vec![subset(&many, &[], &[("", 80)])]);
        let changes = plan_mirrored_slices(&ep, &[]);
        let [SliceChange::Create(s)] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!(s.endpoints.len(), 1000, "at most 1000 per subset");
    }

    #[test]
    fn metadata_is_mirrored() {
        let ep = endpoints(vec![subset(&["10.1.0.1"], &[], &[("", 80)])]);
        let changes = plan_mirrored_slices(&ep, &[]);
        let [SliceChange::Create(s)] = changes.as_slice() else {
            panic!("{changes:?}")
        };
        assert_eq!(s.metadata.generate_name.as_deref(), Some("ext-"));
        assert_eq!(
            s.metadata.labels,
            Some(labels(&[
                ("team", "x"),
                (LABEL_SERVICE_NAME, "ext"),
                (LABEL_MANAGED_BY, MIRRORING_CONTROLLER),
            ]))
        );
        assert_eq!(s.metadata.annotations, Some(labels(&[("note", "kept")])));
        let owner = &s.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str()),
            ("Endpoints", "ep-uid")
        );
    }

    #[test]
    fn opt_outs_are_not_mirrored() {
        let cases: &[(Pairs, Pairs, bool)] = &[
            (&[], &[], true),
            (&[(LABEL_SKIP_MIRROR, "true")], &[], false),
            (&[(LABEL_SKIP_MIRROR, "false")], &[], true),
            (&[], &[(ANNOTATION_LEADER, "{}")], false),
        ];
        for (l, a, want) in cases {
            let mut ep = endpoints(vec![]);
            ep.metadata.labels = Some(labels(l));
            ep.metadata.annotations = Some(labels(a));
            assert_eq!(should_mirror(&ep), *want, "{l:?} {a:?}");
        }
    }

    #[test]
    fn duplicate_slices_are_collapsed() {
        let ep = endpoints(vec![subset(&["10.1.0.1"], &[], &[("", 80)])]);
        let mut server = FakeServer::default();
        server.apply(&plan_mirrored_slices(&ep, &[]));
        server.apply(&plan_mirrored_slices(&ep, &[]));
        assert_eq!(
            describe(&plan_mirrored_slices(&ep, &server.list())),
            vec!["delete ext-2"]
        );
    }
}
