//! What the proxy knows of the cluster: Services and their endpoints, slimmed on ingest into
//! small plain structs (an API object's other fields cost memory and never change a rule), and
//! the [`Snapshot`] the planner reads.
//!
//! Conversion follows kube-proxy's `ServiceChangeTracker` and `EndpointsChangeTracker`: headless
//! and ExternalName Services are not proxied; only IPv4 is; a Service port's endpoints are the
//! EndpointSlice ports of the same name and protocol (the EndpointSlice controller has already
//! resolved named target ports).

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;

/// The annotation the EndpointSlice controller stamps with the time of the change that caused
/// a write; network programming latency is measured from it.
pub const TRIGGER_TIME_ANNOTATION: &str = "endpoints.kubernetes.io/last-change-trigger-time";
/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// kube-proxy's default ClientIP affinity timeout (3 hours).
pub const DEFAULT_AFFINITY_TIMEOUT: u32 = 10800;

/// `namespace/name` of a Service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceName {
    pub namespace: String,
    pub name: String,
}

impl ServiceName {
    pub fn new(namespace: &str, name: &str) -> ServiceName {
        ServiceName {
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// An L4 protocol a Service port can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// Parses the API's `TCP`/`UDP`/`SCTP`; absent means TCP.
    fn parse(s: Option<&str>) -> Option<Protocol> {
        match s.unwrap_or("TCP") {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

/// One port of one Service: `ns/svc` plus the port's name and protocol.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServicePortName {
    pub service: ServiceName,
    pub port: String,
    pub protocol: Protocol,
}

impl fmt::Display for ServicePortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.port)
    }
}

/// One `spec.ports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    pub name: String,
    pub protocol: Protocol,
    pub port: u16,
    pub node_port: Option<u16>,
}

/// The parts of a Service that decide its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    pub name: ServiceName,
    pub cluster_ip: Ipv4Addr,
    pub ports: Vec<ServicePort>,
    pub external_ips: Vec<Ipv4Addr>,
    /// `status.loadBalancer.ingress[].ip` of a `type: LoadBalancer` Service.
    pub load_balancer_ips: Vec<Ipv4Addr>,
    /// Whether the Service is `type: LoadBalancer`: its ports also answer on the node's
    /// 127.0.0.1, as on Docker Desktop.
    pub load_balancer: bool,
    /// `Some(timeout in seconds)` for `sessionAffinity: ClientIP`.
    pub affinity_timeout: Option<u32>,
    pub internal_local: bool,
    pub external_local: bool,
}

impl ServiceInfo {
    /// The proxied view of `svc`, or `None` if kube-proxy does not proxy it (headless,
    /// ExternalName, IPv6-only, or without a ClusterIP yet).
    pub fn from_service(svc: &Service) -> Option<ServiceInfo> {
        let spec = svc.spec.as_ref()?;
        if spec.type_.as_deref() == Some("ExternalName") {
            return None;
        }
        let cluster_ip: Ipv4Addr = spec.cluster_ip.as_deref()?.parse().ok()?;
        let ports = spec
            .ports
            .iter()
            .flatten()
            .filter_map(|p| {
                Some(ServicePort {
                    name: p.name.clone().unwrap_or_default(),
                    protocol: Protocol::parse(p.protocol.as_deref())?,
                    port: u16::try_from(p.port).ok()?,
                    node_port: p.node_port.and_then(|n| u16::try_from(n).ok()),
                })
            })
            .collect();
        let load_balancer = spec.type_.as_deref() == Some("LoadBalancer");
        let load_balancer_ips = if load_balancer {
            svc.status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|lb| lb.ingress.as_ref())
                .into_iter()
                .flatten()
                .filter_map(|i| i.ip.as_deref()?.parse().ok())
                .collect()
        } else {
            Vec::new()
        };
        let affinity_timeout = (spec.session_affinity.as_deref() == Some("ClientIP")).then(|| {
            spec.session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds)
                .and_then(|t| u32::try_from(t).ok())
                .filter(|t| *t > 0)
                .unwrap_or(DEFAULT_AFFINITY_TIMEOUT)
        });
        Some(ServiceInfo {
            name: ServiceName::new(&svc.namespace().unwrap_or_default(), &svc.name_any()),
            cluster_ip,
            ports,
            external_ips: spec
                .external_ips
                .iter()
                .flatten()
                .filter_map(|ip| ip.parse().ok())
                .collect(),
            load_balancer_ips,
            load_balancer,
            affinity_timeout,
            internal_local: spec.internal_traffic_policy.as_deref() == Some("Local"),
            external_local: spec.external_traffic_policy.as_deref() == Some("Local"),
        })
    }

    /// The name of one of this Service's ports.
    pub fn port_name(&self, port: &ServicePort) -> ServicePortName {
        ServicePortName {
            service: self.name.clone(),
            port: port.name.clone(),
            protocol: port.protocol,
        }
    }
}

