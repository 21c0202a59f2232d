//! Table-driven tests of the planner through the packet tracer: for each cluster and packet,
//! where the first packet goes.

use crate::fixtures::{ep, ip, node, port, remote_ep, sample, service, snapshot, state};
use crate::model::{Container, DataMap, Entry, Key, Match, SharedChain, Stmt};
use crate::plan::plan;
use crate::snapshot::{Endpoint, Protocol, Snapshot};
use crate::trace::{From, Outcome, trace};

use Outcome::{Drop, Pass, Reject};
use Protocol::{Tcp, Udp};

fn to(ep: &str) -> Outcome {
    Outcome::Endpoint(ep.into(), false)
}

fn masq(ep: &str) -> Outcome {
    Outcome::Endpoint(ep.into(), true)
}

type Case<'a> = (&'a str, From, &'a str, Protocol, &'a str, u16, Vec<Outcome>);

fn check(snapshot: &Snapshot, cases: Vec<Case<'_>>) {
    let node = node();
    let ruleset = plan(snapshot, &node);
    for (what, from, src, proto, dst, dport, want) in cases {
        let got = trace(&ruleset, &node, from, src, proto, dst, dport);
        assert_eq!(got, want, "{what}: {src} -> {dst}:{dport}");
    }
}

#[test]
fn the_sample_cluster() {
    let pod = "10.42.0.9";
    let outside = "192.0.2.9";
    let both = vec![to("10.42.0.5:80"), to("10.42.0.6:80")];
    check(
        &sample(),
        vec![
            (
                "pod to ClusterIP",
                From::Network,
                pod,
                Tcp,
                "10.43.0.11",
                80,
                both.clone(),
            ),
            (
                "hairpin: a Pod through its own Service is masqueraded",
                From::Network,
                "10.42.0.5",
                Tcp,
                "10.43.0.11",
                80,
                vec![masq("10.42.0.5:80"), to("10.42.0.6:80")],
            ),
            (
                "node to ClusterIP (source on kl0)",
                From::Node,
                "10.42.0.1",
                Tcp,
                "10.43.0.11",
                80,
                both,
            ),
            (
                "outside the Pod network to ClusterIP is masqueraded",
                From::Network,
                outside,
                Tcp,
                "10.43.0.11",
                80,
                vec![masq("10.42.0.5:80"), masq("10.42.0.6:80")],
            ),
            (
                "no endpoints: rejected",
                From::Network,
                pod,
                Tcp,
                "10.43.0.12",
                80,
                vec![Reject],
            ),
            (
                "no endpoints, from the node",
                From::Node,
                "10.42.0.1",
                Tcp,
                "10.43.0.12",
                80,
                vec![Reject],
            ),
            (
                "no endpoints, another port",
                From::Network,
                pod,
                Tcp,
                "10.43.0.12",
                443,
                vec![Reject],
            ),
            (
                "undefined port of a live ClusterIP",
                From::Network,
                pod,
                Tcp,
                "10.43.0.11",
                81,
                vec![Reject],
            ),
            (
                "undefined port, from the node",
                From::Node,
                "10.42.0.1",
                Udp,
                "10.43.0.11",
                80,
                vec![Reject],
            ),
            (
                "unallocated ClusterIP",
                From::Network,
                pod,
                Tcp,
                "10.43.99.99",
                80,
                vec![Reject],
            ),
            (
                "unallocated ClusterIP, from the node",
                From::Node,
                "10.42.0.1",
                Tcp,
                "10.43.99.99",
                80,
                vec![Reject],
            ),
            (
                "NodePort on localhost",
                From::Node,
                "127.0.0.1",
                Tcp,
                "127.0.0.1",
                30010,
                vec![masq("10.42.0.5:80")],
            ),
            (
                "NodePort on the node IP from outside",
                From::Network,
                outside,
                Tcp,
                "10.42.0.1",
                30010,
                vec![masq("10.42.0.5:80")],
            ),
            (
                "NodePort on the node IP from a Pod",
                From::Network,
                pod,
                Tcp,
                "10.42.0.1",
                30010,
                vec![masq("10.42.0.5:80")],
            ),
            (
                "LoadBalancer port on localhost",
                From::Node,
                "127.0.0.1",
                Tcp,
                "127.0.0.1",
                8080,
                vec![masq("10.42.0.6:80")],
            ),
            (
                "LoadBalancer IP (the node's)",
                From::Network,
                outside,
                Tcp,
                "10.42.0.1",
                8080,
                vec![masq("10.42.0.6:80")],
            ),
            (
                "LoadBalancer's NodePort",
                From::Node,
                "127.0.0.1",
                Tcp,
                "127.0.0.1",
                31080,
                vec![masq("10.42.0.6:80")],
            ),
            (
                "a port nothing uses on the node",
                From::Network,
                outside,
                Tcp,
                "10.42.0.1",
                31999,
                vec![Pass],
            ),
            (
                "localhost from outside is blocked",
                From::Network,
                outside,
                Tcp,
                "127.0.0.1",
                30010,
                vec![Drop],
            ),
            (
                "UDP",
                From::Network,
                pod,
                Udp,
                "10.43.0.10",
                53,
                vec![to("10.42.0.7:53")],
            ),
            (
                "TCP on the same port",
                From::Network,
                pod,
                Tcp,
                "10.43.0.10",
                53,
                vec![to("10.42.0.7:53")],
            ),
            (
                "not a Service at all",
                From::Network,
                pod,
                Tcp,
                "10.42.0.6",
                80,
                vec![Pass],
            ),
        ],
    );
}

