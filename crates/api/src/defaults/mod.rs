//! Defaulting as kube-apiserver 1.33 applies it before validation: the scheme defaulters
//! (`SetDefaults_*` in pkg/apis/core/v1 and discovery/v1) and the admission plugins every cluster runs
//! (ServiceAccount, Priority, DefaultTolerationSeconds). It works on JSON so unknown fields
//! survive, only fills fields that are absent (or null), and is idempotent.
//!
//! Not done here: uid/resourceVersion/creationTimestamp, ClusterIP/NodePort allocation and the
//! `ipFamilies`/`ipFamilyPolicy` the allocator sets; those are the API server's job.

mod pod;
mod service;

use serde_json::{Map, Value};

/// Fills in every default kube-apiserver would for an object of this kind.
pub fn apply_defaults(kind: &str, obj: &mut Value) {
    match kind {
        "Pod" => pod::default_pod(obj),
        "Service" => service::default_service(obj),
        "Namespace" => default_namespace(obj),
        "Node" => default_node(obj),
        "Endpoints" => default_endpoints(obj),
        "EndpointSlice" => default_endpoint_slice(obj),
        _ => {}
    }
}

/// The JSON object at `key` inside `obj`, created (as `{}`) when absent or null.
pub(crate) fn object_at<'a>(
    obj: &'a mut Map<String, Value>,
    key: &str,
) -> &'a mut Map<String, Value> {
    let slot = obj.entry(key.to_string()).or_insert(Value::Null);
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("just made an object")
}

/// Sets `key` to `value` when it is absent or null.
pub(crate) fn set_default(obj: &mut Map<String, Value>, key: &str, value: Value) {
    let slot = obj.entry(key.to_string()).or_insert(Value::Null);
    if slot.is_null() {
        *slot = value;
    }
}

/// Sets `key` to `value` when it is absent, null or the empty string (Go's zero string).
pub(crate) fn set_default_str(obj: &mut Map<String, Value>, key: &str, value: &str) {
    let slot = obj.entry(key.to_string()).or_insert(Value::Null);
    if slot.is_null() || slot.as_str() == Some("") {
        *slot = Value::from(value);
    }
}

/// Calls `f` on each object element of the array at `key`.
pub(crate) fn for_each_in(
    obj: &mut Map<String, Value>,
    key: &str,
    mut f: impl FnMut(&mut Map<String, Value>),
) {
    if let Some(items) = obj.get_mut(key).and_then(Value::as_array_mut) {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            f(item);
        }
    }
}

/// `SetDefaults_Namespace` (the `kubernetes.io/metadata.name` label) and
/// `SetDefaults_NamespaceStatus` (phase Active). The `kubernetes` finalizer is the create
/// strategy's, not a default: it must stay removed once the namespace controller removes it.
fn default_namespace(obj: &mut Value) {
    let Some(ns) = obj.as_object_mut() else {
        return;
    };
    let meta = object_at(ns, "metadata");
    let name = meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !name.is_empty() {
        object_at(meta, "labels")
            .insert("kubernetes.io/metadata.name".to_string(), Value::from(name));
    }
    set_default_str(object_at(ns, "status"), "phase", "Active");
}

/// `SetDefaults_NodeStatus`: allocatable defaults to capacity.
fn default_node(obj: &mut Value) {
    let Some(node) = obj.as_object_mut() else {
        return;
    };
    let status = object_at(node, "status");
    if let Some(capacity) = status.get("capacity").filter(|c| !c.is_null()).cloned() {
        set_default(status, "allocatable", capacity);
    }
}

/// `SetDefaults_Endpoints`: port protocol TCP.
fn default_endpoints(obj: &mut Value) {
    let Some(ep) = obj.as_object_mut() else {
        return;
    };
    for_each_in(ep, "subsets", |subset| {
        for_each_in(subset, "ports", |port| {
            set_default_str(port, "protocol", "TCP")
        });
    });
}

/// discovery/v1 `SetDefaults_EndpointPort`: name "" and protocol TCP.
fn default_endpoint_slice(obj: &mut Value) {
    let Some(slice) = obj.as_object_mut() else {
        return;
    };
    for_each_in(slice, "ports", |port| {
        set_default(port, "name", Value::from(""));
        set_default(port, "protocol", Value::from("TCP"));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaulted(kind: &str, mut obj: Value) -> Value {
        apply_defaults(kind, &mut obj);
        let once = obj.clone();
        apply_defaults(kind, &mut obj);
        assert_eq!(obj, once, "defaulting {kind} must be idempotent");
        obj
    }

    #[test]
    fn namespace_defaults() {
        let ns = defaulted("Namespace", json!({"metadata": {"name": "dev"}}));
        assert_eq!(
            ns,
            json!({"metadata": {"name": "dev", "labels": {"kubernetes.io/metadata.name": "dev"}}, "status": {"phase": "Active"}})
        );
        // Finalizers are the create strategy's, not defaults: a removed one stays removed.
        let finalized = defaulted(
            "Namespace",
            json!({"metadata": {"name": "x"}, "spec": {"finalizers": []}}),
        );
        assert_eq!(finalized["spec"]["finalizers"], json!([]));
    }

    #[test]
    fn endpoint_defaults() {
        let ep = defaulted(
            "Endpoints",
            json!({"subsets": [{"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]}),
        );
        assert_eq!(
            ep["subsets"][0]["ports"],
            json!([{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}])
        );
        let slice = defaulted("EndpointSlice", json!({"ports": [{"port": 80}]}));
        assert_eq!(
            slice["ports"],
            json!([{"port": 80, "name": "", "protocol": "TCP"}])
        );
    }

    #[test]
    fn node_defaults() {
        let node = defaulted("Node", json!({"status": {"capacity": {"cpu": "2"}}}));
        assert_eq!(node["status"]["allocatable"], json!({"cpu": "2"}));
    }

    #[test]
    fn unknown_kind_untouched() {
        let obj = json!({"a": 1});
        assert_eq!(defaulted("Widget", obj.clone()), obj);
    }
}