/// One endpoint of a Service port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: Ipv4Addr,
    pub port: u16,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    /// `nodeName` of the endpoint, for `Local` traffic policies.
    pub node_name: Option<String>,
}

/// A port of an EndpointSlice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlicePort {
    pub name: String,
    pub protocol: Protocol,
    pub port: u16,
}

/// An address of an EndpointSlice with its conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceEndpoint {
    pub ip: Ipv4Addr,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    pub node_name: Option<String>,
}

/// The parts of an IPv4 EndpointSlice that decide rules, plus its trigger time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceInfo {
    pub service: ServiceName,
    pub ports: Vec<SlicePort>,
    pub endpoints: Vec<SliceEndpoint>,
    /// The trigger-time annotation; it does not change rules, so [`SliceInfo::same_rules`]
    /// ignores it.
    pub trigger_time: Option<jiff::Timestamp>,
}

impl SliceInfo {
    /// The proxied view of `slice`, or `None` for a slice that is not IPv4 or names no
    /// Service.
    pub fn from_slice(slice: &EndpointSlice) -> Option<SliceInfo> {
        if slice.address_type != "IPv4" {
            return None;
        }
        let service = slice.labels().get(SERVICE_NAME_LABEL)?;
        let ports = slice
            .ports
            .iter()
            .flatten()
            .filter_map(|p| {
                Some(SlicePort {
                    name: p.name.clone().unwrap_or_default(),
                    protocol: Protocol::parse(p.protocol.as_deref())?,
                    port: u16::try_from(p.port?).ok()?,
                })
            })
            .collect();
        let endpoints = slice
            .endpoints
            .iter()
            .filter_map(|e| {
                let ip = e.addresses.first()?.parse().ok()?;
                let c = e.conditions.as_ref();
                // Absent conditions mean ready and serving, not terminating (discovery/v1).
                let ready = c.and_then(|c| c.ready).unwrap_or(true);
                Some(SliceEndpoint {
                    ip,
                    ready,
                    serving: c.and_then(|c| c.serving).unwrap_or(ready),
                    terminating: c.and_then(|c| c.terminating).unwrap_or(false),
                    node_name: e.node_name.clone(),
                })
            })
            .collect();
        let trigger_time = slice
            .annotations()
            .get(TRIGGER_TIME_ANNOTATION)
            .and_then(|t| t.parse().ok());
        Some(SliceInfo {
            service: ServiceName::new(&slice.namespace().unwrap_or_default(), service),
            ports,
            endpoints,
            trigger_time,
        })
    }

    /// Whether two versions of a slice give the same rules.
    pub fn same_rules(&self, other: &SliceInfo) -> bool {
        self.service == other.service
            && self.ports == other.ports
            && self.endpoints == other.endpoints
    }
}

/// A proxied Service with its endpoints, by port (name, protocol); endpoints are sorted and
/// unique by address and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub service: ServiceInfo,
    pub endpoints: BTreeMap<(String, Protocol), Vec<Endpoint>>,
}