#[test]
fn node_ports_without_endpoints() {
    let mut np = service("default/np", "10.43.0.20");
    np.ports = vec![port("http", Tcp, 80, Some(30011))];
    check(
        &snapshot([state(np, &[])]),
        vec![
            (
                "localhost",
                From::Node,
                "127.0.0.1",
                Tcp,
                "127.0.0.1",
                30011,
                vec![Reject],
            ),
            (
                "node IP",
                From::Network,
                "192.0.2.9",
                Tcp,
                "10.42.0.1",
                30011,
                vec![Reject],
            ),
        ],
    );
}

#[test]
fn traffic_policies() {
    let mut etp = service("default/etp", "10.43.0.20");
    etp.ports = vec![port("http", Tcp, 80, Some(30020))];
    etp.external_local = true;
    etp.load_balancer = true;
    let mut itp = service("default/itp", "10.43.0.21");
    itp.internal_local = true;
    let mut itp_mixed = service("default/itp-mixed", "10.43.0.22");
    itp_mixed.internal_local = true;
    let mut etp_here = service("default/etp-here", "10.43.0.23");
    etp_here.ports = vec![port("http", Tcp, 80, Some(30023))];
    etp_here.external_local = true;
    let remote = vec![remote_ep("10.42.1.5", 80)];
    check(
        &snapshot([
            state(etp, &[("http", remote.clone())]),
            state(itp, &[("http", remote.clone())]),
            state(
                itp_mixed,
                &[(
                    "http",
                    vec![ep("10.42.0.5", 80), remote_ep("10.42.1.6", 80)],
                )],
            ),
            state(
                etp_here,
                &[(
                    "http",
                    vec![ep("10.42.0.5", 80), remote_ep("10.42.1.6", 80)],
                )],
            ),
        ]),
        vec![
            (
                "ETP Local, none here: outside is dropped",
                From::Network,
                "192.0.2.9",
                Tcp,
                "10.42.0.1",
                30020,
                vec![Drop],
            ),
            (
                "ETP Local: pods short-circuit to the cluster",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.42.0.1",
                30020,
                vec![to("10.42.1.5:80")],
            ),
            (
                "ETP Local: the node short-circuits, masqueraded",
                From::Node,
                "127.0.0.1",
                Tcp,
                "127.0.0.1",
                30020,
                vec![masq("10.42.1.5:80")],
            ),
            (
                "ETP Local: LoadBalancer on localhost still works",
                From::Node,
                "127.0.0.1",
                Tcp,
                "127.0.0.1",
                80,
                vec![masq("10.42.1.5:80")],
            ),
            (
                "ETP Local: ClusterIP is unaffected",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.20",
                80,
                vec![to("10.42.1.5:80")],
            ),
            (
                "ITP Local, none here: dropped",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.21",
                80,
                vec![Drop],
            ),
            (
                "ITP Local: only the local endpoint",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.22",
                80,
                vec![to("10.42.0.5:80")],
            ),
            (
                "ETP Local: outside keeps its source",
                From::Network,
                "192.0.2.9",
                Tcp,
                "10.42.0.1",
                30023,
                vec![to("10.42.0.5:80")],
            ),
        ],
    );
}

