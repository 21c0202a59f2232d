//! Planning the LoadBalancer controller (k3s ServiceLB's visible behaviour, without its Pods),
//! without IO: from the Services and Nodes, which LoadBalancer Services get the nodes' IPs as
//! `status.loadBalancer.ingress`, which stay `<pending>` and why, and what Events say so.
//!
//! Ours are the Services of `type: LoadBalancer` without a `spec.loadBalancerClass` (a class
//! names another implementation, as upstream's service controller reads it) that are not being
//! deleted. The proxy answers on a published IP at the Service's ports, so every node port
//! (number and protocol) belongs to one Service at a time, as a `hostPort` does: a Service gets
//! all its ports or none. Services that hold their ports already (they are published) keep
//! them; the others are served oldest first (`creationTimestamp`, then `namespace/name`), so the
//! outcome is a function of the cluster's state alone and a restart changes nothing. A Service
//! that is not ours any more loses the ingress this controller published (read from
//! `managedFields`), and nothing else.
//!
//! Published IPs: every Ready node gives its ExternalIPs, or its InternalIPs when it has none
//! (as k3s), of the Service's IP families, unless it carries upstream's
//! `node.kubernetes.io/exclude-from-external-load-balancers` label; sorted, each with
//! `ipMode: VIP`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{LoadBalancerIngress, Node, Service};
use serde_json::{Value, json};

use crate::key::ObjectKey;
use crate::taint::ready_status;

/// The field manager of the controller's status writes, and the component of its Events.
pub const SERVICE_LB_CONTROLLER: &str = "service-lb-controller";

/// A node carrying this label serves no load balancer (upstream's `LabelNodeExcludeBalancers`).
const LABEL_EXCLUDE_FROM_LB: &str = "node.kubernetes.io/exclude-from-external-load-balancers";

/// A port of the nodes, displayed as `80/TCP`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodePortKey {
    pub port: i32,
    pub protocol: String,
}

impl fmt::Display for NodePortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol)
    }
}

/// What a Service of ours asks of the nodes; two claims that are equal plan the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    ports: BTreeSet<NodePortKey>,
    ipv4: bool,
    ipv6: bool,
    created: Option<Timestamp>,
    /// It has an ingress already, so it keeps its ports.
    published: bool,
}

/// The claim of a Service this controller serves, `None` for any other Service.
pub fn claim(svc: &Service) -> Option<Claim> {
    let spec = svc.spec.as_ref()?;
    if spec.type_.as_deref() != Some("LoadBalancer")
        || spec.load_balancer_class.is_some()
        || svc.metadata.deletion_timestamp.is_some()
    {
        return None;
    }
    let ports = spec
        .ports
        .iter()
        .flatten()
        .map(|p| NodePortKey {
            port: p.port,
            protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
        })
        .collect();
    let families = spec.ip_families.clone().unwrap_or_default();
    let ipv6 = families.iter().any(|f| f == "IPv6");
    Some(Claim {
        ports,
        ipv4: !ipv6 || families.iter().any(|f| f == "IPv4"),
        ipv6,
        created: svc.metadata.creation_timestamp.as_ref().map(|t| t.0),
        published: !ingress(svc).is_empty(),
    })
}

/// The Service's `status.loadBalancer.ingress`, empty when unset.
pub fn ingress(svc: &Service) -> &[LoadBalancerIngress] {
    svc.status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_deref())
        .unwrap_or_default()
}

/// Whether this controller wrote the Service's current `status.loadBalancer.ingress`.
pub fn published_by_us(svc: &Service) -> bool {
    svc.metadata.managed_fields.iter().flatten().any(|m| {
        m.manager.as_deref() == Some(SERVICE_LB_CONTROLLER)
            && m.subresource.as_deref() == Some("status")
            && m.fields_v1
                .as_ref()
                .is_some_and(|f| f.0.pointer("/f:status/f:loadBalancer/f:ingress").is_some())
    })
}

