//! Which watch changes wake the scheduler, as upstream's scheduling queue decides which events
//! move a Pod: a Pod is (re)considered when it appears, when something other than its status
//! changes, and when it stops needing scheduling (so its state is dropped); pending Pods are
//! retried when a Node appears or changes in a way the filters look at. Status-only updates
//! (the scheduler's own condition writes, node heartbeats) wake nothing.
//!
//! The LoadBalancer controller plans every LoadBalancer Service together (ports go to one at a
//! time), so a change to what one Service claims, or to the IPs the nodes serve, wakes them
//! all; a change to a Service's load-balancer status alone wakes that Service.

use k8s_openapi::api::core::v1::{Node, Pod, Service};

use crate::schedule_plan::needs_scheduling;
use crate::service_lb_plan::{claim, ingress, node_ips, published_by_us};
use crate::taint::ready_status;

/// Whether the change of a Pod from `old` (`None` when new) to `new` wakes the scheduler for it.
pub fn pod_wakes_scheduler(old: Option<&Pod>, new: &Pod) -> bool {
    let Some(old) = old else {
        return needs_scheduling(new);
    };
    if !needs_scheduling(new) {
        return needs_scheduling(old);
    }
    !needs_scheduling(old)
        || old.spec != new.spec
        || old.metadata.labels != new.metadata.labels
        || old.metadata.annotations != new.metadata.annotations
}

/// Whether the change of a Node from `old` (`None` when new) to `new` may let pending Pods fit.
pub fn node_wakes_scheduler(old: Option<&Node>, new: &Node) -> bool {
    let Some(old) = old else {
        return true;
    };
    let taints = |n: &Node| n.spec.as_ref().and_then(|s| s.taints.clone());
    let cordoned = |n: &Node| n.spec.as_ref().and_then(|s| s.unschedulable) == Some(true);
    old.metadata.labels != new.metadata.labels
        || taints(old) != taints(new)
        || cordoned(old) != cordoned(new)
        || ready_status(old) != ready_status(new)
}

/// Which Services a Service change wakes the LoadBalancer controller for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadBalancerWake {
    Nothing,
    /// The Service itself.
    Itself,
    /// Every Service the controller looks after, and this one.
    All,
}

/// What the change of a Service from `old` (`None` when new) to `new` wakes.
pub fn service_wakes_load_balancers(old: Option<&Service>, new: &Service) -> LoadBalancerWake {
    if old.and_then(claim) != claim(new) {
        return LoadBalancerWake::All;
    }
    // The ingress of a Service that is not ours and never was belongs to someone else.
    let ours =
        |s: &Service| (claim(s).is_some() || published_by_us(s)).then(|| ingress(s).to_vec());
    if old.and_then(ours) != ours(new) {
        return LoadBalancerWake::Itself;
    }
    LoadBalancerWake::Nothing
}

/// What the deletion of `old` wakes: its port holders' rivals if it claimed ports.
pub fn deletion_wakes_load_balancers(old: &Service) -> LoadBalancerWake {
    if claim(old).is_some() {
        LoadBalancerWake::All
    } else if published_by_us(old) {
        LoadBalancerWake::Itself
    } else {
        LoadBalancerWake::Nothing
    }
}

