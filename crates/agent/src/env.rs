//! A container's environment as the kubelet computes it (`makeEnvironmentVariables`): the
//! container's `env` in order (literal values with `$(VAR)` expansion, `fieldRef`s), then the
//! Docker-link variables of the Services the pod sees (`KUBERNETES_SERVICE_HOST`, …) for names
//! the container does not set. Pure: the pod's IPs and the Services are passed in.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Container, Pod, Service};

/// What the environment is computed from besides the container itself.
pub struct EnvContext<'a> {
    /// The pod.
    pub pod: &'a Pod,
    /// `status.podIP`.
    pub pod_ip: &'a str,
    /// `status.hostIP`.
    pub host_ip: &'a str,
    /// The Services visible to the pod: those of its namespace when `enableServiceLinks`, plus
    /// `default/kubernetes` (see [`visible_services`]).
    pub services: &'a [Service],
}

/// The Services whose variables a pod gets, as kubelet's `getServiceEnvVarMap` picks them:
/// `kubernetes` in `default` always, others of the pod's namespace only with service links on;
/// headless Services and Services without a ClusterIP never.
pub fn visible_services(all: &[Service], namespace: &str, service_links: bool) -> Vec<Service> {
    let mut picked: BTreeMap<String, Service> = BTreeMap::new();
    for svc in all {
        let ns = svc.metadata.namespace.as_deref().unwrap_or_default();
        let name = svc.metadata.name.clone().unwrap_or_default();
        let ip = svc
            .spec
            .as_ref()
            .and_then(|s| s.cluster_ip.as_deref())
            .unwrap_or_default();
        if ip.is_empty() || ip == "None" {
            continue;
        }
        let master = ns == "default" && name == "kubernetes";
        if (ns == namespace && service_links) || master {
            // A same-named Service of the pod's own namespace wins over the master one.
            if master && picked.contains_key(&name) && namespace != "default" {
                continue;
            }
            picked.insert(name, svc.clone());
        }
    }
    picked.into_values().collect()
}

/// The container's environment, in kubelet's order.
pub fn container_env(container: &Container, ctx: &EnvContext<'_>) -> Vec<(String, String)> {
    let service_env = service_env(ctx.services);
    let mut defined: HashMap<String, String> = HashMap::new();
    let mut out: Vec<(String, String)> = Vec::new();
    for var in container.env.iter().flatten() {
        let value = if let Some(value) = var.value.as_deref().filter(|v| !v.is_empty()) {
            expand(value, |name| {
                defined.get(name).or_else(|| service_env.get(name)).cloned()
            })
        } else if let Some(field) = var.value_from.as_ref().and_then(|f| f.field_ref.as_ref()) {
            field_value(&field.field_path, ctx)
        } else {
            String::new()
        };
        defined.insert(var.name.clone(), value.clone());
        out.retain(|(name, _)| name != &var.name);
        out.push((var.name.clone(), value));
    }
    for (name, value) in service_env {
        if !defined.contains_key(&name) {
            out.push((name, value));
        }
    }
    out
}

/// The value of a `fieldRef` (`metadata.name`, `status.podIP`, …); unknown paths give "".
pub fn field_value(path: &str, ctx: &EnvContext<'_>) -> String {
    let meta = &ctx.pod.metadata;
    let spec = ctx.pod.spec.as_ref();
    let map_key = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")))
            .and_then(|rest| rest.strip_suffix("']").or_else(|| rest.strip_suffix("\"]")))
            .map(str::to_owned)
    };
    if let Some(key) = map_key("metadata.labels") {
        return meta
            .labels
            .as_ref()
            .and_then(|l| l.get(&key).cloned())
            .unwrap_or_default();
    }
    if let Some(key) = map_key("metadata.annotations") {
        return meta
            .annotations
            .as_ref()
            .and_then(|a| a.get(&key).cloned())
            .unwrap_or_default();
    }
    match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_else(|| "default".into()),
        "status.podIP" | "status.podIPs" => ctx.pod_ip.to_owned(),
        "status.hostIP" | "status.hostIPs" => ctx.host_ip.to_owned(),
        _ => String::new(),
    }
}

