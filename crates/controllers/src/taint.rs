//! Taints and tolerations as the scheduler sees them: which taints a node carries (its own, plus
//! the ones the node lifecycle controller would add for its `Ready` condition), whether a Pod's
//! tolerations cover a taint, and the first taint that keeps a Pod off a node.

use k8s_openapi::api::core::v1::{Node, Taint, Toleration};

use crate::names::{TAINT_NOT_READY, TAINT_UNREACHABLE};

/// The node's `Ready` condition status: `"True"`, `"False"`, `"Unknown"`, or `None` when the
/// node has not reported one.
pub fn ready_status(node: &Node) -> Option<&str> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.as_str())
}

/// The node's taints as the scheduler filters on them: `spec.taints`, then the `NoSchedule`
/// taint the node lifecycle controller puts on a node that is not ready (`not-ready` for
/// `Ready=False` or no `Ready` condition yet, `unreachable` for `Ready=Unknown`), unless the node
/// already carries it.
pub fn effective_taints(node: &Node) -> Vec<Taint> {
    let mut taints = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let implied = match ready_status(node) {
        Some("True") => None,
        Some("Unknown") => Some(TAINT_UNREACHABLE),
        _ => Some(TAINT_NOT_READY),
    };
    if let Some(key) = implied
        && !taints
            .iter()
            .any(|t| t.key == key && t.effect == "NoSchedule")
    {
        taints.push(Taint {
            key: key.into(),
            effect: "NoSchedule".into(),
            ..Default::default()
        });
    }
    taints
}

/// Whether `toleration` tolerates `taint` (upstream's `Toleration.ToleratesTaint`): an empty
/// effect or key matches any; `Exists` ignores the value, `Equal` (or no operator) compares it.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or_default();
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or_default() {
        "" | "Equal" => {
            toleration.value.as_deref().unwrap_or_default()
                == taint.value.as_deref().unwrap_or_default()
        }
        "Exists" => true,
        _ => false,
    }
}

/// Whether any of `tolerations` tolerates `taint`.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// The first `NoSchedule` or `NoExecute` taint in `taints` that `tolerations` do not cover
/// (`PreferNoSchedule` never keeps a Pod off a node).
pub fn first_untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|t| !tolerated(tolerations, t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeCondition, NodeSpec, NodeStatus};

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: (!value.is_empty()).then(|| value.into()),
            effect: effect.into(),
            ..Default::default()
        }
    }

    /// `key[=value]:effect` with an optional `op` (`Exists`/`Equal`/other).
    fn toleration(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Toleration {
            key: opt(key),
            operator: opt(op),
            value: opt(value),
            effect: opt(effect),
            ..Default::default()
        }
    }

    #[test]
    fn toleration_matching() {
        let t = taint("dedicated", "gpu", "NoSchedule");
        let cases = [
            (toleration("dedicated", "Equal", "gpu", "NoSchedule"), true),
            (toleration("dedicated", "", "gpu", "NoSchedule"), true),
            (toleration("dedicated", "", "gpu", ""), true),
            (toleration("dedicated", "Equal", "cpu", "NoSchedule"), false),
            (toleration("dedicated", "Exists", "", "NoSchedule"), true),
            (toleration("dedicated", "Exists", "", "NoExecute"), false),
            (toleration("other", "Exists", "", ""), false),
            (toleration("", "Exists", "", ""), true),
            (toleration("", "Exists", "", "NoSchedule"), true),
            (toleration("dedicated", "Gt", "gpu", ""), false),
        ];
        for (tol, want) in cases {
            assert_eq!(tolerates(&tol, &t), want, "{tol:?}");
        }
        let empty_value = taint("node.kubernetes.io/not-ready", "", "NoExecute");
        assert!(tolerates(
            &toleration("node.kubernetes.io/not-ready", "Exists", "", "NoExecute"),
            &empty_value
        ));
        assert!(tolerates(
            &toleration("node.kubernetes.io/not-ready", "Equal", "", ""),
            &empty_value
        ));
    }

    fn node(ready: Option<&str>, taints: Vec<Taint>) -> Node {
        Node {
            spec: Some(NodeSpec {
                taints: (!taints.is_empty()).then_some(taints),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                conditions: ready.map(|s| {
                    vec![NodeCondition {
                        type_: "Ready".into(),
                        status: s.into(),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn keys(taints: &[Taint]) -> Vec<String> {
        taints
            .iter()
            .map(|t| format!("{}:{}", t.key, t.effect))
            .collect()
    }

    #[test]
    fn not_ready_nodes_carry_the_lifecycle_taint() {
        let own = taint("dedicated", "gpu", "NoSchedule");
        let not_ready = taint(TAINT_NOT_READY, "", "NoSchedule");
        let cases: [(Option<&str>, Vec<Taint>, &[&str]); 6] = [
            (Some("True"), vec![], &[]),
            (Some("True"), vec![own.clone()], &["dedicated:NoSchedule"]),
            (
                Some("False"),
                vec![own.clone()],
                &[
                    "dedicated:NoSchedule",
                    "node.kubernetes.io/not-ready:NoSchedule",
                ],
            ),
            (None, vec![], &["node.kubernetes.io/not-ready:NoSchedule"]),
            (
                Some("Unknown"),
                vec![],
                &["node.kubernetes.io/unreachable:NoSchedule"],
            ),
            (
                Some("False"),
                vec![not_ready],
                &["node.kubernetes.io/not-ready:NoSchedule"],
            ),
        ];
        for (ready, taints, want) in cases {
            assert_eq!(
                keys(&effective_taints(&node(ready, taints))),
                want,
                "{ready:?}"
            );
        }
    }

    #[test]
    fn first_untolerated_skips_soft_and_tolerated_taints() {
        let taints = [
            taint("soft", "", "PreferNoSchedule"),
            taint("a", "1", "NoSchedule"),
            taint("b", "", "NoExecute"),
        ];
        let cases = [
            (vec![], Some("a")),
            (vec![toleration("a", "Exists", "", "")], Some("b")),
            (
                vec![
                    toleration("a", "Equal", "1", "NoSchedule"),
                    toleration("b", "Exists", "", "NoExecute"),
                ],
                None,
            ),
            (vec![toleration("", "Exists", "", "")], None),
        ];
        for (tols, want) in cases {
            assert_eq!(
                first_untolerated(&taints, &tols).map(|t| t.key.as_str()),
                want,
                "{tols:?}"
            );
        }
    }
}
