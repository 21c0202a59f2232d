//! Which watch changes wake the scheduler, as upstream's scheduling queue decides which events
//! move a Pod: a Pod is (re)considered when it appears, when something other than its status
//! changes, and when it stops needing scheduling (so its state is dropped); pending Pods are
//! retried when a Node appears or changes in a way the filters look at. Status-only updates
//! (the scheduler's own condition writes, node heartbeats) wake nothing.

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::schedule_plan::needs_scheduling;
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
}
