//! Planning a selector Service's Endpoints object (the Endpoints controller's sync), without IO:
//! from the Service, the Pods it selects and the current Endpoints, the object to write, or
//! nothing when it is already right.
//!
//! As upstream: every selected Pod with an IP of the Service's family contributes one address
//! per Service port it resolves; ready Pods (or all, with `publishNotReadyAddresses`) go to
//! `addresses`, the others to `notReadyAddresses`; terminating Pods are left out unless
//! published. Subsets are repacked, capped at 1000 addresses (then annotated `over-capacity`),
//! labelled as the Service and stamped with the trigger time.

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::address::{self, AddressType};
use crate::names::{
    ANNOTATION_OVER_CAPACITY, ANNOTATION_TRIGGER_TIME, LABEL_HEADLESS, MAX_ENDPOINTS_CAPACITY,
};
use crate::repack::repack;
use crate::{pod, service};

/// The Endpoints object to create (no resourceVersion) or replace (the current one's), or
/// `None` when `current` already matches.
pub fn plan_endpoints(
    svc: &Service,
    pods: &[&Pod],
    current: Option<&Endpoints>,
) -> Option<Endpoints> {
    let spec = svc.spec.clone().unwrap_or_default();
    let publish = spec.publish_not_ready_addresses.unwrap_or(false);
    let headless = !service::is_ip_set(svc);
    let family = address::primary_family(svc);
    let svc_ports = spec.ports.unwrap_or_default();

    let mut subsets = Vec::new();
    for pod in pods {
        if !pod::should_be_in_endpoints(pod, publish) {
            continue;
        }
        let Some(addr) = address_for(pod, svc, family) else {
            continue;
        };
        let ready = publish || pod::is_ready(pod);
        let subset = |ports: Option<Vec<EndpointPort>>| EndpointSubset {
            addresses: ready.then(|| vec![addr.clone()]),
            not_ready_addresses: (!ready).then(|| vec![addr.clone()]),
            ports,
        };
        if svc_ports.is_empty() {
            if headless {
                subsets.push(subset(None));
            }
            continue;
        }
        for sp in &svc_ports {
            let Some(port) = pod::find_port(pod, sp) else {
                continue;
            };
            subsets.push(subset(Some(vec![EndpointPort {
                name: sp.name.clone().filter(|n| !n.is_empty()),
                port,
                protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: sp.app_protocol.clone(),
            }])));
        }
    }
    let subsets = repack(&subsets);

    let svc_labels = svc.metadata.labels.clone().unwrap_or_default();
    if let Some(cur) = current {
        let mut cur_labels = cur.metadata.labels.clone().unwrap_or_default();
        cur_labels.remove(LABEL_HEADLESS);
        let over = count(&subsets) > MAX_ENDPOINTS_CAPACITY;
        let flagged = cur
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(ANNOTATION_OVER_CAPACITY));
        if comparable(cur.subsets.as_deref().unwrap_or_default()) == comparable(&subsets)
            && cur_labels == svc_labels
            && !over
            && !flagged
        {
            return None;
        }
    }

    let mut out = match current {
        Some(cur) => cur.clone(),
        None => Endpoints {
            metadata: ObjectMeta {
                name: svc.metadata.name.clone(),
                namespace: svc.metadata.namespace.clone(),
                ..Default::default()
            },
            ..Default::default()
        },
    };
    out.metadata.managed_fields = None;
    let annotations = out.metadata.annotations.get_or_insert_default();
    match service::trigger_time(svc, pods) {
        Some(t) => {
            annotations.insert(
                ANNOTATION_TRIGGER_TIME.into(),
                service::format_trigger_time(t),
            );
        }
        None => {
            annotations.remove(ANNOTATION_TRIGGER_TIME);
        }
    }
    let (subsets, truncated) = truncate(subsets);
    if truncated {
        annotations.insert(ANNOTATION_OVER_CAPACITY.into(), "truncated".into());
    } else {
        annotations.remove(ANNOTATION_OVER_CAPACITY);
    }
    let mut labels = svc_labels;
    if headless {
        labels.insert(LABEL_HEADLESS.into(), String::new());
    } else {
        labels.remove(LABEL_HEADLESS);
    }
    out.metadata.labels = Some(labels);
    out.subsets = (!subsets.is_empty()).then_some(subsets);
    Some(out)
}

/// The Pod's address for the Service: its first IP of the Service's family, pointing at it.
fn address_for(pod: &Pod, svc: &Service, family: AddressType) -> Option<EndpointAddress> {
    let ip = pod::ips(pod)
        .into_iter()
        .find(|ip| AddressType::of(*ip) == family)?;
    Some(EndpointAddress {
        ip: ip.to_string(),
        hostname: pod::hostname_for(pod, svc),
        node_name: pod::node_name(pod),
        target_ref: Some(pod::target_ref(pod)),
    })
}

