//! Per-kind rules applied around every write, as kube-apiserver's registry strategies do:
//! what a create resets, what an update of the main resource or of `status` may change.

use serde_json::{Value, json};

/// Kinds whose `status` is written only through the `status` subresource.
pub fn has_status_subresource(kind: &str) -> bool {
    matches!(kind, "Pod" | "Service" | "Node" | "Namespace")
}

/// Kinds whose update may create the object (`PUT` of a missing object).
pub fn allow_create_on_update(kind: &str) -> bool {
    matches!(kind, "Endpoints" | "Event")
}

/// Status a new object starts with, whatever the client sent.
pub fn prepare_for_create(kind: &str, obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    match kind {
        "Pod" => {
            map.insert("status".into(), json!({"phase": "Pending"}));
        }
        "Service" => {
            map.insert("status".into(), json!({"loadBalancer": {}}));
        }
        "Namespace" => {
            map.insert("status".into(), json!({"phase": "Active"}));
            // The namespace controller removes this finalizer once the namespace is empty.
            let spec = map.entry("spec").or_insert_with(|| json!({}));
            if !spec.is_object() {
                *spec = json!({});
            }
            let finalizers = spec
                .as_object_mut()
                .expect("spec object")
                .entry("finalizers")
                .or_insert_with(|| json!([]));
            if !finalizers.is_array() {
                *finalizers = json!([]);
            }
            let list = finalizers.as_array_mut().expect("finalizers array");
            if !list.iter().any(|f| f == "kubernetes") {
                list.push(json!("kubernetes"));
            }
        }
        _ => {}
    }
}

/// Carries over what this kind of update may not change. `subresource` is `Some("status")` for
/// status writes, which change only the status (and for Pods, labels and annotations).
pub fn prepare_for_update(kind: &str, subresource: Option<&str>, old: &Value, new: &mut Value) {
    if !has_status_subresource(kind) {
        return;
    }
    let Some(map) = new.as_object_mut() else {
        return;
    };
    match subresource {
        // A binding is computed by the server from the stored Pod: nothing to carry over.
        Some("binding") => {}
        // `namespaces/finalize` changes only `spec.finalizers`.
        Some("finalize") => {
            let finalizers = map.get("spec").and_then(|s| s.get("finalizers")).cloned();
            *map = old.as_object().cloned().unwrap_or_default();
            let spec = map.entry("spec").or_insert_with(|| json!({}));
            if let (Some(spec), Some(f)) = (spec.as_object_mut(), finalizers) {
                spec.insert("finalizers".into(), f);
            }
        }
        Some("status") => {
            match old.get("spec") {
                Some(spec) => map.insert("spec".into(), spec.clone()),
                None => map.remove("spec"),
            };
            if let (Some(meta), Some(old_meta)) = (
                map.get_mut("metadata").and_then(Value::as_object_mut),
                old.get("metadata").and_then(Value::as_object),
            ) {
                for key in ["ownerReferences", "deletionTimestamp", "finalizers"] {
                    match old_meta.get(key) {
                        Some(v) => meta.insert(key.into(), v.clone()),
                        None => meta.remove(key),
                    };
                }
            }
        }
        _ => {
            match old.get("status") {
                Some(status) => map.insert("status".into(), status.clone()),
                None => map.remove("status"),
            };
            if kind == "Service" {
                crate::service_type::drop_type_dependent_fields(old, new);
                return;
            }
            // A Namespace's finalizers change only through `namespaces/finalize`.
            if kind == "Namespace" {
                let old_finalizers = old.get("spec").and_then(|s| s.get("finalizers")).cloned();
                let spec = map.entry("spec").or_insert_with(|| json!({}));
                if let Some(spec) = spec.as_object_mut() {
                    match old_finalizers {
                        Some(f) => spec.insert("finalizers".into(), f),
                        None => spec.remove("finalizers"),
                    };
                }
            }
        }
    }
}

/// System metadata the client cannot change on update.
pub fn keep_system_metadata(old: &Value, new: &mut Value) {
    let Some(old_meta) = old.get("metadata").and_then(Value::as_object) else {
        return;
    };
    let meta = crate::meta::metadata_mut(new);
    for key in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match old_meta.get(key) {
            Some(v) => meta.insert(key.into(), v.clone()),
            None => meta.remove(key),
        };
    }
    meta.remove("selfLink");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_resource_update_keeps_status_and_status_update_keeps_spec() {
        let old = json!({"metadata": {"name": "p", "uid": "u1", "ownerReferences": [1]}, "spec": {"a": 1}, "status": {"phase": "Running"}});
        let mut main = json!({"metadata": {"name": "p", "uid": "other"}, "spec": {"a": 2}, "status": {"phase": "Failed"}});
        prepare_for_update("Pod", None, &old, &mut main);
        keep_system_metadata(&old, &mut main);
        assert_eq!(main["status"]["phase"], "Running");
        assert_eq!(main["spec"]["a"], 2);
        assert_eq!(main["metadata"]["uid"], "u1");

        let mut status = json!({"metadata": {"name": "p", "labels": {"x": "1"}}, "spec": {"a": 3}, "status": {"phase": "Failed"}});
        prepare_for_update("Pod", Some("status"), &old, &mut status);
        assert_eq!(status["spec"]["a"], 1);
        assert_eq!(status["status"]["phase"], "Failed");
        assert_eq!(status["metadata"]["labels"]["x"], "1");
        assert_eq!(status["metadata"]["ownerReferences"], json!([1]));

        let mut ep = json!({"subsets": []});
        prepare_for_update("Endpoints", None, &old, &mut ep);
        assert!(ep.get("status").is_none());
    }

    #[test]
    fn namespace_finalizers_change_only_through_finalize() {
        let old = json!({"metadata": {"name": "x", "labels": {"a": "1"}}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Terminating"}});
        let mut update =
            json!({"metadata": {"name": "x", "labels": {"a": "2"}}, "spec": {"finalizers": []}});
        prepare_for_update("Namespace", None, &old, &mut update);
        assert_eq!(update["spec"]["finalizers"], json!(["kubernetes"]));
        assert_eq!(update["metadata"]["labels"]["a"], "2");
        let mut finalize =
            json!({"metadata": {"name": "x", "labels": {"a": "3"}}, "spec": {"finalizers": []}});
        prepare_for_update("Namespace", Some("finalize"), &old, &mut finalize);
        assert_eq!(finalize["spec"]["finalizers"], json!([]));
        assert_eq!(finalize["metadata"]["labels"]["a"], "1");
        assert_eq!(finalize["status"]["phase"], "Terminating");
        let mut created =
            json!({"metadata": {"name": "y"}, "spec": {"finalizers": ["example.com/f"]}});
        prepare_for_create("Namespace", &mut created);
        assert_eq!(
            created["spec"]["finalizers"],
            json!(["example.com/f", "kubernetes"])
        );
    }

    #[test]
    fn create_resets_status() {
        let mut pod = json!({"status": {"phase": "Running", "podIP": "1.2.3.4"}});
        prepare_for_create("Pod", &mut pod);
        assert_eq!(pod["status"], json!({"phase": "Pending"}));
        let mut svc = json!({"status": {"loadBalancer": {"ingress": [{"ip": "1.1.1.1"}]}}});
        prepare_for_create("Service", &mut svc);
        assert_eq!(svc["status"], json!({"loadBalancer": {}}));
    }
}