/// The addresses a node serves load balancers on: none unless it is Ready and not excluded;
/// its ExternalIPs, or its InternalIPs when it has none.
pub fn node_ips(node: &Node) -> Vec<IpAddr> {
    let excluded = node
        .metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(LABEL_EXCLUDE_FROM_LB));
    if excluded || ready_status(node) != Some("True") {
        return Vec::new();
    }
    let addresses = node
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_deref())
        .unwrap_or_default();
    let of_type = |t: &str| -> Vec<IpAddr> {
        addresses
            .iter()
            .filter(|a| a.type_ == t)
            .filter_map(|a| a.address.parse().ok())
            .collect()
    };
    let external = of_type("ExternalIP");
    if external.is_empty() {
        of_type("InternalIP")
    } else {
        external
    }
}

/// A port another Service holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub port: NodePortKey,
    pub holder: ObjectKey,
}

/// What to do with one Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Publish these IPs (sorted; empty when no node serves).
    Publish(Vec<IpAddr>),
    /// Some of its ports are held by other Services: no ingress.
    Blocked(Vec<Conflict>),
    /// Not ours any more: remove the ingress we published.
    Release,
}

/// The decision for every Service this controller has something to say about, by key.
pub fn plan_load_balancers(
    services: &[&Service],
    nodes: &[&Node],
) -> BTreeMap<ObjectKey, Decision> {
    let ips: BTreeSet<IpAddr> = nodes.iter().flat_map(|n| node_ips(n)).collect();
    let mut plan = BTreeMap::new();
    let mut claims = Vec::new();
    for svc in services {
        let key = ObjectKey::of(*svc);
        match claim(svc) {
            Some(c) => claims.push((key, c)),
            None if published_by_us(svc) && !ingress(svc).is_empty() => {
                plan.insert(key, Decision::Release);
            }
            None => {}
        }
    }
    claims.sort_by(|(ka, a), (kb, b)| {
        let rank = |c: &Claim| (!c.published, c.created.is_none(), c.created);
        rank(a).cmp(&rank(b)).then_with(|| ka.cmp(kb))
    });
    let mut held: BTreeMap<&NodePortKey, &ObjectKey> = BTreeMap::new();
    for (key, c) in &claims {
        let conflicts: Vec<Conflict> = c
            .ports
            .iter()
            .filter_map(|p| {
                held.get(p).map(|holder| Conflict {
                    port: p.clone(),
                    holder: (*holder).clone(),
                })
            })
            .collect();
        let decision = if conflicts.is_empty() {
            held.extend(c.ports.iter().map(|p| (p, key)));
            let family = |ip: &&IpAddr| if ip.is_ipv4() { c.ipv4 } else { c.ipv6 };
            Decision::Publish(ips.iter().filter(family).copied().collect())
        } else {
            Decision::Blocked(conflicts)
        };
        plan.insert(key.clone(), decision);
    }
    plan
}

/// The merge patch of `services/{name}/status` that makes the Service's ingress match
/// `decision`, or `None` when it does already.
pub fn status_patch(svc: &Service, decision: &Decision) -> Option<Value> {
    let want: Vec<LoadBalancerIngress> = match decision {
        Decision::Publish(ips) => ips
            .iter()
            .map(|ip| LoadBalancerIngress {
                ip: Some(ip.to_string()),
                ip_mode: Some("VIP".into()),
                ..Default::default()
            })
            .collect(),
        Decision::Blocked(_) | Decision::Release => Vec::new(),
    };
    if ingress(svc) == want.as_slice() {
        return None;
    }
    let ingress = if want.is_empty() {
        Value::Null
    } else {
        serde_json::to_value(&want).expect("ingress serializes")
    };
    Some(json!({"status": {"loadBalancer": {"ingress": ingress}}}))
}

/// An Event to record about the Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub type_: &'static str,
    pub reason: &'static str,
    pub message: String,
}

fn note(type_: &'static str, reason: &'static str, message: impl Into<String>) -> Note {
    Note {
        type_,
        reason,
        message: message.into(),
    }
}

