//! Validation of API objects as kube-apiserver 1.33 performs it after defaulting, producing
//! `field.Error`-compatible errors. Objects are JSON so unknown fields pass through untouched.
//!
//! Kinds without rules here (or unknown kinds) only get ObjectMeta validation.

mod endpoints;
mod event;
mod field;
mod meta;
pub(crate) mod names;
mod namespace;
mod node;
mod pod;
mod service;

pub use field::{ErrorType, FieldError, Path, go_quote, invalid_message};
pub use meta::{validate_annotations, validate_labels};

use crate::resources::RESOURCES;
use meta::{NameRule, validate_object_meta, validate_object_meta_update};
use serde_json::Value;

fn namespaced(kind: &str) -> bool {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind)
        .is_none_or(|r| r.namespaced)
}

/// Errors for creating `obj` (already defaulted) of this kind; empty means valid.
pub fn validate_create(kind: &str, obj: &Value) -> Vec<FieldError> {
    match kind {
        "Pod" => pod::validate_pod_create(obj),
        "Service" => service::validate_service(obj),
        "Namespace" => namespace::validate_namespace(obj),
        "Node" => node::validate_node(obj),
        "Endpoints" => endpoints::validate_endpoints(obj),
        "EndpointSlice" => endpoints::validate_endpoint_slice(obj, None),
        "Event" => event::validate_event(obj),
        _ => validate_object_meta(obj, namespaced(kind), NameRule::Dns1123Subdomain),
    }
}

/// Errors for a write of the `status` subresource replacing `old` with `new` (both defaulted; the
/// status strategy has already put back everything else the status may not change).
pub fn validate_status_update(kind: &str, old: &Value, new: &Value) -> Vec<FieldError> {
    match kind {
        "Pod" => pod::validate_pod_status_update(new, old),
        _ => validate_update(kind, old, new),
    }
}

/// Errors for replacing `old` with `new` (both defaulted); empty means valid.
pub fn validate_update(kind: &str, old: &Value, new: &Value) -> Vec<FieldError> {
    match kind {
        "Pod" => pod::validate_pod_update(new, old),
        "Service" => service::validate_service_update(new, old),
        "Namespace" => namespace::validate_namespace_update(new, old),
        "Node" => node::validate_node_update(new, old),
        "Endpoints" => {
            let mut errs = validate_object_meta_update(new, old);
            errs.extend(endpoints::validate_endpoints(new));
            errs
        }
        "EndpointSlice" => {
            let mut errs = validate_object_meta_update(new, old);
            errs.extend(endpoints::validate_endpoint_slice(new, Some(old)));
            errs
        }
        "Event" => {
            let mut errs = validate_object_meta_update(new, old);
            errs.extend(event::validate_event(new));
            errs
        }
        _ => {
            let mut errs = validate_object_meta_update(new, old);
            errs.extend(validate_object_meta(
                new,
                namespaced(kind),
                NameRule::Dns1123Subdomain,
            ));
            errs
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dispatch_by_kind() {
        let sa = json!({"metadata": {"name": "Bad", "namespace": "default"}});
        assert_eq!(
            validate_create("ServiceAccount", &sa)[0].field,
            "metadata.name"
        );
        let ns = json!({"metadata": {"name": "dev"}});
        assert!(validate_create("Namespace", &ns).is_empty());
        let renamed = json!({"metadata": {"name": "prod"}});
        assert_eq!(
            validate_update("Namespace", &ns, &renamed)[0].to_string(),
            "metadata.name: Invalid value: \"prod\": field is immutable"
        );
        let pod = json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {}});
        let errs = validate_create("Pod", &pod);
        assert!(
            errs.iter()
                .any(|e| e.to_string() == "spec.containers: Required value")
        );
    }
}
