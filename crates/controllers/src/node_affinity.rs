//! Whether a node satisfies a Pod's hard node constraints: `spec.nodeSelector` and
//! `requiredDuringSchedulingIgnoredDuringExecution` node affinity (upstream's
//! `GetRequiredNodeAffinity(pod).Match(node)`). Preferred affinity only scores, so it is not
//! here.
//!
//! Semantics as upstream: every nodeSelector label must be present with that value; the required
//! terms are ORed, a term's expressions and fields ANDed, and a term with neither matches
//! nothing. A requirement that does not parse (an `In` without values, a `Gt` that is not one
//! integer) makes its term match nothing.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, NodeSelectorTerm, Pod};

/// Whether `node` satisfies `pod`'s nodeSelector and required node affinity.
pub fn matches(pod: &Pod, node: &Node) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return true;
    };
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let selector_ok = spec
        .node_selector
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    if !selector_ok {
        return false;
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let Some(required) = required else {
        return true;
    };
    let name = node.metadata.name.as_deref().unwrap_or_default();
    required
        .node_selector_terms
        .iter()
        .any(|term| term_matches(term, &labels, name))
}

fn term_matches(term: &NodeSelectorTerm, labels: &BTreeMap<String, String>, name: &str) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    let exprs_ok = exprs
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)) == Some(true));
    exprs_ok && fields.iter().all(|r| field_matches(r, name) == Some(true))
}

/// A label requirement against the label's value (`None` when absent); `None` when the
/// requirement is malformed.
fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> Option<bool> {
    let values = r.values.as_deref().unwrap_or_default();
    match r.operator.as_str() {
        "In" | "NotIn" => {
            if values.is_empty() {
                return None;
            }
            let found = value.is_some_and(|v| values.iter().any(|x| x == v));
            Some(if r.operator == "In" { found } else { !found })
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                return None;
            }
            Some(value.is_some() == (r.operator == "Exists"))
        }
        "Gt" | "Lt" => {
            let [bound] = values else {
                return None;
            };
            let bound: i64 = bound.parse().ok()?;
            let Some(have) = value.and_then(|v| v.parse::<i64>().ok()) else {
                return Some(false);
            };
            Some(if r.operator == "Gt" {
                have > bound
            } else {
                have < bound
            })
        }
        _ => None,
    }
}

/// A field requirement: only `metadata.name` with `In`/`NotIn` and exactly one value.
fn field_matches(r: &NodeSelectorRequirement, name: &str) -> Option<bool> {
    let values = r.values.as_deref().unwrap_or_default();
    if r.key != "metadata.name" || values.len() != 1 {
        return None;
    }
    match r.operator.as_str() {
        "In" => Some(values[0] == name),
        "NotIn" => Some(values[0] != name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Affinity, NodeAffinity, NodeSelector, PodSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use crate::fixtures::labels;

    fn node(name: &str, pairs: &[(&str, &str)]) -> Node {
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(labels(pairs)),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// `key op v1,v2` → a requirement.
    fn req(s: &str) -> NodeSelectorRequirement {
        let mut parts = s.split(' ');
        let key = parts.next().unwrap().to_string();
        let operator = parts.next().unwrap().to_string();
        let values = parts
            .next()
            .map(|v| v.split(',').map(String::from).collect());
        NodeSelectorRequirement {
            key,
            operator,
            values,
        }
    }

    /// A Pod with `selector` and one required term per entry of `terms`, each a list of label
    /// expressions and a list of field expressions.
    fn pod(selector: &[(&str, &str)], terms: &[(&[&str], &[&str])]) -> Pod {
        let affinity = (!terms.is_empty()).then(|| Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: terms
                        .iter()
                        .map(|(exprs, fields)| NodeSelectorTerm {
                            match_expressions: (!exprs.is_empty())
                                .then(|| exprs.iter().map(|e| req(e)).collect()),
                            match_fields: (!fields.is_empty())
                                .then(|| fields.iter().map(|e| req(e)).collect()),
                        })
                        .collect(),
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        Pod {
            spec: Some(PodSpec {
                node_selector: (!selector.is_empty()).then(|| labels(selector)),
                affinity,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn selector_and_required_affinity() {
        let n = node("n1", &[("disk", "ssd"), ("zone", "a"), ("cores", "8")]);
        let none: &[&str] = &[];
        let cases: Vec<(&str, Pod, bool)> = vec![
            ("no constraints", pod(&[], &[]), true),
            ("selector matches", pod(&[("disk", "ssd")], &[]), true),
            (
                "selector value differs",
                pod(&[("disk", "hdd")], &[]),
                false,
            ),
            ("selector label absent", pod(&[("gpu", "yes")], &[]), false),
            ("In", pod(&[], &[(&["zone In a,b"], none)]), true),
            ("In misses", pod(&[], &[(&["zone In b,c"], none)]), false),
            ("NotIn", pod(&[], &[(&["zone NotIn b"], none)]), true),
            ("NotIn hits", pod(&[], &[(&["zone NotIn a"], none)]), false),
            (
                "NotIn absent",
                pod(&[], &[(&["gpu NotIn yes"], none)]),
                true,
            ),
            ("Exists", pod(&[], &[(&["disk Exists"], none)]), true),
            ("Exists absent", pod(&[], &[(&["gpu Exists"], none)]), false),
            (
                "DoesNotExist",
                pod(&[], &[(&["gpu DoesNotExist"], none)]),
                true,
            ),
            (
                "DoesNotExist present",
                pod(&[], &[(&["disk DoesNotExist"], none)]),
                false,
            ),
            ("Gt", pod(&[], &[(&["cores Gt 4"], none)]), true),
            ("Lt", pod(&[], &[(&["cores Lt 4"], none)]), false),
            (
                "Gt not a number",
                pod(&[], &[(&["zone Gt 4"], none)]),
                false,
            ),
            (
                "expressions are ANDed",
                pod(&[], &[(&["zone In a", "disk In hdd"], none)]),
                false,
            ),
            (
                "terms are ORed",
                pod(&[], &[(&["zone In b"], none), (&["disk In ssd"], none)]),
                true,
            ),
            (
                "empty term matches nothing",
                pod(&[], &[(none, none)]),
                false,
            ),
            (
                "malformed In makes the term fail",
                pod(&[], &[(&["zone In"], none)]),
                false,
            ),
            (
                "field metadata.name In",
                pod(&[], &[(none, &["metadata.name In n1"])]),
                true,
            ),
            (
                "field metadata.name NotIn",
                pod(&[], &[(none, &["metadata.name NotIn n1"])]),
                false,
            ),
            (
                "selector and affinity both apply",
                pod(&[("disk", "hdd")], &[(&["zone In a"], none)]),
                false,
            ),
        ];
        for (what, p, want) in cases {
            assert_eq!(matches(&p, &n), want, "{what}");
        }
    }
}
