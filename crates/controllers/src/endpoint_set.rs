//! Identity and comparison of EndpointSlice endpoints and port lists, shared by both slice
//! planners.
//!
//! An endpoint is identified by its addresses, hostname and target (namespace/name), so a
//! condition or node change updates it in place rather than replacing it. Slices are grouped by
//! their port list, compared without regard to order.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort};

/// What identifies an endpoint across syncs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EndpointKey {
    addresses: Vec<String>,
    hostname: String,
    target_namespace: String,
    target_name: String,
}

impl EndpointKey {
    pub fn of(ep: &Endpoint) -> EndpointKey {
        let mut addresses = ep.addresses.clone();
        addresses.sort();
        let target = ep.target_ref.as_ref();
        EndpointKey {
            addresses,
            hostname: ep.hostname.clone().unwrap_or_default(),
            target_namespace: target.and_then(|t| t.namespace.clone()).unwrap_or_default(),
            target_name: target.and_then(|t| t.name.clone()).unwrap_or_default(),
        }
    }
}

/// Desired endpoints by identity, iterated in a stable order; inserting an endpoint with the same
/// identity replaces the earlier one.
#[derive(Debug, Default, Clone)]
pub struct EndpointSet(BTreeMap<EndpointKey, Endpoint>);

impl EndpointSet {
    pub fn insert(&mut self, ep: Endpoint) {
        self.0.insert(EndpointKey::of(&ep), ep);
    }

    /// Removes and returns the desired version of `existing`, if it is still desired.
    pub fn take_matching(&mut self, existing: &Endpoint) -> Option<Endpoint> {
        self.0.remove(&EndpointKey::of(existing))
    }

    pub fn get_matching(&self, existing: &Endpoint) -> Option<&Endpoint> {
        self.0.get(&EndpointKey::of(existing))
    }

    /// Removes and returns the first endpoint in key order.
    pub fn pop(&mut self) -> Option<Endpoint> {
        self.0.pop_first().map(|(_, ep)| ep)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether two endpoints with the same identity also agree on everything else the controllers
/// write (node, zone, conditions, target), ignoring the target's resourceVersion.
pub fn equal_beyond_key(a: &Endpoint, b: &Endpoint) -> bool {
    let conds = |e: &Endpoint| {
        let c = e.conditions.clone().unwrap_or_default();
        (c.ready, c.serving, c.terminating)
    };
    let target = |e: &Endpoint| {
        e.target_ref.clone().map(|t| ObjectReference {
            resource_version: None,
            ..t
        })
    };
    a.node_name == b.node_name && a.zone == b.zone && conds(a) == conds(b) && target(a) == target(b)
}

/// A port list's identity, independent of order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortKey(Vec<(String, i32, String, String)>);

impl PortKey {
    pub fn of(ports: &[EndpointPort]) -> PortKey {
        let mut key: Vec<_> = ports
            .iter()
            .map(|p| {
                (
                    p.name.clone().unwrap_or_default(),
                    p.port.unwrap_or_default(),
                    p.protocol.clone().unwrap_or_default(),
                    p.app_protocol.clone().unwrap_or_default(),
                )
            })
            .collect();
        key.sort();
        PortKey(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::discovery::v1::EndpointConditions;

    fn ep(ip: &str, pod: &str, ready: bool, node: Option<&str>, rv: Option<&str>) -> Endpoint {
        Endpoint {
            addresses: vec![ip.into()],
            conditions: Some(EndpointConditions {
                ready: Some(ready),
                serving: Some(ready),
                terminating: Some(false),
            }),
            node_name: node.map(String::from),
            target_ref: Some(ObjectReference {
                kind: Some("Pod".into()),
                namespace: Some("default".into()),
                name: Some(pod.into()),
                resource_version: rv.map(String::from),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn identity_ignores_conditions_and_node() {
        let a = ep("10.0.0.1", "a", true, Some("n1"), None);
        let cases = [
            (ep("10.0.0.1", "a", false, Some("n2"), None), true, false),
            (ep("10.0.0.1", "a", true, Some("n1"), Some("7")), true, true),
            (ep("10.0.0.2", "a", true, Some("n1"), None), false, true),
            (ep("10.0.0.1", "b", true, Some("n1"), None), false, false),
        ];
        for (b, same_key, equal) in cases {
            assert_eq!(
                EndpointKey::of(&a) == EndpointKey::of(&b),
                same_key,
                "{b:?}"
            );
            assert_eq!(equal_beyond_key(&a, &b), equal, "{b:?}");
        }
    }

    #[test]
    fn port_key_ignores_order() {
        let p = |name: &str, port: i32| EndpointPort {
            name: Some(name.into()),
            port: Some(port),
            protocol: Some("TCP".into()),
            app_protocol: None,
        };
        assert_eq!(
            PortKey::of(&[p("a", 1), p("b", 2)]),
            PortKey::of(&[p("b", 2), p("a", 1)])
        );
        assert_ne!(PortKey::of(&[p("a", 1)]), PortKey::of(&[p("a", 2)]));
        assert_ne!(PortKey::of(&[]), PortKey::of(&[p("", 80)]));
    }
}