fn count(subsets: &[EndpointSubset]) -> usize {
    subsets
        .iter()
        .map(|s| {
            s.addresses.as_ref().map_or(0, Vec::len)
                + s.not_ready_addresses.as_ref().map_or(0, Vec::len)
        })
        .sum()
}

/// Subsets in a form that compares equal when only targets' resourceVersions or empty-vs-absent
/// lists differ.
fn comparable(subsets: &[EndpointSubset]) -> Vec<EndpointSubset> {
    let clean = |list: &Option<Vec<EndpointAddress>>| {
        let list: Vec<EndpointAddress> = list
            .iter()
            .flatten()
            .map(|a| {
                let mut a = a.clone();
                if let Some(t) = a.target_ref.as_mut() {
                    t.resource_version = None;
                }
                a
            })
            .collect();
        (!list.is_empty()).then_some(list)
    };
    subsets
        .iter()
        .map(|s| EndpointSubset {
            addresses: clean(&s.addresses),
            not_ready_addresses: clean(&s.not_ready_addresses),
            ports: s.ports.clone().filter(|p| !p.is_empty()),
        })
        .collect()
}

/// Caps the subsets at 1000 addresses, spreading the room over subsets in proportion to their
/// size and keeping ready addresses before not-ready ones. True when something was cut.
fn truncate(mut subsets: Vec<EndpointSubset>) -> (Vec<EndpointSubset>, bool) {
    let len = |l: &Option<Vec<EndpointAddress>>| l.as_ref().map_or(0, Vec::len);
    let ready: usize = subsets.iter().map(|s| len(&s.addresses)).sum();
    let not_ready: usize = subsets.iter().map(|s| len(&s.not_ready_addresses)).sum();
    if ready + not_ready <= MAX_ENDPOINTS_CAPACITY {
        return (subsets, false);
    }
    let cut_ready = ready > MAX_ENDPOINTS_CAPACITY;
    let (room, total) = if cut_ready {
        (MAX_ENDPOINTS_CAPACITY, ready)
    } else {
        (MAX_ENDPOINTS_CAPACITY - ready, not_ready)
    };
    let mut left = room;
    for s in &mut subsets {
        let list = if cut_ready {
            s.not_ready_addresses = None;
            &mut s.addresses
        } else {
            &mut s.not_ready_addresses
        };
        let share = (len(list) * room).div_ceil(total).min(left);
        if let Some(l) = list.as_mut() {
            l.truncate(share);
        }
        if list.as_ref().is_some_and(Vec::is_empty) {
            *list = None;
        }
        left -= len(list);
    }
    (subsets, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    /// One line per subset: `ready|not-ready|ports`, addresses as `pod@ip`.
    fn show(ep: &Endpoints) -> Vec<String> {
        ep.subsets
            .iter()
            .flatten()
            .map(|s| {
                let addrs = |l: &Option<Vec<EndpointAddress>>| {
                    l.iter()
                        .flatten()
                        .map(|a| {
                            let pod = a.target_ref.as_ref().and_then(|t| t.name.clone());
                            format!("{}@{}", pod.unwrap_or_default(), a.ip)
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let ports: Vec<String> = s
                    .ports
                    .iter()
                    .flatten()
                    .map(|p| {
                        format!(
                            "{}:{}/{}",
                            p.name.as_deref().unwrap_or(""),
                            p.port,
                            p.protocol.as_deref().unwrap_or("")
                        )
                    })
                    .collect();
                format!(
                    "{}|{}|{}",
                    addrs(&s.addresses),
                    addrs(&s.not_ready_addresses),
                    ports.join(",")
                )
            })
            .collect()
    }

    #[test]
    fn table() {
        let svc = service();
        let publish = {
            let mut s = service();
            s.spec.as_mut().unwrap().publish_not_ready_addresses = Some(true);
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
        let headless_no_ports = {
            let mut s = service();
            let spec = s.spec.as_mut().unwrap();
            spec.cluster_ip = Some("None".into());
            spec.ports = None;
            s
        };
        let a = pod("a", "10.42.0.1", true);
        let b = pod("b", "10.42.0.2", true);
        let c = pod("c", "10.42.0.3", false);
        #[rustfmt::skip]
        let cases: Vec<(&str, &Service, Vec<Pod>, Vec<&str>)> = vec![
            ("no pods", &svc, vec![], vec![]),
            ("ready and not ready", &svc, vec![b.clone(), a.clone(), c.clone()],
             vec!["a@10.42.0.1,b@10.42.0.2|c@10.42.0.3|:8080/TCP"]),
            ("no IP skipped", &svc, vec![pod("x", "", true)], vec![]),
            ("terminating left out", &svc, vec![terminating(a.clone()), b.clone()],
             vec!["b@10.42.0.2||:8080/TCP"]),
            ("terminating published", &publish, vec![terminating(a.clone()), c.clone()],
             vec!["a@10.42.0.1,c@10.42.0.3||:8080/TCP"]),
            ("named ports differ per pod", &multi, vec![a.clone(), with_http_port(b.clone(), 9000)],
             vec!["a@10.42.0.1||http:8080/TCP", "a@10.42.0.1,b@10.42.0.2||metrics:9090/TCP",
                  "b@10.42.0.2||http:9000/TCP"]),
            ("headless without ports", &headless_no_ports, vec![a.clone()], vec!["a@10.42.0.1||"]),
        ];
        for (name, svc, pods, want) in cases {
            let refs: Vec<&Pod> = pods.iter().collect();
            let ep = plan_endpoints(svc, &refs, None).expect("created");
            assert_eq!(show(&ep), want, "{name}");
            // Planning again against what was written changes nothing.
            assert_eq!(
                plan_endpoints(svc, &refs, Some(&ep)),
                None,
                "{name}: not converged"
            );
        }
    }

    #[test]
    fn metadata() {
        let mut svc = service();
        svc.metadata.labels = Some(labels(&[("team", "x")]));
        let a = pod("a", "10.42.0.1", true);
        let ep = plan_endpoints(&svc, &[&a], None).unwrap();
        assert_eq!(ep.metadata.name.as_deref(), Some("web"));
        assert_eq!(ep.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(ep.metadata.resource_version, None);
        assert_eq!(ep.metadata.labels, Some(labels(&[("team", "x")])));
        assert_eq!(
            ep.metadata.annotations.as_ref().unwrap()[ANNOTATION_TRIGGER_TIME],
            "2024-01-01T00:01:00Z"
        );
        let addr = &ep.subsets.as_ref().unwrap()[0].addresses.as_ref().unwrap()[0];
        assert_eq!(addr.node_name.as_deref(), Some("node1"));
        let t = addr.target_ref.as_ref().unwrap();
        assert_eq!(
            (
                t.kind.as_deref(),
                t.namespace.as_deref(),
                t.name.as_deref(),
                t.uid.as_deref()
            ),
            (Some("Pod"), Some("default"), Some("a"), Some("a-uid"))
        );
    }

    #[test]
    fn updates_keep_identity_and_follow_changes() {
        let svc = service();
        let a = pod("a", "10.42.0.1", true);
        let mut current = plan_endpoints(&svc, &[&a], None).unwrap();
        current.metadata.resource_version = Some("5".into());
        // A target's resourceVersion alone is no change.
        current.subsets.as_mut().unwrap()[0]
            .addresses
            .as_mut()
            .unwrap()[0]
            .target_ref
            .as_mut()
            .unwrap()
            .resource_version = Some("77".into());
        assert_eq!(plan_endpoints(&svc, &[&a], Some(&current)), None);

        let not_ready = pod("a", "10.42.0.1", false);
        let next = plan_endpoints(&svc, &[&not_ready], Some(&current)).unwrap();
        assert_eq!(next.metadata.resource_version.as_deref(), Some("5"));
        assert_eq!(show(&next), vec!["|a@10.42.0.1|:8080/TCP"]);

        let mut relabelled = svc.clone();
        relabelled.metadata.labels = Some(labels(&[("team", "y")]));
        let next = plan_endpoints(&relabelled, &[&a], Some(&current)).unwrap();
        assert_eq!(next.metadata.labels, Some(labels(&[("team", "y")])));
    }

    #[test]
    fn over_capacity_is_truncated() {
        let svc = service();
        let pods: Vec<Pod> = (0..1100)
            .map(|i| {
                pod(
                    &format!("p{i}"),
                    &format!("10.42.{}.{}", i / 250, i % 250),
                    i % 2 == 0,
                )
            })
            .collect();
        let refs: Vec<&Pod> = pods.iter().collect();
        let ep = plan_endpoints(&svc, &refs, None).unwrap();
        let s = &ep.subsets.as_ref().unwrap()[0];
        assert_eq!(s.addresses.as_ref().unwrap().len(), 550);
        assert_eq!(s.not_ready_addresses.as_ref().unwrap().len(), 450);
        assert_eq!(
            ep.metadata.annotations.as_ref().unwrap()[ANNOTATION_OVER_CAPACITY],
            "truncated"
        );
    }
}