#[test]
fn endpoint_conditions() {
    let terminating = Endpoint {
        ready: false,
        serving: true,
        terminating: true,
        ..ep("10.42.0.5", 80)
    };
    let not_ready = Endpoint {
        ready: false,
        serving: false,
        terminating: false,
        ..ep("10.42.0.6", 80)
    };
    check(
        &snapshot([
            state(
                service("default/rolling", "10.43.0.30"),
                &[("http", vec![terminating.clone()])],
            ),
            state(
                service("default/mixed", "10.43.0.31"),
                &[("http", vec![terminating, ep("10.42.0.7", 80)])],
            ),
            state(
                service("default/starting", "10.43.0.32"),
                &[("http", vec![not_ready])],
            ),
        ]),
        vec![
            (
                "only terminating: still served",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.30",
                80,
                vec![to("10.42.0.5:80")],
            ),
            (
                "ready ones win over terminating",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.31",
                80,
                vec![to("10.42.0.7:80")],
            ),
            (
                "not ready: no endpoints",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.32",
                80,
                vec![Reject],
            ),
        ],
    );
}

#[test]
fn multi_port_and_external_ips() {
    let mut svc = service("default/multi", "10.43.0.40");
    svc.ports = vec![
        port("http", Tcp, 80, None),
        port("metrics", Tcp, 9090, None),
    ];
    svc.external_ips = vec!["192.0.2.100".parse().unwrap()];
    check(
        &snapshot([state(
            svc,
            &[
                ("http", vec![ep("10.42.0.5", 8080)]),
                ("metrics", vec![ep("10.42.0.5", 9100)]),
            ],
        )]),
        vec![
            (
                "first port",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.40",
                80,
                vec![to("10.42.0.5:8080")],
            ),
            (
                "second port",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.40",
                9090,
                vec![to("10.42.0.5:9100")],
            ),
            (
                "externalIP",
                From::Network,
                "192.0.2.9",
                Tcp,
                "192.0.2.100",
                9090,
                vec![masq("10.42.0.5:9100")],
            ),
        ],
    );
}

#[test]
fn client_ip_affinity() {
    let ruleset = plan(&sample(), &node());
    let sticky = ruleset
        .services
        .iter()
        .find(|(n, _)| n.name == "sticky")
        .map(|(_, r)| r)
        .unwrap();
    assert_eq!(sticky.sets.len(), 2);
    assert!(sticky.sets.values().all(|s| s.timeout == 10800));
    for (name, chain) in &sticky.chains {
        if name.starts_with("service-") {
            // Known clients go straight to their endpoint, before the random choice.
            let lookups = chain
                .rules
                .iter()
                .filter(|r| matches!(r.matches.as_slice(), [Match::SaddrInAffinity(_)]))
                .count();
            assert_eq!(lookups, 2, "{name}");
            assert!(matches!(chain.rules.last().unwrap().stmt, Stmt::Numgen(_)));
        } else {
            // Each endpoint remembers the client.
            assert!(
                chain.rules.iter().any(
                    |r| matches!(&r.stmt, Stmt::UpdateAffinity(s) if sticky.sets.contains_key(s))
                ),
                "{name}"
            );
        }
    }
}

