//! Planning where a pending Pod runs (kube-scheduler's scheduling cycle), without IO: from the
//! Pod, the nodes and how many Pods each already runs, the node to bind it to, or why none fits.
//!
//! Each node goes through upstream's filters in their default order, stopping at the first that
//! rejects it: NodeUnschedulable (`spec.unschedulable` without the matching toleration),
//! TaintToleration (an untolerated `NoSchedule`/`NoExecute` taint, counting the taint a not-ready
//! node gets), NodeAffinity (nodeSelector and required node affinity). Of the nodes left, the one
//! running the fewest Pods wins, ties going to the first name. When none is left the message is
//! upstream's `FitError`: a sorted histogram of the reasons, then what preemption (which cannot
//! help against these filters) reports.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod, Taint};

use crate::names::{DEFAULT_SCHEDULER, TAINT_UNSCHEDULABLE};
use crate::{node_affinity, taint};

/// What the scheduler does with a pending Pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Bind the Pod to the named node.
    Bind(String),
    /// No node fits; the message of the `PodScheduled=False` condition and the
    /// `FailedScheduling` event.
    Unschedulable(String),
}

/// The message when the cluster has no nodes at all.
pub const NO_NODES: &str = "no nodes available to schedule pods";
const REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
const REASON_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";

/// Whether `pod` is this scheduler's to place: not bound, for `default-scheduler` (or no
/// scheduler named), not being deleted, not finished, and not held by scheduling gates.
pub fn needs_scheduling(pod: &Pod) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    let unbound = spec.node_name.as_deref().unwrap_or_default().is_empty();
    let ours = matches!(
        spec.scheduler_name.as_deref(),
        None | Some("") | Some(DEFAULT_SCHEDULER)
    );
    let gated = spec
        .scheduling_gates
        .as_ref()
        .is_some_and(|g| !g.is_empty());
    let finished = matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    );
    unbound && ours && !gated && !finished && pod.metadata.deletion_timestamp.is_none()
}

/// Where `pod` goes among `nodes`, given the number of Pods already on each node (by name;
/// missing means none).
pub fn plan_scheduling(
    pod: &Pod,
    nodes: &[&Node],
    pods_per_node: &BTreeMap<String, usize>,
) -> Decision {
    if nodes.is_empty() {
        return Decision::Unschedulable(NO_NODES.into());
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut best: Option<(usize, &str)> = None;
    for node in nodes {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        match filter(pod, node) {
            Some(reason) => *reasons.entry(reason).or_default() += 1,
            None => {
                let candidate = (pods_per_node.get(name).copied().unwrap_or(0), name);
                if best.is_none_or(|b| candidate < b) {
                    best = Some(candidate);
                }
            }
        }
    }
    if let Some((_, name)) = best {
        return Decision::Bind(name.to_string());
    }
    Decision::Unschedulable(fit_error(pod, nodes.len(), &reasons))
}

/// Why `node` cannot take `pod`, or `None` when it can.
fn filter(pod: &Pod, node: &Node) -> Option<String> {
    let tolerations = pod
        .spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or_default();
    let cordoned = node
        .spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false);
    let cordon_taint = Taint {
        key: TAINT_UNSCHEDULABLE.into(),
        effect: "NoSchedule".into(),
        ..Default::default()
    };
    if cordoned && !taint::tolerated(tolerations, &cordon_taint) {
        return Some(REASON_UNSCHEDULABLE.into());
    }
    let taints = taint::effective_taints(node);
    if let Some(t) = taint::first_untolerated(&taints, tolerations) {
        return Some(format!(
            "node(s) had untolerated taint {{{}: {}}}",
            t.key,
            t.value.as_deref().unwrap_or_default()
        ));
    }
    if !node_affinity::matches(pod, node) {
        return Some(REASON_AFFINITY.into());
    }
    None
}