/// Whether the change of a Node from `old` to `new` (`None` when it is absent: new, deleted)
/// changes the IPs it serves load balancers on.
pub fn node_wakes_load_balancers(old: Option<&Node>, new: Option<&Node>) -> bool {
    old.map(node_ips).unwrap_or_default() != new.map(node_ips).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        NodeCondition, NodeSpec, NodeStatus, PodCondition, PodSpec, PodStatus, Taint,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use crate::fixtures::{labels, time};

    fn pending() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("p".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                scheduler_name: Some("default-scheduler".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn pod_changes() {
        let mut with_condition = pending();
        with_condition.status.as_mut().unwrap().conditions = Some(vec![PodCondition {
            type_: "PodScheduled".into(),
            status: "False".into(),
            ..Default::default()
        }]);
        let mut relabelled = pending();
        relabelled.metadata.labels = Some(labels(&[("a", "b")]));
        let mut reselected = pending();
        reselected.spec.as_mut().unwrap().node_selector = Some(labels(&[("disk", "ssd")]));
        let mut bound = pending();
        bound.spec.as_mut().unwrap().node_name = Some("n1".into());
        let mut newer_bound = bound.clone();
        newer_bound.metadata.resource_version = Some("9".into());
        let mut deleting = pending();
        deleting.metadata.deletion_timestamp = Some(time("2024-01-01T00:00:00Z"));

        let cases: [(&str, Option<&Pod>, &Pod, bool); 8] = [
            ("new pending", None, &pending(), true),
            ("new bound", None, &bound, false),
            ("status only", Some(&pending()), &with_condition, false),
            ("labels", Some(&pending()), &relabelled, true),
            ("spec", Some(&pending()), &reselected, true),
            ("bound now", Some(&pending()), &bound, true),
            ("still bound", Some(&bound), &newer_bound, false),
            ("deleting now", Some(&pending()), &deleting, true),
        ];
        for (what, old, new, want) in cases {
            assert_eq!(pod_wakes_scheduler(old, new), want, "{what}");
        }
    }

    fn node(ready: &str) -> Node {
        Node {
            metadata: ObjectMeta {
                name: Some("n1".into()),
                ..Default::default()
            },
            spec: Some(NodeSpec::default()),
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: ready.into(),
                    last_heartbeat_time: Some(time("2024-01-01T00:00:00Z")),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn node_changes() {
        let mut heartbeat = node("True");
        heartbeat
            .status
            .as_mut()
            .unwrap()
            .conditions
            .as_mut()
            .unwrap()[0]
            .last_heartbeat_time = Some(time("2024-01-01T00:00:10Z"));
        let mut labelled = node("True");
        labelled.metadata.labels = Some(labels(&[("disk", "ssd")]));
        let mut tainted = node("True");
        tainted.spec.as_mut().unwrap().taints = Some(vec![Taint {
            key: "k".into(),
            effect: "NoSchedule".into(),
            ..Default::default()
        }]);
        let mut cordoned = node("True");
        cordoned.spec.as_mut().unwrap().unschedulable = Some(true);
        let mut with_cidr = node("True");
        with_cidr.spec.as_mut().unwrap().pod_cidr = Some("10.42.0.0/24".into());

        let cases: [(&str, Option<Node>, Node, bool); 7] = [
            ("new", None, node("False"), true),
            ("heartbeat", Some(node("True")), heartbeat, false),
            ("became ready", Some(node("False")), node("True"), true),
            ("labels", Some(node("True")), labelled, true),
            ("taints", Some(node("True")), tainted, true),
            ("cordoned", Some(node("True")), cordoned, true),
            ("pod CIDR", Some(node("True")), with_cidr, false),
        ];
        for (what, old, new, want) in cases {
            assert_eq!(node_wakes_scheduler(old.as_ref(), &new), want, "{what}");
        }
    }

    fn lb_service() -> Service {
        let mut svc = crate::fixtures::service();
        svc.spec.as_mut().unwrap().type_ = Some("LoadBalancer".into());
        svc
    }

    #[test]
    fn service_changes_for_load_balancers() {
        use LoadBalancerWake::{All, Itself, Nothing};
        let cluster_ip = crate::fixtures::service();
        let lb = lb_service();
        let mut relabelled = lb.clone();
        relabelled.metadata.labels = Some(labels(&[("a", "b")]));
        let mut new_port = lb.clone();
        new_port.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].port = 81;
        let mut classed = lb.clone();
        classed.spec.as_mut().unwrap().load_balancer_class = Some("example.com/lb".into());
        let mut published = lb.clone();
        published.status = serde_json::from_value(
            serde_json::json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1", "ipMode": "VIP"}]}}),
        )
        .unwrap();
        let mut moved = published.clone();
        moved
            .status
            .as_mut()
            .unwrap()
            .load_balancer
            .as_mut()
            .unwrap()
            .ingress
            .as_mut()
            .unwrap()[0]
            .ip = Some("10.0.0.2".into());
        let mut classed_published = classed.clone();
        classed_published.status = moved.status.clone();

        let cases: [(&str, Option<&Service>, &Service, LoadBalancerWake); 10] = [
            ("new ClusterIP", None, &cluster_ip, Nothing),
            ("new LoadBalancer", None, &lb, All),
            ("labels", Some(&lb), &relabelled, Nothing),
            ("ports", Some(&lb), &new_port, All),
            ("type", Some(&cluster_ip), &lb, All),
            ("type back", Some(&lb), &cluster_ip, All),
            ("class", Some(&lb), &classed, All),
            ("published", Some(&lb), &published, All),
            ("ingress changed", Some(&published), &moved, Itself),
            (
                "another implementation's ingress",
                Some(&classed),
                &classed_published,
                Nothing,
            ),
        ];
        for (what, old, new, want) in cases {
            assert_eq!(service_wakes_load_balancers(old, new), want, "{what}");
        }
        assert_eq!(deletion_wakes_load_balancers(&lb), All);
        assert_eq!(deletion_wakes_load_balancers(&cluster_ip), Nothing);
    }

    #[test]
    fn node_changes_for_load_balancers() {
        let with_ip = |ready: &str, ip: &str| {
            let mut n = node(ready);
            n.status.as_mut().unwrap().addresses =
                Some(vec![k8s_openapi::api::core::v1::NodeAddress {
                    type_: "InternalIP".into(),
                    address: ip.into(),
                }]);
            n
        };
        let mut heartbeat = with_ip("True", "10.0.0.1");
        heartbeat
            .status
            .as_mut()
            .unwrap()
            .conditions
            .as_mut()
            .unwrap()[0]
            .last_heartbeat_time = Some(time("2024-01-01T00:00:10Z"));
        let ready = with_ip("True", "10.0.0.1");
        let cases: [(&str, Option<Node>, Option<Node>, bool); 7] = [
            ("new ready", None, Some(ready.clone()), true),
            (
                "new, not ready",
                None,
                Some(with_ip("False", "10.0.0.1")),
                false,
            ),
            ("heartbeat", Some(ready.clone()), Some(heartbeat), false),
            (
                "became ready",
                Some(with_ip("False", "10.0.0.1")),
                Some(ready.clone()),
                true,
            ),
            (
                "IP changed",
                Some(ready.clone()),
                Some(with_ip("True", "10.0.0.2")),
                true,
            ),
            ("deleted", Some(ready.clone()), None, true),
            (
                "deleted, not ready",
                Some(with_ip("False", "10.0.0.1")),
                None,
                false,
            ),
        ];
        for (what, old, new, want) in cases {
            assert_eq!(
                node_wakes_load_balancers(old.as_ref(), new.as_ref()),
                want,
                "{what}"
            );
        }
    }
}