/// The Events upstream's service controller records for reaching `next` when `previous` was
/// the last decision carried out for this Service (`None` at first): nothing when it is the
/// same.
pub fn notes(previous: Option<&Decision>, next: &Decision) -> Vec<Note> {
    if previous == Some(next) {
        return Vec::new();
    }
    let ensuring = || note("Normal", "EnsuringLoadBalancer", "Ensuring load balancer");
    let unavailable = || {
        note(
            "Warning",
            "UnAvailableLoadBalancer",
            "There are no available nodes for LoadBalancer",
        )
    };
    match (previous, next) {
        (Some(Decision::Publish(_)), Decision::Publish(ips)) if ips.is_empty() => {
            vec![unavailable()]
        }
        (Some(Decision::Publish(_)), Decision::Publish(_)) => vec![note(
            "Normal",
            "UpdatedLoadBalancer",
            "Updated load balancer with new hosts",
        )],
        (_, Decision::Publish(ips)) => {
            let mut notes = vec![ensuring()];
            if ips.is_empty() {
                notes.push(unavailable());
            }
            notes.push(note(
                "Normal",
                "EnsuredLoadBalancer",
                "Ensured load balancer",
            ));
            notes
        }
        (_, Decision::Blocked(conflicts)) => {
            let why: Vec<String> = conflicts
                .iter()
                .map(|c| {
                    format!(
                        "port {} is already in use by LoadBalancer Service {}",
                        c.port, c.holder
                    )
                })
                .collect();
            vec![
                ensuring(),
                note(
                    "Warning",
                    "SyncLoadBalancerFailed",
                    format!(
                        "Error syncing load balancer: failed to ensure load balancer: {}",
                        why.join("; ")
                    ),
                ),
            ]
        }
        (_, Decision::Release) => vec![
            note("Normal", "DeletingLoadBalancer", "Deleting load balancer"),
            note("Normal", "DeletedLoadBalancer", "Deleted load balancer"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        NodeAddress, NodeCondition, NodeStatus, ServicePort, ServiceSpec, ServiceStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, ManagedFieldsEntry};

    use crate::fixtures::{labels, service, time};

    /// LoadBalancer Service `name` in `default`, created at minute `minute` of 2024-01-01, with
    /// `ports` such as `"80/TCP"`.
    fn lb(name: &str, minute: u32, ports: &[&str]) -> Service {
        let mut svc = service();
        svc.metadata.name = Some(name.into());
        svc.metadata.uid = Some(format!("{name}-uid"));
        svc.metadata.creation_timestamp = Some(time(&format!("2024-01-01T00:{minute:02}:00Z")));
        let spec = svc.spec.get_or_insert_with(ServiceSpec::default);
        spec.type_ = Some("LoadBalancer".into());
        spec.ports = Some(
            ports
                .iter()
                .map(|p| {
                    let (port, protocol) = p.split_once('/').unwrap();
                    ServicePort {
                        port: port.parse().unwrap(),
                        protocol: Some(protocol.into()),
                        ..Default::default()
                    }
                })
                .collect(),
        );
        svc
    }

    /// `svc` as this controller left it after publishing `ips`.
    fn published(mut svc: Service, ips: &[&str]) -> Service {
        let ingress = ips
            .iter()
            .map(|ip| LoadBalancerIngress {
                ip: Some(ip.to_string()),
                ip_mode: Some("VIP".into()),
                ..Default::default()
            })
            .collect();
        svc.status = Some(ServiceStatus {
            load_balancer: Some(k8s_openapi::api::core::v1::LoadBalancerStatus {
                ingress: Some(ingress),
            }),
            ..Default::default()
        });
        svc.metadata.managed_fields = Some(vec![ManagedFieldsEntry {
            manager: Some(SERVICE_LB_CONTROLLER.into()),
            operation: Some("Update".into()),
            subresource: Some("status".into()),
            fields_type: Some("FieldsV1".into()),
            fields_v1: Some(FieldsV1(
                json!({"f:status": {"f:loadBalancer": {"f:ingress": {}}}}),
            )),
            ..Default::default()
        }]);
        svc
    }

    fn with<F: FnOnce(&mut ServiceSpec)>(mut svc: Service, f: F) -> Service {
        f(svc.spec.as_mut().unwrap());
        svc
    }

    /// Node `name`, Ready as `ready` says, with `addresses` such as `"InternalIP=10.0.0.1"`.
    fn node(name: &str, ready: &str, addresses: &[&str]) -> Node {
        Node {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            spec: None,
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: ready.into(),
                    ..Default::default()
                }]),
                addresses: Some(
                    addresses
                        .iter()
                        .map(|a| {
                            let (type_, address) = a.split_once('=').unwrap();
                            NodeAddress {
                                type_: type_.into(),
                                address: address.into(),
                            }
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
        }
    }

    fn n1() -> Node {
        node("n1", "True", &["InternalIP=10.0.0.1", "Hostname=n1"])
    }

    /// The plan in text: `name: 10.0.0.1 10.0.0.2`, `name: pending (80/TCP held by default/a)`,
    /// `name: release`.
    fn check(services: &[Service], nodes: &[Node], want: &[&str]) {
        let services: Vec<&Service> = services.iter().collect();
        let nodes: Vec<&Node> = nodes.iter().collect();
        let got: Vec<String> = plan_load_balancers(&services, &nodes)
            .into_iter()
            .map(|(key, d)| {
                let what = match d {
                    Decision::Publish(ips) => {
                        ips.iter().map(|ip| format!(" {ip}")).collect::<String>()
                    }
                    Decision::Blocked(c) => {
                        let c: Vec<String> = c
                            .iter()
                            .map(|c| format!("{} held by {}", c.port, c.holder))
                            .collect();
                        format!(" pending ({})", c.join(", "))
                    }
                    Decision::Release => " release".into(),
                };
                format!("{}:{what}", key.name)
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn publishes_ready_node_ips() {
        let cases: Vec<(&str, Vec<Node>, Vec<&str>)> = vec![
            ("one node", vec![n1()], vec!["a: 10.0.0.1"]),
            (
                "sorted as addresses, deduplicated",
                vec![
                    node("n2", "True", &["InternalIP=10.0.0.10"]),
                    node("n3", "True", &["InternalIP=10.0.0.9"]),
                    node("n4", "True", &["InternalIP=10.0.0.9"]),
                ],
                vec!["a: 10.0.0.9 10.0.0.10"],
            ),
            (
                "ExternalIP wins over InternalIP",
                vec![node(
                    "n1",
                    "True",
                    &["InternalIP=10.0.0.1", "ExternalIP=203.0.113.7"],
                )],
                vec!["a: 203.0.113.7"],
            ),
            (
                "not ready nodes serve nothing",
                vec![
                    n1(),
                    node("n2", "False", &["InternalIP=10.0.0.2"]),
                    node("n3", "Unknown", &["InternalIP=10.0.0.3"]),
                ],
                vec!["a: 10.0.0.1"],
            ),
            ("no ready node", vec![], vec!["a:"]),
            (
                "a node without an address",
                vec![node("n1", "True", &["Hostname=n1"])],
                vec!["a:"],
            ),
            (
                "IPv6 addresses of an IPv4 Service are left out",
                vec![node(
                    "n1",
                    "True",
                    &["InternalIP=10.0.0.1", "InternalIP=fd00::1"],
                )],
                vec!["a: 10.0.0.1"],
            ),
        ];
        for (what, nodes, want) in cases {
            eprintln!("{what}");
            check(&[lb("a", 0, &["80/TCP"])], &nodes, &want);
        }
        let mut excluded = node("n2", "True", &["InternalIP=10.0.0.2"]);
        excluded.metadata.labels = Some(labels(&[(LABEL_EXCLUDE_FROM_LB, "")]));
        check(
            &[lb("a", 0, &["80/TCP"])],
            &[n1(), excluded],
            &["a: 10.0.0.1"],
        );
        let dual = node("n1", "True", &["InternalIP=10.0.0.1", "InternalIP=fd00::1"]);
        let v6 = with(lb("v6", 0, &["80/TCP"]), |s| {
            s.ip_families = Some(vec!["IPv6".into()])
        });
        let both = with(lb("both", 0, &["81/TCP"]), |s| {
            s.ip_families = Some(vec!["IPv4".into(), "IPv6".into()])
        });
        check(
            &[v6, both],
            &[dual],
            &["both: 10.0.0.1 fd00::1", "v6: fd00::1"],
        );
    }

    #[test]
    fn ports_go_to_one_service() {
        type Case = (&'static str, Vec<Service>, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            (
                "the older Service holds the port",
                vec![lb("b", 1, &["80/TCP"]), lb("a", 2, &["80/TCP"])],
                vec!["a: pending (80/TCP held by default/b)", "b: 10.0.0.1"],
            ),
            (
                "same creation time: by name",
                vec![lb("b", 1, &["80/TCP"]), lb("a", 1, &["80/TCP"])],
                vec!["a: 10.0.0.1", "b: pending (80/TCP held by default/a)"],
            ),
            (
                "another namespace is no different",
                vec![lb("a", 1, &["80/TCP"]), {
                    let mut s = lb("a", 2, &["80/TCP"]);
                    s.metadata.namespace = Some("other".into());
                    s
                }],
                vec!["a: 10.0.0.1", "a: pending (80/TCP held by default/a)"],
            ),
            (
                "other protocols and ports do not conflict",
                vec![
                    lb("a", 1, &["53/UDP"]),
                    lb("b", 2, &["53/TCP"]),
                    lb("c", 3, &["54/UDP"]),
                ],
                vec!["a: 10.0.0.1", "b: 10.0.0.1", "c: 10.0.0.1"],
            ),
            (
                "a blocked Service holds none of its ports",
                vec![
                    lb("a", 1, &["80/TCP"]),
                    lb("b", 2, &["80/TCP", "443/TCP"]),
                    lb("c", 3, &["443/TCP"]),
                ],
                vec![
                    "a: 10.0.0.1",
                    "b: pending (80/TCP held by default/a)",
                    "c: 10.0.0.1",
                ],
            ),
            (
                "every conflict is named",
                vec![
                    lb("a", 1, &["80/TCP"]),
                    lb("b", 2, &["443/TCP"]),
                    lb("c", 3, &["443/TCP", "80/TCP"]),
                ],
                vec![
                    "a: 10.0.0.1",
                    "b: 10.0.0.1",
                    "c: pending (80/TCP held by default/a, 443/TCP held by default/b)",
                ],
            ),
            (
                "a published Service keeps its port against an older one",
                vec![
                    lb("old", 1, &["80/TCP"]),
                    published(lb("young", 2, &["80/TCP"]), &["10.0.0.1"]),
                ],
                vec![
                    "old: pending (80/TCP held by default/young)",
                    "young: 10.0.0.1",
                ],
            ),
            (
                "two published Services: the older keeps the port",
                vec![
                    published(lb("old", 1, &["80/TCP"]), &["10.0.0.1"]),
                    published(lb("young", 2, &["80/TCP"]), &["10.0.0.1"]),
                ],
                vec![
                    "old: 10.0.0.1",
                    "young: pending (80/TCP held by default/old)",
                ],
            ),
            (
                "the holder is gone: the next one gets the port",
                vec![lb("b", 2, &["80/TCP"]), lb("c", 3, &["80/TCP"])],
                vec!["b: 10.0.0.1", "c: pending (80/TCP held by default/b)"],
            ),
            (
                "a deleting holder lets go",
                vec![
                    {
                        let mut s = published(lb("a", 1, &["80/TCP"]), &["10.0.0.1"]);
                        s.metadata.deletion_timestamp = Some(time("2024-01-02T00:00:00Z"));
                        s
                    },
                    lb("b", 2, &["80/TCP"]),
                ],
                vec!["a: release", "b: 10.0.0.1"],
            ),
        ];
        for (what, services, want) in cases {
            eprintln!("{what}");
            check(&services, &[n1()], &want);
        }
    }

    #[test]
    fn only_classless_load_balancers_are_ours() {
        type Case = (&'static str, Vec<Service>, Vec<&'static str>);
        let classed = |s| {
            with(s, |s: &mut ServiceSpec| {
                s.load_balancer_class = Some("example.com/lb".into())
            })
        };
        let cluster_ip = |s| with(s, |s: &mut ServiceSpec| s.type_ = Some("ClusterIP".into()));
        let cases: Vec<Case> = vec![
            (
                "a ClusterIP Service",
                vec![cluster_ip(lb("a", 1, &["80/TCP"]))],
                vec![],
            ),
            (
                "a classed Service neither gets nor holds a port",
                vec![classed(lb("a", 1, &["80/TCP"])), lb("b", 2, &["80/TCP"])],
                vec!["b: 10.0.0.1"],
            ),
            (
                "a classed Service's ingress belongs to its implementation",
                vec![{
                    let mut s = classed(published(lb("a", 1, &["80/TCP"]), &["1.2.3.4"]));
                    s.metadata.managed_fields = None;
                    s
                }],
                vec![],
            ),
            (
                "no longer a LoadBalancer: ours is released, the port freed",
                vec![
                    cluster_ip(published(lb("a", 1, &["80/TCP"]), &["10.0.0.1"])),
                    lb("b", 2, &["80/TCP"]),
                ],
                vec!["a: release", "b: 10.0.0.1"],
            ),
            (
                "now of another class: ours is released",
                vec![classed(published(lb("a", 1, &["80/TCP"]), &["10.0.0.1"]))],
                vec!["a: release"],
            ),
            (
                "released already",
                vec![cluster_ip(published(lb("a", 1, &["80/TCP"]), &[]))],
                vec![],
            ),
        ];
        for (what, services, want) in cases {
            eprintln!("{what}");
            check(&services, &[n1()], &want);
        }
    }

    #[test]
    fn status_patches() {
        let a = lb("a", 1, &["80/TCP"]);
        let ips = |s: &[&str]| s.iter().map(|ip| ip.parse().unwrap()).collect();
        let two = Decision::Publish(ips(&["10.0.0.1", "10.0.0.2"]));
        let blocked = Decision::Blocked(Vec::new());
        let cases: Vec<(&str, Service, Decision, Option<Value>)> = vec![
            (
                "first publish",
                a.clone(),
                two.clone(),
                Some(json!({"status": {"loadBalancer": {"ingress": [
                    {"ip": "10.0.0.1", "ipMode": "VIP"}, {"ip": "10.0.0.2", "ipMode": "VIP"}]}}})),
            ),
            (
                "unchanged",
                published(a.clone(), &["10.0.0.1", "10.0.0.2"]),
                two.clone(),
                None,
            ),
            (
                "a node IP changed",
                published(a.clone(), &["10.0.0.1", "10.0.0.3"]),
                two.clone(),
                Some(json!({"status": {"loadBalancer": {"ingress": [
                    {"ip": "10.0.0.1", "ipMode": "VIP"}, {"ip": "10.0.0.2", "ipMode": "VIP"}]}}})),
            ),
            (
                "no node any more",
                published(a.clone(), &["10.0.0.1"]),
                Decision::Publish(Vec::new()),
                Some(json!({"status": {"loadBalancer": {"ingress": null}}})),
            ),
            ("blocked and pending", a.clone(), blocked.clone(), None),
            (
                "blocked after holding",
                published(a.clone(), &["10.0.0.1"]),
                blocked,
                Some(json!({"status": {"loadBalancer": {"ingress": null}}})),
            ),
            (
                "released",
                published(a.clone(), &["10.0.0.1"]),
                Decision::Release,
                Some(json!({"status": {"loadBalancer": {"ingress": null}}})),
            ),
        ];
        for (what, svc, decision, want) in cases {
            assert_eq!(status_patch(&svc, &decision), want, "{what}");
        }
    }

    #[test]
    fn events_follow_upstream() {
        let ip = |s: &str| Decision::Publish(vec![s.parse().unwrap()]);
        let none = Decision::Publish(Vec::new());
        let blocked = |holder: &str| {
            Decision::Blocked(vec![
                Conflict {
                    port: NodePortKey {
                        port: 80,
                        protocol: "TCP".into(),
                    },
                    holder: ObjectKey::new("default", holder),
                },
                Conflict {
                    port: NodePortKey {
                        port: 53,
                        protocol: "UDP".into(),
                    },
                    holder: ObjectKey::new("kube-system", "dns"),
                },
            ])
        };
        let ensuring = "Normal EnsuringLoadBalancer: Ensuring load balancer";
        let ensured = "Normal EnsuredLoadBalancer: Ensured load balancer";
        let unavailable =
            "Warning UnAvailableLoadBalancer: There are no available nodes for LoadBalancer";
        let failed = "Warning SyncLoadBalancerFailed: Error syncing load balancer: failed to \
                      ensure load balancer: port 80/TCP is already in use by LoadBalancer \
                      Service default/web; port 53/UDP is already in use by LoadBalancer \
                      Service kube-system/dns";
        let cases: Vec<(&str, Option<Decision>, Decision, Vec<&str>)> = vec![
            (
                "first publish",
                None,
                ip("10.0.0.1"),
                vec![ensuring, ensured],
            ),
            ("unchanged", Some(ip("10.0.0.1")), ip("10.0.0.1"), vec![]),
            (
                "node IPs changed",
                Some(ip("10.0.0.1")),
                ip("10.0.0.2"),
                vec!["Normal UpdatedLoadBalancer: Updated load balancer with new hosts"],
            ),
            (
                "nodes gone",
                Some(ip("10.0.0.1")),
                none.clone(),
                vec![unavailable],
            ),
            (
                "published without nodes",
                None,
                none.clone(),
                vec![ensuring, unavailable, ensured],
            ),
            ("blocked", None, blocked("web"), vec![ensuring, failed]),
            (
                "still blocked",
                Some(blocked("web")),
                blocked("web"),
                vec![],
            ),
            (
                "port freed",
                Some(blocked("web")),
                ip("10.0.0.1"),
                vec![ensuring, ensured],
            ),
            (
                "displaced",
                Some(ip("10.0.0.1")),
                blocked("web"),
                vec![ensuring, failed],
            ),
            (
                "released",
                Some(ip("10.0.0.1")),
                Decision::Release,
                vec![
                    "Normal DeletingLoadBalancer: Deleting load balancer",
                    "Normal DeletedLoadBalancer: Deleted load balancer",
                ],
            ),
        ];
        for (what, previous, next, want) in cases {
            let got: Vec<String> = notes(previous.as_ref(), &next)
                .iter()
                .map(|n| format!("{} {}: {}", n.type_, n.reason, n.message))
                .collect();
            assert_eq!(got, want, "{what}");
        }
    }

    #[test]
    fn claims_change_only_with_what_planning_reads() {
        let a = lb("a", 1, &["80/TCP"]);
        let mut labelled = a.clone();
        labelled.metadata.labels = Some(labels(&[("x", "y")]));
        let mut other_port = a.clone();
        other_port.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].port = 81;
        let mut no_protocol = a.clone();
        no_protocol.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].protocol = None;
        assert_eq!(claim(&a), claim(&labelled));
        assert_eq!(claim(&a), claim(&no_protocol), "TCP is the default");
        assert_ne!(claim(&a), claim(&other_port));
        assert_ne!(claim(&a), claim(&published(a.clone(), &["10.0.0.1"])));
        assert!(published_by_us(&published(a.clone(), &["10.0.0.1"])));
        assert!(!published_by_us(&a));
    }
}