/// Upstream's `FitError.Error()` with the default preemption plugin's post-filter message.
fn fit_error(pod: &Pod, nodes: usize, reasons: &BTreeMap<String, usize>) -> String {
    let mut histogram: Vec<String> = reasons
        .iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect();
    histogram.sort();
    let never = pod
        .spec
        .as_ref()
        .and_then(|s| s.preemption_policy.as_deref())
        == Some("Never");
    let preemption = if never {
        "preemption: not eligible due to preemptionPolicy=Never.".to_string()
    } else {
        format!(
            "preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling."
        )
    };
    format!(
        "0/{nodes} nodes are available: {}. {preemption}",
        histogram.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        NodeCondition, NodeSpec, NodeStatus, PodSchedulingGate, PodSpec, PodStatus, Toleration,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use crate::fixtures::{labels, time};

    /// A node: `name`, Ready status (`""` = no condition), labels, `unschedulable`, taints as
    /// `key=value:Effect`.
    fn node(
        name: &str,
        ready: &str,
        label: &[(&str, &str)],
        cordoned: bool,
        taints: &[&str],
    ) -> Node {
        let taints = taints
            .iter()
            .map(|t| {
                let (kv, effect) = t.split_once(':').unwrap();
                let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
                Taint {
                    key: key.into(),
                    value: (!value.is_empty()).then(|| value.into()),
                    effect: effect.into(),
                    ..Default::default()
                }
            })
            .collect::<Vec<_>>();
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(labels(label)),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                unschedulable: cordoned.then_some(true),
                taints: (!taints.is_empty()).then_some(taints),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                conditions: (!ready.is_empty()).then(|| {
                    vec![NodeCondition {
                        type_: "Ready".into(),
                        status: ready.into(),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
        }
    }

    fn ready(name: &str) -> Node {
        node(name, "True", &[], false, &[])
    }

    /// A pending Pod as the API server stores it: the default not-ready/unreachable NoExecute
    /// tolerations, `default-scheduler`.
    fn pod() -> Pod {
        let default_toleration = |key: &str| Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            effect: Some("NoExecute".into()),
            toleration_seconds: Some(300),
            ..Default::default()
        };
        Pod {
            metadata: ObjectMeta {
                name: Some("whoami".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                scheduler_name: Some(DEFAULT_SCHEDULER.into()),
                tolerations: Some(vec![
                    default_toleration("node.kubernetes.io/not-ready"),
                    default_toleration("node.kubernetes.io/unreachable"),
                ]),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                ..Default::default()
            }),
        }
    }

    fn with_selector(mut p: Pod, pairs: &[(&str, &str)]) -> Pod {
        p.spec.as_mut().unwrap().node_selector = Some(labels(pairs));
        p
    }

    fn tolerating(mut p: Pod, key: &str, effect: &str) -> Pod {
        let spec = p.spec.as_mut().unwrap();
        spec.tolerations.get_or_insert_default().push(Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            effect: Some(effect.into()),
            ..Default::default()
        });
        p
    }

    fn check(p: &Pod, nodes: &[Node], counts: &[(&str, usize)], want: Decision) {
        let nodes: Vec<&Node> = nodes.iter().collect();
        let counts = counts.iter().map(|(n, c)| (n.to_string(), *c)).collect();
        assert_eq!(plan_scheduling(p, &nodes, &counts), want);
    }

    fn unschedulable(msg: &str) -> Decision {
        Decision::Unschedulable(msg.into())
    }

    #[test]
    fn binds_to_the_least_loaded_feasible_node() {
        let bind = |n: &str| Decision::Bind(n.into());
        check(&pod(), &[ready("kubelite")], &[], bind("kubelite"));
        check(&pod(), &[ready("b"), ready("a")], &[], bind("a"));
        check(
            &pod(),
            &[ready("a"), ready("b")],
            &[("a", 2), ("b", 1)],
            bind("b"),
        );
        check(
            &pod(),
            &[ready("a"), ready("b")],
            &[("a", 1), ("b", 1)],
            bind("a"),
        );
        check(
            &pod(),
            &[node("a", "False", &[], false, &[]), ready("b")],
            &[("b", 10)],
            bind("b"),
        );
        check(
            &with_selector(pod(), &[("disk", "ssd")]),
            &[
                ready("a"),
                node("b", "True", &[("disk", "ssd")], false, &[]),
            ],
            &[("b", 3)],
            bind("b"),
        );
        // Tolerations let a Pod onto tainted, cordoned and not-ready nodes.
        check(
            &tolerating(pod(), "dedicated", "NoSchedule"),
            &[node("a", "True", &[], false, &["dedicated=gpu:NoSchedule"])],
            &[],
            bind("a"),
        );
        check(
            &tolerating(pod(), TAINT_UNSCHEDULABLE, "NoSchedule"),
            &[node("a", "True", &[], true, &[])],
            &[],
            bind("a"),
        );
        check(
            &tolerating(pod(), "node.kubernetes.io/not-ready", "NoSchedule"),
            &[node("a", "False", &[], false, &[])],
            &[],
            bind("a"),
        );
        // PreferNoSchedule only scores.
        check(
            &pod(),
            &[node("a", "True", &[], false, &["soft:PreferNoSchedule"])],
            &[],
            bind("a"),
        );
    }

    #[test]
    fn explains_why_no_node_fits() {
        let not_helpful = |n: usize| {
            format!(
                "preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
            )
        };
        check(
            &pod(),
            &[],
            &[],
            unschedulable("no nodes available to schedule pods"),
        );
        check(
            &pod(),
            &[node("kubelite", "False", &[], false, &[])],
            &[],
            unschedulable(&format!(
                "0/1 nodes are available: 1 node(s) had untolerated taint {{node.kubernetes.io/not-ready: }}. {}",
                not_helpful(1)
            )),
        );
        check(
            &pod(),
            &[node("kubelite", "Unknown", &[], false, &[])],
            &[],
            unschedulable(&format!(
                "0/1 nodes are available: 1 node(s) had untolerated taint {{node.kubernetes.io/unreachable: }}. {}",
                not_helpful(1)
            )),
        );
        check(
            &pod(),
            &[node("kubelite", "True", &[], true, &[])],
            &[],
            unschedulable(&format!(
                "0/1 nodes are available: 1 node(s) were unschedulable. {}",
                not_helpful(1)
            )),
        );
        // A cordoned node is reported as unschedulable even when also not ready.
        check(
            &pod(),
            &[node("kubelite", "False", &[], true, &[])],
            &[],
            unschedulable(&format!(
                "0/1 nodes are available: 1 node(s) were unschedulable. {}",
                not_helpful(1)
            )),
        );
        check(
            &with_selector(pod(), &[("disk", "ssd")]),
            &[ready("kubelite")],
            &[],
            unschedulable(&format!(
                "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. {}",
                not_helpful(1)
            )),
        );
        check(
            &pod(),
            &[node(
                "cp",
                "True",
                &[],
                false,
                &["node-role.kubernetes.io/control-plane:NoSchedule"],
            )],
            &[],
            unschedulable(&format!(
                "0/1 nodes are available: 1 node(s) had untolerated taint {{node-role.kubernetes.io/control-plane: }}. {}",
                not_helpful(1)
            )),
        );
        check(
            &pod(),
            &[node("g", "True", &[], false, &["dedicated=gpu:NoExecute"])],
            &[],
            unschedulable(&format!(
                "0/1 nodes are available: 1 node(s) had untolerated taint {{dedicated: gpu}}. {}",
                not_helpful(1)
            )),
        );
        // Reasons are counted and sorted as strings.
        check(
            &with_selector(pod(), &[("disk", "ssd")]),
            &[
                ready("a"),
                ready("b"),
                node("c", "False", &[], false, &[]),
                node("d", "True", &[], true, &[]),
            ],
            &[],
            unschedulable(&format!(
                "0/4 nodes are available: 1 node(s) had untolerated taint {{node.kubernetes.io/not-ready: }}, 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. {}",
                not_helpful(4)
            )),
        );
        let mut never = with_selector(pod(), &[("disk", "ssd")]);
        never.spec.as_mut().unwrap().preemption_policy = Some("Never".into());
        check(
            &never,
            &[ready("a")],
            &[],
            unschedulable(
                "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: not eligible due to preemptionPolicy=Never.",
            ),
        );
    }

    #[test]
    fn which_pods_need_scheduling() {
        let bound = {
            let mut p = pod();
            p.spec.as_mut().unwrap().node_name = Some("kubelite".into());
            p
        };
        let other_scheduler = {
            let mut p = pod();
            p.spec.as_mut().unwrap().scheduler_name = Some("my-scheduler".into());
            p
        };
        let unnamed_scheduler = {
            let mut p = pod();
            p.spec.as_mut().unwrap().scheduler_name = None;
            p
        };
        let deleting = {
            let mut p = pod();
            p.metadata.deletion_timestamp = Some(time("2024-01-01T00:00:00Z"));
            p
        };
        let gated = {
            let mut p = pod();
            p.spec.as_mut().unwrap().scheduling_gates = Some(vec![PodSchedulingGate {
                name: "wait".into(),
            }]);
            p
        };
        let failed = {
            let mut p = pod();
            p.status.as_mut().unwrap().phase = Some("Failed".into());
            p
        };
        let cases = [
            ("pending", pod(), true),
            ("no scheduler named", unnamed_scheduler, true),
            ("bound", bound, false),
            ("another scheduler's", other_scheduler, false),
            ("being deleted", deleting, false),
            ("gated", gated, false),
            ("failed", failed, false),
        ];
        for (what, p, want) in cases {
            assert_eq!(needs_scheduling(&p), want, "{what}");
        }
    }
}
