//! Stale UDP conntrack entries. UDP has no connections, so after the rules change a client
//! that keeps its source port keeps hitting the conntrack entry of the old decision: a removed
//! endpoint, or the reject of a Service that had none (kubernetes#19029, #48370). As kube-proxy
//! does, when a UDP Service port loses an endpoint the flows DNATed to it are deleted, and when
//! it goes from no endpoints to some, every flow to its addresses is deleted. `stale_flows`
//! decides (pure); `delete` runs `conntrack -D`.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::process::Stdio;

use tokio::process::Command;

use crate::error::Error;
use crate::plan::usable;
use crate::snapshot::{Protocol, ServiceState};

/// A `conntrack -D -p udp` filter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flow {
    pub orig_dst: Option<Ipv4Addr>,
    pub orig_port_dst: Option<u16>,
    pub dst_nat: Option<Ipv4Addr>,
}

impl Flow {
    /// The `conntrack` arguments.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["-D".to_string(), "-p".into(), "udp".into()];
        if let Some(ip) = self.orig_dst {
            args.extend(["--orig-dst".into(), ip.to_string()]);
        }
        if let Some(port) = self.orig_port_dst {
            args.extend(["--orig-port-dst".into(), port.to_string()]);
        }
        if let Some(ip) = self.dst_nat {
            args.extend(["--dst-nat".into(), ip.to_string()]);
        }
        args
    }
}

/// The addresses and node ports a UDP Service port is reached on, and the endpoint IPs it uses.
struct UdpPort {
    ips: Vec<Ipv4Addr>,
    node_port: Option<u16>,
    endpoints: BTreeSet<Ipv4Addr>,
}

fn udp_ports(state: Option<&ServiceState>) -> Vec<(String, UdpPort)> {
    let Some(state) = state else {
        return Vec::new();
    };
    let svc = &state.service;
    svc.ports
        .iter()
        .filter(|p| p.protocol == Protocol::Udp)
        .map(|p| {
            let mut ips = vec![svc.cluster_ip];
            ips.extend(&svc.external_ips);
            ips.extend(&svc.load_balancer_ips);
            if svc.load_balancer {
                ips.push(Ipv4Addr::LOCALHOST);
            }
            let endpoints = usable(state.endpoints_of(p).iter())
                .into_iter()
                .map(|e| e.ip)
                .collect();
            (
                p.name.clone(),
                UdpPort {
                    ips,
                    node_port: p.node_port,
                    endpoints,
                },
            )
        })
        .collect()
}

/// The flows to delete after a Service changed from `old` to `new`.
pub fn stale_flows(old: Option<&ServiceState>, new: Option<&ServiceState>) -> Vec<Flow> {
    let old_ports = udp_ports(old);
    let new_ports = udp_ports(new);
    let mut flows = BTreeSet::new();
    for (name, before) in &old_ports {
        let after = new_ports.iter().find(|(n, _)| n == name).map(|(_, p)| p);
        let kept = after.map(|a| &a.endpoints);
        for ep in &before.endpoints {
            if kept.is_some_and(|k| k.contains(ep)) {
                continue;
            }
            for ip in &before.ips {
                flows.insert(Flow {
                    orig_dst: Some(*ip),
                    orig_port_dst: None,
                    dst_nat: Some(*ep),
                });
            }
            if let Some(port) = before.node_port {
                flows.insert(Flow {
                    orig_dst: None,
                    orig_port_dst: Some(port),
                    dst_nat: Some(*ep),
                });
            }
        }
    }
    for (name, after) in &new_ports {
        let had = old_ports
            .iter()
            .find(|(n, _)| n == name)
            .is_some_and(|(_, p)| !p.endpoints.is_empty());
        if had || after.endpoints.is_empty() {
            continue;
        }
        for ip in &after.ips {
            flows.insert(Flow {
                orig_dst: Some(*ip),
                orig_port_dst: None,
                dst_nat: None,
            });
        }
        if let Some(port) = after.node_port {
            flows.insert(Flow {
                orig_dst: None,
                orig_port_dst: Some(port),
                dst_nat: None,
            });
        }
    }
    flows.into_iter().collect()
}

