//! What the endpoint controllers read from a Pod: readiness, whether it belongs in endpoints at
//! all, its IPs, the container port a Service port targets, and when its readiness last changed.

use std::net::IpAddr;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ObjectReference, Pod, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The Pod's `Ready` condition is `True`.
pub fn is_ready(pod: &Pod) -> bool {
    ready_condition(pod).is_some_and(|c| c.status == "True")
}

fn ready_condition(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::PodCondition> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
}

/// The Pod has been asked to go (`deletionTimestamp` is set).
pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// The Pod has finished for good (phase `Succeeded` or `Failed`).
fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// Whether the Pod appears in endpoints at all: it is not terminal, has an IP, and is not
/// terminating unless `include_terminating`.
pub fn should_be_in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    !is_terminal(pod) && !ips(pod).is_empty() && (include_terminating || !is_terminating(pod))
}

/// The Pod's IPs, parsed: `status.podIPs`, or `status.podIP` when the list is empty. Addresses
/// that do not parse are dropped.
pub fn ips(pod: &Pod) -> Vec<IpAddr> {
    let Some(status) = pod.status.as_ref() else {
        return Vec::new();
    };
    let listed: Vec<&str> = status
        .pod_ips
        .iter()
        .flatten()
        .map(|p| p.ip.as_str())
        .collect();
    let raw = if listed.is_empty() {
        status.pod_ip.as_deref().into_iter().collect()
    } else {
        listed
    };
    raw.into_iter()
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// The port a Service port reaches on this Pod: a numeric `targetPort` as is (unset means the
/// Service port), a named one looked up among the containers' ports (and restartable init
/// containers') with the same protocol.
pub fn find_port(pod: &Pod, svc_port: &ServicePort) -> Option<i32> {
    let name = match &svc_port.target_port {
        None => return Some(svc_port.port),
        Some(IntOrString::Int(n)) => return Some(*n),
        Some(IntOrString::String(name)) => name,
    };
    let protocol = svc_port.protocol.as_deref().unwrap_or("TCP");
    let spec = pod.spec.as_ref()?;
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    spec.containers
        .iter()
        .chain(sidecars)
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| {
            p.name.as_deref() == Some(name.as_str())
                && p.protocol.as_deref().unwrap_or("TCP") == protocol
        })
        .map(|p| p.container_port)
}

/// The hostname endpoints carry for the Pod: its own, when its subdomain is this Service.
pub fn hostname_for(pod: &Pod, svc: &Service) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    let hostname = spec.hostname.as_deref().filter(|h| !h.is_empty())?;
    let same_ns = pod.metadata.namespace == svc.metadata.namespace;
    (same_ns && spec.subdomain.as_deref() == svc.metadata.name.as_deref())
        .then(|| hostname.to_string())
}

/// When the Pod's readiness last changed (its `Ready` condition's transition time).
pub fn readiness_changed_at(pod: &Pod) -> Option<Timestamp> {
    ready_condition(pod)?
        .last_transition_time
        .as_ref()
        .map(|t| t.0)
}

/// The node the Pod runs on, if bound.
pub fn node_name(pod: &Pod) -> Option<String> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .filter(|n| !n.is_empty())
}

/// The reference an endpoint keeps to its Pod.
pub fn target_ref(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec};

    fn pod_with_ports(ports: &[(&str, i32, Option<&str>)], sidecar: Option<(&str, i32)>) -> Pod {
        let to_ports = |ps: &[(&str, i32, Option<&str>)]| {
            Some(
                ps.iter()
                    .map(|(n, p, proto)| ContainerPort {
                        name: Some(n.to_string()),
                        container_port: *p,
                        protocol: proto.map(String::from),
                        ..Default::default()
                    })
                    .collect(),
            )
        };
        Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "app".into(),
                    ports: to_ports(ports),
                    ..Default::default()
                }],
                init_containers: sidecar.map(|(n, p)| {
                    vec![Container {
                        name: "sidecar".into(),
                        restart_policy: Some("Always".into()),
                        ports: to_ports(&[(n, p, None)]),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn svc_port(port: i32, target: Option<IntOrString>, protocol: Option<&str>) -> ServicePort {
        ServicePort {
            port,
            target_port: target,
            protocol: protocol.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn find_port_resolves_numbers_and_names() {
        let pod = pod_with_ports(
            &[("http", 8080, None), ("dns", 5353, Some("UDP"))],
            Some(("metrics", 9090)),
        );
        let s = |v: &str| Some(IntOrString::String(v.into()));
        let cases = [
            (svc_port(80, None, None), Some(80)),
            (svc_port(80, Some(IntOrString::Int(9376)), None), Some(9376)),
            (svc_port(80, s("http"), None), Some(8080)),
            (svc_port(80, s("http"), Some("TCP")), Some(8080)),
            (svc_port(80, s("http"), Some("UDP")), None),
            (svc_port(53, s("dns"), Some("UDP")), Some(5353)),
            (svc_port(53, s("dns"), None), None),
            (svc_port(90, s("metrics"), None), Some(9090)),
            (svc_port(80, s("nope"), None), None),
        ];
        for (port, want) in cases {
            assert_eq!(find_port(&pod, &port), want, "{port:?}");
        }
    }
}