#[test]
fn shared_chain_path_spreads_every_entry_point() {
    let mut svc = service("default/three", "10.43.0.50");
    svc.ports = vec![port("http", Tcp, 80, Some(30050))];
    svc.external_ips = vec![ip("192.0.2.100")];
    let eps = vec![
        ep("10.42.0.5", 8080),
        ep("10.42.0.6", 8080),
        remote_ep("10.42.1.7", 8080),
    ];
    let all = vec![
        to("10.42.0.5:8080"),
        to("10.42.0.6:8080"),
        to("10.42.1.7:8080"),
    ];
    let masq_all = vec![
        masq("10.42.0.5:8080"),
        masq("10.42.0.6:8080"),
        masq("10.42.1.7:8080"),
    ];
    let cluster = snapshot([state(svc, &[("http", eps)])]);
    check(
        &cluster,
        vec![
            (
                "pod to ClusterIP: every endpoint",
                From::Network,
                "10.42.0.9",
                Tcp,
                "10.43.0.50",
                80,
                all,
            ),
            (
                "node to ClusterIP from outside the Pod network: masqueraded",
                From::Node,
                "192.0.2.1",
                Tcp,
                "10.43.0.50",
                80,
                masq_all.clone(),
            ),
            (
                "hairpin through the ClusterIP: only the self-connection is masqueraded",
                From::Network,
                "10.42.0.6",
                Tcp,
                "10.43.0.50",
                80,
                vec![
                    to("10.42.0.5:8080"),
                    masq("10.42.0.6:8080"),
                    to("10.42.1.7:8080"),
                ],
            ),
            (
                "externalIP",
                From::Network,
                "10.42.0.9",
                Tcp,
                "192.0.2.100",
                80,
                masq_all.clone(),
            ),
            (
                "NodePort on the node IP",
                From::Network,
                "192.0.2.9",
                Tcp,
                "10.42.0.1",
                30050,
                masq_all.clone(),
            ),
            (
                "NodePort on localhost",
                From::Node,
                "127.0.0.1",
                Tcp,
                "127.0.0.1",
                30050,
                masq_all,
            ),
            (
                "another protocol on the same port is not the Service's",
                From::Network,
                "10.42.0.9",
                Udp,
                "10.43.0.50",
                80,
                vec![Reject],
            ),
        ],
    );

    // The Service brought no chains of its own: only elements and three shared chains.
    let ruleset = plan(&cluster, &node());
    let rules = ruleset.services.values().next().unwrap();
    assert!(rules.chains.is_empty(), "{:?}", rules.chains.keys());
    assert!(rules.sets.is_empty());
    let shared = |entry| SharedChain {
        entry,
        endpoints: 3,
    };
    assert_eq!(
        rules.shared,
        [
            shared(Entry::ClusterIp),
            shared(Entry::External),
            shared(Entry::NodePort)
        ]
        .into()
    );
    assert_eq!(
        ruleset.shared.keys().collect::<Vec<_>>(),
        [
            "cluster-endpoints-3",
            "external-endpoints-3",
            "nodeport-endpoints-3"
        ]
    );
}

#[test]
fn the_tracer_sees_a_missing_endpoint_element() {
    // Without the data-map element for index 1, the DNAT rule does not match for that index:
    // the packet goes on undNATed and the ClusterIP check rejects it.
    let mut ruleset = plan(&sample(), &node());
    let whoami = ruleset
        .services
        .iter_mut()
        .find(|(n, _)| n.name == "whoami")
        .map(|(_, r)| r)
        .unwrap();
    let key = (
        Container::DataMap(DataMap::ServiceEndpoints(Tcp)),
        Key::IpPortIndex(ip("10.43.0.11"), 80, 1),
    );
    assert!(whoami.elements.remove(&key).is_some());
    assert_eq!(
        trace(
            &ruleset,
            &node(),
            From::Network,
            "10.42.0.9",
            Tcp,
            "10.43.0.11",
            80
        ),
        vec![to("10.42.0.5:80"), Reject]
    );
}

#[test]
fn affinity_and_local_external_policy_keep_per_service_chains() {
    let mut etp = service("default/etp", "10.43.0.20");
    etp.ports = vec![port("http", Tcp, 80, Some(30020))];
    etp.external_local = true;
    // Local external policy on a Service nothing reaches from outside changes nothing.
    let mut etp_internal = service("default/etp-internal", "10.43.0.21");
    etp_internal.external_local = true;
    let ruleset = plan(
        &snapshot([
            state(etp, &[("http", vec![ep("10.42.0.5", 80)])]),
            state(etp_internal, &[("http", vec![ep("10.42.0.5", 80)])]),
        ]),
        &node(),
    );
    let rules = |name: &str| {
        ruleset
            .services
            .iter()
            .find(|(n, _)| n.name == name)
            .map(|(_, r)| r)
            .unwrap()
    };
    assert_eq!(
        rules("etp").chains.len(),
        4,
        "service, local, external, endpoint"
    );
    assert!(rules("etp").shared.is_empty());
    assert!(rules("etp-internal").chains.is_empty());
    let sticky = plan(&sample(), &node());
    let sticky = sticky
        .services
        .iter()
        .find(|(n, _)| n.name == "sticky")
        .map(|(_, r)| r)
        .unwrap();
    assert!(sticky.shared.is_empty());
    assert!(
        !sticky
            .elements
            .keys()
            .any(|(c, _)| matches!(c, Container::DataMap(_)))
    );
}

#[test]
fn plans_are_deterministic() {
    assert_eq!(plan(&sample(), &node()), plan(&sample(), &node()));
}