/// Deletes the entries matching `flow`. conntrack exits 1 when nothing matched, which is fine.
pub async fn delete(flow: &Flow) -> Result<(), Error> {
    let path = ["/usr/sbin/conntrack", "/sbin/conntrack"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("conntrack");
    let out = Command::new(path)
        .args(flow.args())
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| Error::Command {
            command: "conntrack",
            message: format!("cannot run conntrack: {e}"),
        })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() || stderr.contains("0 flow entries") {
        Ok(())
    } else {
        Err(Error::Command {
            command: "conntrack",
            message: stderr.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Endpoint, ServiceInfo, ServiceName, ServicePort};
    use std::collections::BTreeMap;

    fn state(proto: Protocol, eps: &[[u8; 4]]) -> ServiceState {
        ServiceState {
            service: ServiceInfo {
                name: ServiceName::new("ns", "dns"),
                cluster_ip: Ipv4Addr::new(10, 43, 0, 10),
                ports: vec![ServicePort {
                    name: "dns".into(),
                    protocol: proto,
                    port: 53,
                    node_port: Some(30053),
                }],
                external_ips: vec![],
                load_balancer_ips: vec![],
                load_balancer: false,
                affinity_timeout: None,
                internal_local: false,
                external_local: false,
            },
            endpoints: BTreeMap::from([(
                ("dns".to_string(), proto),
                eps.iter()
                    .map(|ip| Endpoint {
                        ip: Ipv4Addr::from(*ip),
                        port: 53,
                        ready: true,
                        serving: true,
                        terminating: false,
                        node_name: None,
                    })
                    .collect(),
            )]),
        }
    }

    fn flow(dst: Option<[u8; 4]>, port: Option<u16>, nat: Option<[u8; 4]>) -> Flow {
        Flow {
            orig_dst: dst.map(Ipv4Addr::from),
            orig_port_dst: port,
            dst_nat: nat.map(Ipv4Addr::from),
        }
    }

    #[test]
    fn stale_udp_flows() {
        let cip = [10, 43, 0, 10];
        let (a, b) = ([10, 42, 0, 5], [10, 42, 0, 6]);
        let udp = Protocol::Udp;
        type Case = (
            &'static str,
            Option<ServiceState>,
            Option<ServiceState>,
            Vec<Flow>,
        );
        let cases: Vec<Case> = vec![
            (
                "an endpoint removed",
                Some(state(udp, &[a, b])),
                Some(state(udp, &[a])),
                vec![
                    flow(None, Some(30053), Some(b)),
                    flow(Some(cip), None, Some(b)),
                ],
            ),
            (
                "from none to some",
                Some(state(udp, &[])),
                Some(state(udp, &[a])),
                vec![flow(None, Some(30053), None), flow(Some(cip), None, None)],
            ),
            (
                "a new Service with endpoints",
                None,
                Some(state(udp, &[a])),
                vec![flow(None, Some(30053), None), flow(Some(cip), None, None)],
            ),
            (
                "the Service deleted",
                Some(state(udp, &[a])),
                None,
                vec![
                    flow(None, Some(30053), Some(a)),
                    flow(Some(cip), None, Some(a)),
                ],
            ),
            (
                "an endpoint added",
                Some(state(udp, &[a])),
                Some(state(udp, &[a, b])),
                vec![],
            ),
            (
                "TCP",
                Some(state(Protocol::Tcp, &[a, b])),
                Some(state(Protocol::Tcp, &[])),
                vec![],
            ),
        ];
        for (name, old, new, want) in cases {
            assert_eq!(stale_flows(old.as_ref(), new.as_ref()), want, "{name}");
        }
    }

    #[test]
    fn arguments() {
        assert_eq!(
            flow(Some([10, 43, 0, 10]), None, Some([10, 42, 0, 5])).args(),
            [
                "-D",
                "-p",
                "udp",
                "--orig-dst",
                "10.43.0.10",
                "--dst-nat",
                "10.42.0.5"
            ]
        );
    }
}