impl ServiceState {
    /// Joins a Service with its slices.
    pub fn new<'a>(service: ServiceInfo, slices: impl IntoIterator<Item = &'a SliceInfo>) -> Self {
        let mut endpoints: BTreeMap<(String, Protocol), Vec<Endpoint>> = BTreeMap::new();
        for slice in slices {
            for port in &slice.ports {
                let list = endpoints
                    .entry((port.name.clone(), port.protocol))
                    .or_default();
                for e in &slice.endpoints {
                    list.push(Endpoint {
                        ip: e.ip,
                        port: port.port,
                        ready: e.ready,
                        serving: e.serving,
                        terminating: e.terminating,
                        node_name: e.node_name.clone(),
                    });
                }
            }
        }
        for list in endpoints.values_mut() {
            list.sort();
            // The same address may appear in two slices while a Pod moves between them.
            list.dedup_by_key(|e| (e.ip, e.port));
        }
        endpoints.retain(|(name, proto), _| {
            service
                .ports
                .iter()
                .any(|p| &p.name == name && p.protocol == *proto)
        });
        ServiceState { service, endpoints }
    }

    /// The endpoints of one of the Service's ports.
    pub fn endpoints_of(&self, port: &ServicePort) -> &[Endpoint] {
        self.endpoints
            .get(&(port.name.clone(), port.protocol))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// Every proxied Service with its endpoints: the planner's whole input besides the node.
pub type Snapshot = BTreeMap<ServiceName, ServiceState>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(v: serde_json::Value) -> Service {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn services_that_are_not_proxied() {
        let cases = [
            json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"clusterIP": "None"}}),
            json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"type": "ExternalName", "externalName": "x"}}),
            json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"clusterIP": "fd00::1"}}),
            json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {}}),
        ];
        for case in cases {
            assert_eq!(
                ServiceInfo::from_service(&service(case.clone())),
                None,
                "{case}"
            );
        }
    }

    #[test]
    fn a_load_balancer_service() {
        let svc = service(json!({
            "metadata": {"name": "web", "namespace": "ns"},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.43.0.10",
                     "ports": [{"name": "http", "port": 8080, "nodePort": 30010, "targetPort": 80},
                               {"name": "dns", "protocol": "UDP", "port": 53}],
                     "externalIPs": ["192.0.2.1"], "sessionAffinity": "ClientIP",
                     "externalTrafficPolicy": "Local"},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.42.0.1"}, {"hostname": "lb"}]}}
        }));
        let info = ServiceInfo::from_service(&svc).unwrap();
        assert_eq!(info.cluster_ip, Ipv4Addr::new(10, 43, 0, 10));
        assert_eq!(
            info.ports,
            vec![
                ServicePort {
                    name: "http".into(),
                    protocol: Protocol::Tcp,
                    port: 8080,
                    node_port: Some(30010)
                },
                ServicePort {
                    name: "dns".into(),
                    protocol: Protocol::Udp,
                    port: 53,
                    node_port: None
                },
            ]
        );
        assert_eq!(info.load_balancer_ips, vec![Ipv4Addr::new(10, 42, 0, 1)]);
        assert!(info.load_balancer);
        assert_eq!(info.affinity_timeout, Some(DEFAULT_AFFINITY_TIMEOUT));
        assert!(info.external_local && !info.internal_local);
    }

    #[test]
    fn slices_join_by_port_name_and_protocol() {
        let slice: EndpointSlice = serde_json::from_value(json!({
            "metadata": {"name": "web-abc", "namespace": "ns",
                         "labels": {"kubernetes.io/service-name": "web"},
                         "annotations": {TRIGGER_TIME_ANNOTATION: "2025-01-01T00:00:00Z"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.42.0.6"], "conditions": {"ready": false, "serving": true, "terminating": true}},
                          {"addresses": ["10.42.0.5"], "nodeName": "n1"}],
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"},
                      {"name": "other", "port": 81, "protocol": "TCP"}]
        }))
        .unwrap();
        let info = SliceInfo::from_slice(&slice).unwrap();
        assert_eq!(info.service, ServiceName::new("ns", "web"));
        assert!(info.trigger_time.is_some());
        let svc = ServiceInfo {
            name: ServiceName::new("ns", "web"),
            cluster_ip: Ipv4Addr::new(10, 43, 0, 10),
            ports: vec![ServicePort {
                name: "http".into(),
                protocol: Protocol::Tcp,
                port: 8080,
                node_port: None,
            }],
            external_ips: vec![],
            load_balancer_ips: vec![],
            load_balancer: false,
            affinity_timeout: None,
            internal_local: false,
            external_local: false,
        };
        let state = ServiceState::new(svc.clone(), [&info, &info]);
        let eps = state.endpoints_of(&svc.ports[0]);
        assert_eq!(eps.len(), 2, "{eps:?}");
        assert_eq!(eps[0].ip, Ipv4Addr::new(10, 42, 0, 5));
        assert!(eps[0].ready && eps[0].serving && !eps[0].terminating);
        assert_eq!(eps[0].node_name.as_deref(), Some("n1"));
        assert!(!eps[1].ready && eps[1].serving && eps[1].terminating);
        assert_eq!(eps[1].port, 80);
        // The port the Service does not have is not kept.
        assert_eq!(state.endpoints.len(), 1);
    }
}
