//! Test builders for Services, endpoints and the node.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::node::NodeInfo;
use crate::snapshot::{
    Endpoint, Protocol, ServiceInfo, ServiceName, ServicePort, ServiceState, Snapshot,
};

pub const NODE: &str = "node1";

/// The test node: 10.42.0.1, the Pod network 10.42.0.0/16, Services in 10.43.0.0/16.
pub fn node() -> NodeInfo {
    NodeInfo {
        name: NODE.into(),
        ips: vec![Ipv4Addr::new(10, 42, 0, 1)],
        cluster_cidr: "10.42.0.0/16".parse().unwrap(),
        service_cidr: "10.43.0.0/16".parse().unwrap(),
    }
}

pub fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// A ClusterIP Service `ns/name` on `cluster_ip` with one TCP port `http` 80.
pub fn service(name: &str, cluster_ip: &str) -> ServiceInfo {
    let (ns, name) = name.split_once('/').unwrap();
    ServiceInfo {
        name: ServiceName::new(ns, name),
        cluster_ip: ip(cluster_ip),
        ports: vec![port("http", Protocol::Tcp, 80, None)],
        external_ips: vec![],
        load_balancer_ips: vec![],
        load_balancer: false,
        affinity_timeout: None,
        internal_local: false,
        external_local: false,
    }
}

pub fn port(name: &str, protocol: Protocol, port: u16, node_port: Option<u16>) -> ServicePort {
    ServicePort {
        name: name.into(),
        protocol,
        port,
        node_port,
    }
}

/// A ready endpoint on this node.
pub fn ep(addr: &str, port: u16) -> Endpoint {
    Endpoint {
        ip: ip(addr),
        port,
        ready: true,
        serving: true,
        terminating: false,
        node_name: Some(NODE.into()),
    }
}

/// A ready endpoint on another node.
pub fn remote_ep(addr: &str, port: u16) -> Endpoint {
    Endpoint {
        node_name: Some("node2".into()),
        ..ep(addr, port)
    }
}

/// `svc` with `endpoints` for its ports, by port name.
pub fn state(svc: ServiceInfo, endpoints: &[(&str, Vec<Endpoint>)]) -> ServiceState {
    let endpoints = endpoints
        .iter()
        .map(|(name, eps)| {
            let proto = svc
                .ports
                .iter()
                .find(|p| p.name == *name)
                .map(|p| p.protocol)
                .unwrap();
            ((name.to_string(), proto), eps.clone())
        })
        .collect::<BTreeMap<_, _>>();
    ServiceState {
        service: svc,
        endpoints,
    }
}

pub fn snapshot(states: impl IntoIterator<Item = ServiceState>) -> Snapshot {
    states
        .into_iter()
        .map(|s| (s.service.name.clone(), s))
        .collect()
}

/// The lab-like cluster the golden files and tracer tests use.
pub fn sample() -> Snapshot {
    let mut np = service("default/whoami-np", "10.43.0.20");
    np.ports = vec![port("http", Protocol::Tcp, 8011, Some(30010))];
    let mut lb = service("default/whoami-lb", "10.43.0.30");
    lb.ports = vec![port("http", Protocol::Tcp, 8080, Some(31080))];
    lb.load_balancer = true;
    lb.load_balancer_ips = vec![ip("10.42.0.1")];
    let mut sticky = service("default/sticky", "10.43.0.40");
    sticky.affinity_timeout = Some(10800);
    let mut dns = service("kube-system/dns", "10.43.0.10");
    dns.ports = vec![
        port("dns", Protocol::Udp, 53, None),
        port("dns-tcp", Protocol::Tcp, 53, None),
    ];
    snapshot([
        state(
            service("default/whoami", "10.43.0.11"),
            &[("http", vec![ep("10.42.0.5", 80), ep("10.42.0.6", 80)])],
        ),
        state(service("default/empty", "10.43.0.12"), &[]),
        state(np, &[("http", vec![ep("10.42.0.5", 80)])]),
        state(lb, &[("http", vec![ep("10.42.0.6", 80)])]),
        state(
            sticky,
            &[("http", vec![ep("10.42.0.5", 80), ep("10.42.0.6", 80)])],
        ),
        state(
            dns,
            &[
                ("dns", vec![ep("10.42.0.7", 53)]),
                ("dns-tcp", vec![ep("10.42.0.7", 53)]),
            ],
        ),
    ])
}
