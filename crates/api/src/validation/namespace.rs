//! Namespace validation: DNS-1123 label names and qualified finalizer names.

use super::field::{FieldError, Path};
use super::meta::{NameRule, string_list, validate_object_meta, validate_object_meta_update};
use super::names;
use serde_json::Value;

fn validate_finalizers(ns: &Value) -> Vec<FieldError> {
    let path = Path::new("spec").child("finalizers");
    let mut errs = Vec::new();
    for f in string_list(ns.pointer("/spec/finalizers")) {
        let msgs = names::qualified_name(&f);
        if !msgs.is_empty() {
            for msg in msgs {
                errs.push(FieldError::invalid(&path, f.as_str(), &msg));
            }
        } else if !f.contains('/') && f != "kubernetes" {
            errs.push(FieldError::invalid(
                &path,
                f.as_str(),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

/// `ValidateNamespace`.
pub fn validate_namespace(ns: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(ns, false, NameRule::Dns1123Label);
    errs.extend(validate_finalizers(ns));
    errs
}

/// `ValidateNamespaceUpdate` (spec and status changes are dropped by the strategy, not rejected).
pub fn validate_namespace_update(new: &Value, old: &Value) -> Vec<FieldError> {
    validate_object_meta_update(new, old)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn namespace_rules() {
        assert!(
            validate_namespace(
                &json!({"metadata": {"name": "dev"}, "spec": {"finalizers": ["kubernetes"]}})
            )
            .is_empty()
        );
        let errs: Vec<String> = validate_namespace(
            &json!({"metadata": {"name": "Dev.x"}, "spec": {"finalizers": ["foo"]}}),
        )
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            errs,
            vec![
                "metadata.name: Invalid value: \"Dev.x\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                "spec.finalizers: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified",
            ]
        );
        let dots: Vec<String> = validate_namespace(&json!({"metadata": {"name": "a.b"}}))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            dots,
            vec!["metadata.name: Invalid value: \"a.b\": must not contain dots"]
        );
    }
}
