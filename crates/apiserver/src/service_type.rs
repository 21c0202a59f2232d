//! What a Service's type change drops, as kube-apiserver's `dropTypeDependentFields`: a field is
//! wiped only when the new type has no use for it, the server may have filled it in, and the
//! client did not also change it (a changed value is left for validation to judge). So
//! `kubectl patch svc x -p '{"spec":{"type":"ClusterIP"}}'` on a NodePort or LoadBalancer
//! Service succeeds and releases its node ports.

use serde_json::{Map, Value};

fn spec(svc: &Value) -> Option<&Map<String, Value>> {
    svc.get("spec").and_then(Value::as_object)
}

fn service_type(svc: &Value) -> &str {
    spec(svc)
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
}

fn field<'a>(svc: &'a Value, name: &str) -> Option<&'a Value> {
    spec(svc).and_then(|s| s.get(name))
}

fn needs_cluster_ip(svc: &Value) -> bool {
    service_type(svc) != "ExternalName"
}

fn needs_node_port(svc: &Value) -> bool {
    match service_type(svc) {
        "NodePort" => true,
        "LoadBalancer" => field(svc, "allocateLoadBalancerNodePorts") != Some(&Value::Bool(false)),
        _ => false,
    }
}

fn needs_health_check_node_port(svc: &Value) -> bool {
    service_type(svc) == "LoadBalancer"
        && field(svc, "externalTrafficPolicy").and_then(Value::as_str) == Some("Local")
}

fn externally_accessible(svc: &Value) -> bool {
    match service_type(svc) {
        "NodePort" | "LoadBalancer" => true,
        "ClusterIP" => field(svc, "externalIPs")
            .and_then(Value::as_array)
            .is_some_and(|ips| !ips.is_empty()),
        _ => false,
    }
}

/// The node ports of each port, in order.
fn node_ports(svc: &Value) -> Vec<Option<&Value>> {
    field(svc, "ports")
        .and_then(Value::as_array)
        .map(|ports| ports.iter().map(|p| p.get("nodePort")).collect())
        .unwrap_or_default()
}

/// Wipes from `new` (an update of `old`) what its type no longer uses.
pub fn drop_type_dependent_fields(old: &Value, new: &mut Value) {
    let same = |name: &str, new: &Value| field(old, name) == field(new, name);
    let mut wipe: Vec<&str> = Vec::new();
    if needs_cluster_ip(old) && !needs_cluster_ip(new) {
        for name in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            if same(name, new) {
                wipe.push(name);
            }
        }
    }
    if needs_health_check_node_port(old)
        && !needs_health_check_node_port(new)
        && same("healthCheckNodePort", new)
    {
        wipe.push("healthCheckNodePort");
    }
    if service_type(old) == "LoadBalancer"
        && service_type(new) != "LoadBalancer"
        && field(old, "allocateLoadBalancerNodePorts").is_some()
        && same("allocateLoadBalancerNodePorts", new)
    {
        wipe.push("allocateLoadBalancerNodePorts");
    }
    if service_type(old) == "LoadBalancer"
        && service_type(new) != "LoadBalancer"
        && same("loadBalancerClass", new)
    {
        wipe.push("loadBalancerClass");
    }
    if externally_accessible(old)
        && !externally_accessible(new)
        && same("externalTrafficPolicy", new)
    {
        wipe.push("externalTrafficPolicy");
    }
    let drop_node_ports =
        needs_node_port(old) && !needs_node_port(new) && node_ports(old) == node_ports(new);
    if let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) {
        for name in wipe {
            spec.remove(name);
        }
        if drop_node_ports && let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut)
        {
            for port in ports.iter_mut().filter_map(Value::as_object_mut) {
                port.remove("nodePort");
            }
        }
    }
    // The load balancer's status goes with the type, at once.
    if service_type(new) != "LoadBalancer"
        && let Some(status) = new.get_mut("status").and_then(Value::as_object_mut)
    {
        status.insert("loadBalancer".into(), Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lb() -> Value {
        json!({"spec": {"type": "LoadBalancer", "clusterIP": "10.43.0.5", "clusterIPs": ["10.43.0.5"],
            "ports": [{"port": 8080, "nodePort": 31000}], "allocateLoadBalancerNodePorts": true,
            "externalTrafficPolicy": "Cluster"},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.42.0.1"}]}}})
    }

    #[test]
    fn load_balancer_to_cluster_ip_drops_what_only_it_used() {
        let old = lb();
        let mut new = lb();
        new["spec"]["type"] = json!("ClusterIP");
        drop_type_dependent_fields(&old, &mut new);
        assert_eq!(
            new,
            json!({"spec": {"type": "ClusterIP", "clusterIP": "10.43.0.5", "clusterIPs": ["10.43.0.5"],
                "ports": [{"port": 8080}]},
                "status": {"loadBalancer": {}}})
        );
    }

    #[test]
    fn a_value_the_client_changed_is_left_for_validation() {
        let old = lb();
        let mut new = lb();
        new["spec"]["type"] = json!("ClusterIP");
        new["spec"]["ports"][0]["nodePort"] = json!(31001);
        new["spec"]["externalTrafficPolicy"] = json!("Local");
        drop_type_dependent_fields(&old, &mut new);
        assert_eq!(new["spec"]["ports"][0]["nodePort"], 31001);
        assert_eq!(new["spec"]["externalTrafficPolicy"], "Local");
    }

    #[test]
    fn to_external_name_drops_the_cluster_ip_and_node_ports() {
        let old = json!({"spec": {"type": "NodePort", "clusterIP": "10.43.0.5", "clusterIPs": ["10.43.0.5"],
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "ports": [{"port": 80, "nodePort": 30010}], "externalTrafficPolicy": "Cluster"}});
        let mut new = old.clone();
        new["spec"]["type"] = json!("ExternalName");
        new["spec"]["externalName"] = json!("example.com");
        drop_type_dependent_fields(&old, &mut new);
        assert_eq!(
            new,
            json!({"spec": {"type": "ExternalName", "externalName": "example.com", "ports": [{"port": 80}]}})
        );
    }

    #[test]
    fn unchanged_type_keeps_everything() {
        let old = lb();
        let mut new = lb();
        drop_type_dependent_fields(&old, &mut new);
        assert_eq!(new, lb());
    }
}
