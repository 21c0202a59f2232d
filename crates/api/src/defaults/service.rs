//! Service defaulting (`SetDefaults_Service`) plus the always-serialised `status.loadBalancer`.

use super::{for_each_in, object_at, set_default, set_default_str};
use serde_json::{Value, json};

const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS: i64 = 10800;

pub(super) fn default_service(obj: &mut Value) {
    let Some(svc) = obj.as_object_mut() else {
        return;
    };
    let spec = object_at(svc, "spec");
    set_default_str(spec, "sessionAffinity", "None");
    match spec.get("sessionAffinity").and_then(Value::as_str) {
        Some("None") => {
            spec.remove("sessionAffinityConfig");
        }
        Some("ClientIP") => {
            let has_timeout = spec
                .get("sessionAffinityConfig")
                .and_then(|c| c.pointer("/clientIP/timeoutSeconds"))
                .is_some_and(|t| !t.is_null());
            if !has_timeout {
                spec.insert(
                    "sessionAffinityConfig".to_string(),
                    json!({"clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_TIMEOUT_SECONDS}}),
                );
            }
        }
        _ => {}
    }
    set_default_str(spec, "type", "ClusterIP");
    for_each_in(spec, "ports", |port| {
        set_default_str(port, "protocol", "TCP");
        let target_unset = match port.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(v) => v.as_i64() == Some(0),
        };
        if target_unset {
            let p = port.get("port").cloned().unwrap_or(json!(0));
            port.insert("targetPort".to_string(), p);
        }
    });
    let svc_type = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let externally_accessible = svc_type == "LoadBalancer"
        || svc_type == "NodePort"
        || (svc_type == "ClusterIP" && has_external_ips);
    if externally_accessible {
        set_default_str(spec, "externalTrafficPolicy", "Cluster");
    }
    if ["NodePort", "LoadBalancer", "ClusterIP"].contains(&svc_type.as_str()) {
        set_default(spec, "internalTrafficPolicy", Value::from("Cluster"));
    }
    if svc_type == "LoadBalancer" {
        set_default(spec, "allocateLoadBalancerNodePorts", Value::Bool(true));
    }
    let status = object_at(svc, "status");
    let lb = object_at(status, "loadBalancer");
    if svc_type == "LoadBalancer" {
        for_each_in(lb, "ingress", |ing| {
            if ing
                .get("ip")
                .and_then(Value::as_str)
                .is_some_and(|ip| !ip.is_empty())
            {
                set_default(ing, "ipMode", Value::from("VIP"));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::defaults::apply_defaults;
    use serde_json::{Value, json};

    fn defaulted(mut obj: Value) -> Value {
        apply_defaults("Service", &mut obj);
        let once = obj.clone();
        apply_defaults("Service", &mut obj);
        assert_eq!(obj, once, "defaulting must be idempotent");
        obj
    }

    #[test]
    fn expose_body() {
        let svc = defaulted(
            json!({"metadata": {"name": "whoami"}, "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"app": "whoami"}}}),
        );
        assert_eq!(
            svc,
            json!({
                "metadata": {"name": "whoami"},
                "spec": {
                    "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                    "selector": {"app": "whoami"},
                    "sessionAffinity": "None",
                    "type": "ClusterIP",
                    "internalTrafficPolicy": "Cluster"
                },
                "status": {"loadBalancer": {}}
            })
        );
    }

    #[test]
    fn target_port_and_protocol() {
        let svc = defaulted(
            json!({"spec": {"ports": [{"port": 8080}, {"port": 53, "protocol": "UDP", "targetPort": "dns"}, {"port": 9, "targetPort": 0}]}}),
        );
        assert_eq!(
            svc["spec"]["ports"],
            json!([
                {"port": 8080, "protocol": "TCP", "targetPort": 8080},
                {"port": 53, "protocol": "UDP", "targetPort": "dns"},
                {"port": 9, "targetPort": 9, "protocol": "TCP"}
            ])
        );
    }

    #[test]
    fn type_specific() {
        let np = defaulted(json!({"spec": {"type": "NodePort", "ports": [{"port": 80}]}}));
        assert_eq!(np["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(np["spec"]["internalTrafficPolicy"], "Cluster");
        assert!(np["spec"].get("allocateLoadBalancerNodePorts").is_none());
        let lb = defaulted(
            json!({"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}),
        );
        assert_eq!(lb["spec"]["allocateLoadBalancerNodePorts"], true);
        assert_eq!(lb["status"]["loadBalancer"]["ingress"][0]["ipMode"], "VIP");
        let ext =
            defaulted(json!({"spec": {"type": "ExternalName", "externalName": "example.com"}}));
        assert!(ext["spec"].get("internalTrafficPolicy").is_none());
        assert!(ext["spec"].get("externalTrafficPolicy").is_none());
        let cip_ext = defaulted(json!({"spec": {"externalIPs": ["1.2.3.4"]}}));
        assert_eq!(cip_ext["spec"]["externalTrafficPolicy"], "Cluster");
    }

    #[test]
    fn session_affinity() {
        let cip = defaulted(json!({"spec": {"sessionAffinity": "ClientIP"}}));
        assert_eq!(
            cip["spec"]["sessionAffinityConfig"],
            json!({"clientIP": {"timeoutSeconds": 10800}})
        );
        let none = defaulted(
            json!({"spec": {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 5}}}}),
        );
        assert!(none["spec"].get("sessionAffinityConfig").is_none());
    }
}