/// Kubernetes `$(VAR)` expansion: `$(NAME)` becomes the value of a defined variable, `$$`
/// becomes `$`, anything else stays as written.
pub fn expand(input: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(body) = after.strip_prefix('(')
            && let Some(end) = body.find(')')
        {
            let name = &body[..end];
            match lookup(name) {
                Some(value) => out.push_str(&value),
                None => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The Docker-link variables of `services` (kubelet's `envvars.FromServices`).
pub fn service_env(services: &[Service]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for svc in services {
        let Some(spec) = svc.spec.as_ref() else {
            continue;
        };
        let Some(ip) = spec
            .cluster_ip
            .as_deref()
            .filter(|ip| !ip.is_empty() && *ip != "None")
        else {
            continue;
        };
        let name = svc
            .metadata
            .name
            .as_deref()
            .unwrap_or_default()
            .to_uppercase()
            .replace('-', "_");
        let ports = spec.ports.as_deref().unwrap_or_default();
        let Some(first) = ports.first() else {
            continue;
        };
        env.insert(format!("{name}_SERVICE_HOST"), ip.to_owned());
        env.insert(format!("{name}_SERVICE_PORT"), first.port.to_string());
        for port in ports {
            if let Some(port_name) = port.name.as_deref().filter(|n| !n.is_empty()) {
                let port_name = port_name.to_uppercase().replace('-', "_");
                env.insert(
                    format!("{name}_SERVICE_PORT_{port_name}"),
                    port.port.to_string(),
                );
            }
        }
        let proto = |p: &k8s_openapi::api::core::v1::ServicePort| {
            p.protocol.clone().unwrap_or_else(|| "TCP".into())
        };
        env.insert(
            format!("{name}_PORT"),
            format!("{}://{ip}:{}", proto(first).to_lowercase(), first.port),
        );
        for port in ports {
            let upper = proto(port).to_uppercase();
            let lower = upper.to_lowercase();
            let prefix = format!("{name}_PORT_{}_{upper}", port.port);
            env.insert(prefix.clone(), format!("{lower}://{ip}:{}", port.port));
            env.insert(format!("{prefix}_PROTO"), lower);
            env.insert(format!("{prefix}_PORT"), port.port.to_string());
            env.insert(format!("{prefix}_ADDR"), ip.to_owned());
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(ns: &str, name: &str, ip: &str, ports: serde_json::Value) -> Service {
        serde_json::from_value(json!({
            "metadata": {"namespace": ns, "name": name},
            "spec": {"clusterIP": ip, "ports": ports},
        }))
        .unwrap()
    }

    #[test]
    fn docker_link_variables() {
        let svc = service(
            "d",
            "my-web",
            "10.43.0.7",
            json!([{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]),
        );
        let env = service_env(&[svc]);
        let want = [
            ("MY_WEB_PORT", "tcp://10.43.0.7:80"),
            ("MY_WEB_PORT_53_UDP", "udp://10.43.0.7:53"),
            ("MY_WEB_PORT_53_UDP_ADDR", "10.43.0.7"),
            ("MY_WEB_PORT_53_UDP_PORT", "53"),
            ("MY_WEB_PORT_53_UDP_PROTO", "udp"),
            ("MY_WEB_PORT_80_TCP", "tcp://10.43.0.7:80"),
            ("MY_WEB_PORT_80_TCP_ADDR", "10.43.0.7"),
            ("MY_WEB_PORT_80_TCP_PORT", "80"),
            ("MY_WEB_PORT_80_TCP_PROTO", "tcp"),
            ("MY_WEB_SERVICE_HOST", "10.43.0.7"),
            ("MY_WEB_SERVICE_PORT", "80"),
            ("MY_WEB_SERVICE_PORT_DNS", "53"),
            ("MY_WEB_SERVICE_PORT_HTTP", "80"),
        ];
        let got: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn visibility() {
        let all = [
            service(
                "default",
                "kubernetes",
                "10.43.0.1",
                json!([{"name": "https", "port": 443}]),
            ),
            service("default", "other", "10.43.0.2", json!([{"port": 1}])),
            service("app", "whoami", "10.43.0.3", json!([{"port": 80}])),
            service("app", "headless", "None", json!([{"port": 80}])),
        ];
        let names = |v: Vec<Service>| -> Vec<String> {
            v.into_iter().map(|s| s.metadata.name.unwrap()).collect()
        };
        assert_eq!(
            names(visible_services(&all, "app", true)),
            ["kubernetes", "whoami"]
        );
        assert_eq!(names(visible_services(&all, "app", false)), ["kubernetes"]);
        assert_eq!(
            names(visible_services(&all, "default", true)),
            ["kubernetes", "other"]
        );
    }

    #[test]
    fn container_environment() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "app", "labels": {"app": "w"}},
            "spec": {"nodeName": "n1", "containers": []},
        }))
        .unwrap();
        let container: Container = serde_json::from_value(json!({
            "name": "c",
            "env": [
                {"name": "A", "value": "x"},
                {"name": "B", "value": "$(A)-$(WHOAMI_SERVICE_HOST)-$(NOPE)-$$(A)"},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                {"name": "WHOAMI_SERVICE_PORT", "value": "override"},
            ],
        }))
        .unwrap();
        let services = [service("app", "whoami", "10.43.0.3", json!([{"port": 80}]))];
        let ctx = EnvContext {
            pod: &pod,
            pod_ip: "10.42.0.5",
            host_ip: "10.42.0.1",
            services: &services,
        };
        let env = container_env(&container, &ctx);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("B"), Some("x-10.43.0.3-$(NOPE)-$(A)"));
        assert_eq!(get("POD"), Some("web"));
        assert_eq!(get("IP"), Some("10.42.0.5"));
        assert_eq!(get("NODE"), Some("n1"));
        assert_eq!(get("APP"), Some("w"));
        assert_eq!(get("WHOAMI_SERVICE_PORT"), Some("override"));
        assert_eq!(get("WHOAMI_PORT"), Some("tcp://10.43.0.3:80"));
        assert_eq!(env[0], ("A".into(), "x".into()));
    }
}
