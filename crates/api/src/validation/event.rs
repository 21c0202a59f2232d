//! core/v1 Event validation, which upstream keeps lenient for backwards compatibility
//! (`legacyValidateEvent`): namespaces must agree and be subdomains; series-style events need
//! their reporting fields.

use super::field::{FieldError, Path};
use super::meta::str_at;
use super::names;
use serde_json::Value;

/// `ValidateEventCreate` / `ValidateEventUpdate` for requests made through core/v1.
pub fn validate_event(ev: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let null = Value::Null;
    let meta = ev.get("metadata").unwrap_or(&null);
    let namespace = str_at(meta, "namespace");
    let involved = ev.get("involvedObject").unwrap_or(&null);
    let involved_ns = str_at(involved, "namespace");
    let ns_path = Path::new("involvedObject").child("namespace");
    let event_time = ev.get("eventTime").is_some_and(|v| !v.is_null());
    if !event_time {
        let mismatch = if involved_ns.is_empty() {
            !namespace.is_empty() && namespace != "default"
        } else {
            namespace != involved_ns
        };
        if mismatch {
            errs.push(FieldError::invalid(
                &ns_path,
                involved_ns,
                "does not match event.namespace",
            ));
        }
    } else {
        if involved_ns.is_empty() && namespace != "default" && namespace != "kube-system" {
            errs.push(FieldError::invalid(
                &ns_path,
                involved_ns,
                "does not match event.namespace",
            ));
        }
        let controller = str_at(ev, "reportingComponent");
        if controller.is_empty() {
            errs.push(FieldError::required(&Path::new("reportingComponent"), ""));
        }
        for msg in names::qualified_name(controller) {
            errs.push(FieldError::invalid(
                &Path::new("reportingComponent"),
                controller,
                &msg,
            ));
        }
        let instance = str_at(ev, "reportingInstance");
        if instance.is_empty() {
            errs.push(FieldError::required(&Path::new("reportingInstance"), ""));
        }
        if instance.len() > 128 {
            errs.push(FieldError::invalid(
                &Path::new("reportingInstance"),
                "",
                "can have at most 128 characters",
            ));
        }
        let action = str_at(ev, "action");
        if action.is_empty() {
            errs.push(FieldError::required(&Path::new("action"), ""));
        }
        if action.len() > 128 {
            errs.push(FieldError::invalid(
                &Path::new("action"),
                "",
                "can have at most 128 characters",
            ));
        }
    }
    for msg in names::dns1123_subdomain(namespace) {
        errs.push(FieldError::invalid(
            &Path::new("namespace"),
            namespace,
            &msg,
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn namespaces_must_agree() {
        let ok = json!({"metadata": {"name": "p.1", "namespace": "default"}, "involvedObject": {"kind": "Pod", "namespace": "default", "name": "p"}});
        assert!(validate_event(&ok).is_empty());
        let bad = json!({"metadata": {"name": "p.1", "namespace": "default"}, "involvedObject": {"kind": "Pod", "namespace": "other", "name": "p"}});
        let errs: Vec<String> = validate_event(&bad)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errs,
            vec![
                "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"
            ]
        );
    }
}
