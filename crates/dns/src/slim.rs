//! Slim objects on ingest: each watched object is reduced at once to what DNS answers read, so
//! the caches cost little memory and two slim values are equal exactly when DNS cannot tell
//! the objects apart (CoreDNS's `object/` package does the same).

use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;

/// The label that ties an EndpointSlice to its Service.
const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";

/// `namespace/name` of an object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn new(namespace: &str, name: &str) -> Key {
        Key {
            namespace: namespace.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        }
    }

    fn of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Key {
        Key::new(
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default(),
        )
    }
}

/// What a Service's name resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    /// A Service with virtual IPs (none yet while unallocated).
    ClusterIp(Vec<IpAddr>),
    /// `clusterIP: None`: the name resolves to the ready endpoints.
    Headless,
    /// `type: ExternalName`: the name is a CNAME.
    ExternalName(String),
}

/// A Service or EndpointSlice port, with name and protocol lowercased for matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub protocol: String,
    /// `None` for a port-less slice (CoreDNS's `-1` sentinel): it names addresses but no SRV.
    pub port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlimService {
    pub kind: ServiceKind,
    pub ports: Vec<Port>,
}

/// A ready endpoint address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub ip: IpAddr,
    pub hostname: Option<String>,
}

/// An EndpointSlice: its Service, ports and ready addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlimSlice {
    pub service: Key,
    pub ports: Vec<Port>,
    pub addresses: Vec<Address>,
}

/// The key and slim form of a Service.
pub fn service(svc: &Service) -> (Key, SlimService) {
    let key = Key::of(&svc.metadata);
    let spec = svc.spec.clone().unwrap_or_default();
    let kind = if spec.type_.as_deref() == Some("ExternalName") {
        ServiceKind::ExternalName(spec.external_name.unwrap_or_default().to_ascii_lowercase())
    } else if spec.cluster_ip.as_deref() == Some("None") {
        ServiceKind::Headless
    } else {
        let mut ips: Vec<String> = spec.cluster_ips.unwrap_or_default();
        if ips.is_empty() {
            ips.extend(spec.cluster_ip);
        }
        ServiceKind::ClusterIp(ips.iter().filter_map(|ip| ip.parse().ok()).collect())
    };
    let ports = spec
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| Port {
            name: p.name.unwrap_or_default().to_ascii_lowercase(),
            protocol: p.protocol.as_deref().unwrap_or("TCP").to_ascii_lowercase(),
            port: u16::try_from(p.port).ok(),
        })
        .collect();
    (key, SlimService { kind, ports })
}

/// Whether the Service selects Pods (only for the programming-latency metric's label).
#[cfg(feature = "server")]
pub fn has_selector(svc: &Service) -> bool {
    svc.spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .is_some_and(|s| !s.is_empty())
}

/// The key and slim form of an EndpointSlice; `None` when it names no Service.
pub fn slice(slice: &EndpointSlice) -> (Key, Option<SlimSlice>) {
    let key = Key::of(&slice.metadata);
    let service = slice
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL_SERVICE_NAME))
        .filter(|s| !s.is_empty());
    let Some(service) = service else {
        return (key, None);
    };
    let ports = match slice.ports.as_deref() {
        None | Some([]) => vec![Port {
            name: String::new(),
            protocol: String::new(),
            port: None,
        }],
        Some(ports) => ports
            .iter()
            .map(|p| Port {
                name: p.name.as_deref().unwrap_or_default().to_ascii_lowercase(),
                protocol: p
                    .protocol
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                port: p.port.and_then(|p| u16::try_from(p).ok()),
            })
            .collect(),
    };
    let mut addresses = Vec::new();
    for ep in &slice.endpoints {
        // An endpoint without a ready condition is ready (the EndpointSlice API's rule).
        if ep.conditions.as_ref().and_then(|c| c.ready) == Some(false) {
            continue;
        }
        let hostname = ep
            .hostname
            .as_deref()
            .filter(|h| !h.is_empty())
            .map(str::to_ascii_lowercase);
        for a in &ep.addresses {
            if let Ok(ip) = a.parse() {
                addresses.push(Address {
                    ip,
                    hostname: hostname.clone(),
                });
            }
        }
    }
    let svc = Key::new(&key.namespace, service);
    (
        key,
        Some(SlimSlice {
            service: svc,
            ports,
            addresses,
        }),
    )
}

