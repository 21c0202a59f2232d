//! Test fixtures: Services, Pods and Endpoints built the way the API server would store them, a
//! compact text form of planned slice changes, and a fake server that applies them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, Pod, PodCondition, PodIP, PodSpec, PodStatus, Service, ServicePort,
    ServiceSpec,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::change::SliceChange;

pub fn time(s: &str) -> Time {
    Time(s.parse().expect("timestamp"))
}

pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A port of a Service: `(name, port, targetPort)`, where a target that parses as a number is
/// numeric.
pub fn svc_port(name: &str, port: i32, target: &str) -> ServicePort {
    ServicePort {
        name: (!name.is_empty()).then(|| name.to_string()),
        port,
        protocol: Some("TCP".into()),
        target_port: Some(match target.parse() {
            Ok(n) => IntOrString::Int(n),
            Err(_) => IntOrString::String(target.into()),
        }),
        ..Default::default()
    }
}

/// Service `web` in `default`, selecting `app=web`, ClusterIP, port 80 → 8080.
pub fn service() -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("default".into()),
            uid: Some("svc-uid".into()),
            creation_timestamp: Some(time("2024-01-01T00:00:00Z")),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(labels(&[("app", "web")])),
            cluster_ip: Some("10.43.0.10".into()),
            ip_families: Some(vec!["IPv4".into()]),
            ports: Some(vec![svc_port("", 80, "8080")]),
            type_: Some("ClusterIP".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Pod `name` labelled `app=web` on `node1`, whose container names port 8080 `http`; `ip` empty
/// means no IP yet; its readiness changed at 2024-01-01T00:01:00Z.
pub fn pod(name: &str, ip: &str, ready: bool) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            uid: Some(format!("{name}-uid")),
            labels: Some(labels(&[("app", "web")])),
            ..Default::default()
        },
        spec: Some(PodSpec {
            node_name: Some("node1".into()),
            containers: vec![Container {
                name: "app".into(),
                ports: Some(vec![ContainerPort {
                    name: Some("http".into()),
                    container_port: 8080,
                    protocol: Some("TCP".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: Some(PodStatus {
            phase: Some("Running".into()),
            pod_ip: (!ip.is_empty()).then(|| ip.to_string()),
            pod_ips: (!ip.is_empty()).then(|| vec![PodIP { ip: ip.into() }]),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: if ready { "True" } else { "False" }.into(),
                last_transition_time: Some(time("2024-01-01T00:01:00Z")),
                ..Default::default()
            }]),
            ..Default::default()
        }),
    }
}

/// Marks a Pod as being deleted.
pub fn terminating(mut pod: Pod) -> Pod {
    pod.metadata.deletion_timestamp = Some(time("2024-01-01T00:02:00Z"));
    pod
}

/// Gives a Pod's container a different `http` port.
pub fn with_http_port(mut pod: Pod, port: i32) -> Pod {
    let spec = pod.spec.as_mut().expect("spec");
    spec.containers[0].ports.as_mut().expect("ports")[0].container_port = port;
    pod
}

/// One line per change: `create|update <name> ports=[name:port/proto,…] <pod>@<ip>[flags],…`
/// with flags `R` ready, `S` serving, `T` terminating (lowercase when false), or
/// `delete <name>`.
pub fn describe(changes: &[SliceChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            SliceChange::Create(s) => format!("create {}", describe_slice(s)),
            SliceChange::Update(s) => format!("update {}", describe_slice(s)),
            SliceChange::Delete(name) => format!("delete {name}"),
        })
        .collect()
}

pub fn describe_slice(s: &EndpointSlice) -> String {
    let name = s
        .metadata
        .name
        .clone()
        .or_else(|| s.metadata.generate_name.clone())
        .unwrap_or_default();
    let ports: Vec<String> = s
        .ports
        .iter()
        .flatten()
        .map(|p| {
            format!(
                "{}:{}/{}",
                p.name.as_deref().unwrap_or("<nil>"),
                p.port.unwrap_or_default(),
                p.protocol.as_deref().unwrap_or_default()
            )
        })
        .collect();
    let eps: Vec<String> = s
        .endpoints
        .iter()
        .map(|e| {
            let c = e.conditions.clone().unwrap_or_default();
            let flag = |v: Option<bool>, t: char| match v {
                Some(true) => t,
                Some(false) => t.to_ascii_lowercase(),
                None => '-',
            };
            format!(
                "{}@{}[{}{}{}]",
                e.target_ref
                    .as_ref()
                    .and_then(|t| t.name.clone())
                    .unwrap_or_default(),
                e.addresses.join("+"),
                flag(c.ready, 'R'),
                flag(c.serving, 'S'),
                flag(c.terminating, 'T'),
            )
        })
        .collect();
    format!(
        "{name} {} ports=[{}] {}",
        s.address_type,
        ports.join(","),
        eps.join(",")
    )
    .trim_end()
    .to_string()
}

/// A stand-in for the API server: applies planned changes to a set of slices, naming created
/// slices `<generateName>N` and bumping resourceVersions.
#[derive(Default)]
pub struct FakeServer {
    pub slices: BTreeMap<String, EndpointSlice>,
    next: u32,
}

impl FakeServer {
    pub fn apply(&mut self, changes: &[SliceChange]) {
        for c in changes {
            self.next += 1;
            match c {
                SliceChange::Create(s) => {
                    let mut s = s.clone();
                    let name = format!(
                        "{}{}",
                        s.metadata.generate_name.as_deref().unwrap_or_default(),
                        self.next
                    );
                    s.metadata.name = Some(name.clone());
                    s.metadata.resource_version = Some(self.next.to_string());
                    assert!(self.slices.insert(name, s).is_none(), "name reused");
                }
                SliceChange::Update(s) => {
                    let name = s.metadata.name.clone().expect("update has a name");
                    let old = self.slices.get(&name).expect("updated slice exists");
                    assert_eq!(
                        old.metadata.resource_version, s.metadata.resource_version,
                        "update planned from a stale slice"
                    );
                    let mut s = s.clone();
                    s.metadata.resource_version = Some(self.next.to_string());
                    self.slices.insert(name, s);
                }
                SliceChange::Delete(name) => {
                    assert!(self.slices.remove(name).is_some(), "deleted slice exists");
                }
            }
        }
    }

    pub fn list(&self) -> Vec<&EndpointSlice> {
        self.slices.values().collect()
    }
}
