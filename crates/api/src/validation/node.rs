//! Node validation: DNS-1123 subdomain names and well-formed taints.

use super::field::{FieldError, Path};
use super::meta::{NameRule, str_at, validate_object_meta, validate_object_meta_update};
use super::names;
use serde_json::Value;

const EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

fn validate_taints(node: &Value) -> Vec<FieldError> {
    let path = Path::new("spec").child("taints");
    let mut errs = Vec::new();
    let taints = node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (i, t) in taints.iter().enumerate() {
        let p = path.index(i);
        let (key, value, effect) = (str_at(t, "key"), str_at(t, "value"), str_at(t, "effect"));
        for msg in names::qualified_name(key) {
            errs.push(FieldError::invalid(&p.child("key"), key, &msg));
        }
        let msgs = names::label_value(value);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(
                &p.child("value"),
                value,
                &msgs.join(";"),
            ));
        }
        if effect.is_empty() {
            errs.push(FieldError::required(&p.child("effect"), ""));
        } else if !EFFECTS.contains(&effect) {
            errs.push(FieldError::not_supported(
                &p.child("effect"),
                effect,
                EFFECTS,
            ));
        }
        if seen.contains(&(key, effect)) {
            let mut dup = FieldError::duplicate(&p, t.clone());
            dup.detail = "taints must be unique by key and effect pair".to_string();
            errs.push(dup);
            continue;
        }
        seen.push((key, effect));
    }
    errs
}

/// `ValidateNode` (the subset kubelite's node fields use).
pub fn validate_node(node: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(node, false, NameRule::Dns1123Subdomain);
    errs.extend(validate_taints(node));
    errs
}

/// `ValidateNodeUpdate`: metadata rules plus the create rules on the new object.
pub fn validate_node_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_taints(new));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn taints() {
        let node = json!({"metadata": {"name": "n1"}, "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "effect": "Sometimes"}]}});
        let errs: Vec<String> = validate_node(&node)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errs,
            vec![
                "spec.taints[1].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""
            ]
        );
    }
}