/// The key and IPs of a Pod (read only in `pods verified` mode).
pub fn pod(pod: &Pod) -> (Key, Vec<IpAddr>) {
    let status = pod.status.as_ref();
    let mut ips: Vec<IpAddr> = status
        .and_then(|s| s.pod_ips.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|p| p.ip.parse().ok())
        .collect();
    if ips.is_empty()
        && let Some(ip) = status.and_then(|s| s.pod_ip.as_deref())
    {
        ips.extend(ip.parse::<IpAddr>().ok());
    }
    (Key::of(&pod.metadata), ips)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn services_keep_what_dns_reads() {
        let cases = [
            (
                json!({"clusterIP": "10.43.0.5", "clusterIPs": ["10.43.0.5", "fd00::5"],
                       "ports": [{"name": "HTTP", "port": 80}]}),
                "ClusterIp([10.43.0.5, fd00::5]) [http/tcp/80]",
            ),
            (
                json!({"clusterIP": "None", "selector": {"a": "b"}}),
                "Headless []",
            ),
            (
                json!({"type": "ExternalName", "externalName": "Example.COM"}),
                "ExternalName(\"example.com\") []",
            ),
            (
                json!({"ports": [{"port": 53, "protocol": "UDP"}]}),
                "ClusterIp([]) [/udp/53]",
            ),
        ];
        for (spec, want) in cases {
            let svc: Service = serde_json::from_value(
                json!({"metadata": {"name": "S", "namespace": "ns"}, "spec": spec}),
            )
            .unwrap();
            let (key, slim) = service(&svc);
            assert_eq!(key, Key::new("ns", "s"));
            let ports: Vec<String> = slim
                .ports
                .iter()
                .map(|p| format!("{}/{}/{}", p.name, p.protocol, p.port.unwrap()))
                .collect();
            assert_eq!(format!("{:?} [{}]", slim.kind, ports.join(",")), want);
        }
    }

    #[test]
    fn slices_keep_ready_addresses() {
        let s: EndpointSlice = serde_json::from_value(json!({
            "metadata": {"name": "web-abc", "namespace": "ns",
                         "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4",
            "endpoints": [
                {"addresses": ["10.42.0.5"], "hostname": "Web-0", "conditions": {"ready": true}},
                {"addresses": ["10.42.0.6"], "conditions": {"ready": false}},
                {"addresses": ["10.42.0.7"]},
                {"addresses": ["garbage"]},
            ],
        }))
        .unwrap();
        let (key, slim) = slice(&s);
        assert_eq!(key, Key::new("ns", "web-abc"));
        let slim = slim.unwrap();
        assert_eq!(slim.service, Key::new("ns", "web"));
        assert_eq!(
            slim.addresses,
            vec![
                Address {
                    ip: "10.42.0.5".parse().unwrap(),
                    hostname: Some("web-0".into())
                },
                Address {
                    ip: "10.42.0.7".parse().unwrap(),
                    hostname: None
                },
            ]
        );
        // No ports: one sentinel that names addresses but gives no SRV.
        assert_eq!(slim.ports.len(), 1);
        assert_eq!(slim.ports[0].port, None);

        let unlabelled: EndpointSlice = serde_json::from_value(json!({
            "metadata": {"name": "x", "namespace": "ns"}, "addressType": "IPv4", "endpoints": []
        }))
        .unwrap();
        assert!(slice(&unlabelled).1.is_none());
    }
}
