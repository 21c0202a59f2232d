//! The planner: a [`Snapshot`] and the node in, the whole [`Ruleset`] out. Pure: no IO, no
//! clock, no randomness; the same input always gives the same ruleset.
//!
//! The shape is kube-proxy's nftables mode (`pkg/proxy/nftables/proxier.go`, see README.md for
//! the hooks): one verdict-map lookup on `daddr . proto . port` for ClusterIPs, externalIPs and
//! load-balancer IPs, one on `proto . port` for NodePorts on the node's addresses, then a chain
//! per Service port choosing an endpoint with `numgen random`, and a chain per endpoint that
//! marks hairpin traffic for masquerade and DNATs. kubelite adds one thing: NodePorts and
//! LoadBalancer ports also answer on 127.0.0.1 (NodePorts through `@nodeport-ips`, LoadBalancer
//! ports as `service-ips` elements for 127.0.0.1), which needs `route_localnet` and masquerade.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::model::{
    AffinitySet, BaseChain, Chain, Container, Hook, Key, Map, Match, Rule, Ruleset, ServiceRules,
    Set, Stmt, Value, VmapKey,
};
use crate::names::{
    EXTERNAL_PREFIX, LOCAL_PREFIX, SERVICE_PREFIX, affinity_set, endpoint_chain, service_chain,
};
use crate::node::NodeInfo;
use crate::snapshot::{Endpoint, ServiceState, Snapshot};

// The fixed chains.
pub const FILTER_PREROUTING: &str = "filter-prerouting";
pub const FILTER_INPUT: &str = "filter-input";
pub const FILTER_FORWARD: &str = "filter-forward";
pub const FILTER_OUTPUT: &str = "filter-output";
pub const FILTER_OUTPUT_POST_DNAT: &str = "filter-output-post-dnat";
pub const NAT_PREROUTING: &str = "nat-prerouting";
pub const NAT_OUTPUT: &str = "nat-output";
pub const NAT_POSTROUTING: &str = "nat-postrouting";
pub const SERVICES: &str = "services";
pub const SERVICE_ENDPOINTS_CHECK: &str = "service-endpoints-check";
pub const NODEPORT_ENDPOINTS_CHECK: &str = "nodeport-endpoints-check";
pub const CLUSTER_IPS_CHECK: &str = "cluster-ips-check";
pub const REJECT_CHAIN: &str = "reject-chain";
pub const MARK_FOR_MASQUERADE: &str = "mark-for-masquerade";
pub const MASQUERADING: &str = "masquerading";

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The whole ruleset for `snapshot` on `node`.
pub fn plan(snapshot: &Snapshot, node: &NodeInfo) -> Ruleset {
    Ruleset {
        fixed: fixed_chains(node),
        node_elements: node_elements(node),
        services: snapshot
            .iter()
            .map(|(name, state)| (name.clone(), plan_service(state, node)))
            .collect(),
    }
}

fn base(nat: bool, hook: Hook, priority: i32) -> Option<BaseChain> {
    Some(BaseChain {
        nat,
        hook,
        priority,
    })
}

fn jump_if_new(chain: &str) -> Rule {
    Rule::new(vec![Match::CtStateNew], Stmt::Jump(chain.to_string()))
}

/// The chains every node has; only `cluster-ips-check` depends on the node (the service CIDR).
pub fn fixed_chains(node: &NodeInfo) -> BTreeMap<&'static str, Chain> {
    let loopback: Ipv4Net = "127.0.0.0/8".parse().expect("valid net");
    let chain = |base, comment, rules| Chain {
        base,
        comment,
        rules,
    };
    BTreeMap::from([
        (
            FILTER_PREROUTING,
            chain(
                base(false, Hook::Prerouting, -110),
                None,
                vec![Rule::commented(
                    vec![Match::NotFromLoopback, Match::DaddrIn(loopback)],
                    Stmt::Drop,
                    "block incoming localnet connections",
                )],
            ),
        ),
        (
            FILTER_INPUT,
            chain(
                base(false, Hook::Input, -110),
                None,
                vec![
                    jump_if_new(NODEPORT_ENDPOINTS_CHECK),
                    jump_if_new(SERVICE_ENDPOINTS_CHECK),
                ],
            ),
        ),
        (
            FILTER_FORWARD,
            chain(
                base(false, Hook::Forward, -110),
                None,
                vec![
                    jump_if_new(SERVICE_ENDPOINTS_CHECK),
                    jump_if_new(CLUSTER_IPS_CHECK),
                ],
            ),
        ),
        (
            FILTER_OUTPUT,
            chain(
                base(false, Hook::Output, -110),
                None,
                vec![jump_if_new(SERVICE_ENDPOINTS_CHECK)],
            ),
        ),
        (
            FILTER_OUTPUT_POST_DNAT,
            chain(
                base(false, Hook::Output, -90),
                None,
                vec![jump_if_new(CLUSTER_IPS_CHECK)],
            ),
        ),
        (
            NAT_PREROUTING,
            chain(
                base(true, Hook::Prerouting, -100),
                None,
                vec![Rule::new(vec![], Stmt::Jump(SERVICES.into()))],
            ),
        ),
        (
            NAT_OUTPUT,
            chain(
                base(true, Hook::Output, -100),
                None,
                vec![Rule::new(vec![], Stmt::Jump(SERVICES.into()))],
            ),
        ),
        (
            NAT_POSTROUTING,
            chain(
                base(true, Hook::Postrouting, 100),
                None,
                vec![Rule::new(vec![], Stmt::Jump(MASQUERADING.into()))],
            ),
        ),
        (
            SERVICES,
            Chain::regular(vec![
                Rule::new(vec![], Stmt::Vmap(VmapKey::DaddrProtoPort, Map::ServiceIps)),
                Rule::new(
                    vec![Match::DaddrInSet(Set::NodePortIps)],
                    Stmt::Vmap(VmapKey::ProtoPort, Map::ServiceNodePorts),
                ),
            ]),
        ),
        (
            SERVICE_ENDPOINTS_CHECK,
            Chain::regular(vec![Rule::new(
                vec![],
                Stmt::Vmap(VmapKey::DaddrProtoPort, Map::NoEndpointServices),
            )]),
        ),
        (
            NODEPORT_ENDPOINTS_CHECK,
            Chain::regular(vec![Rule::new(
                vec![Match::DaddrInSet(Set::NodePortIps)],
                Stmt::Vmap(VmapKey::ProtoPort, Map::NoEndpointNodePorts),
            )]),
        ),
        (
            CLUSTER_IPS_CHECK,
            Chain::regular(vec![
                Rule::commented(
                    vec![Match::DaddrInSet(Set::ClusterIps)],
                    Stmt::Reject,
                    "reject traffic to undefined ports of ClusterIPs",
                ),
                Rule::commented(
                    vec![Match::DaddrIn(node.service_cidr)],
                    Stmt::Reject,
                    "reject traffic to unallocated ClusterIPs",
                ),
            ]),
        ),
        (
            REJECT_CHAIN,
            chain(
                None,
                Some("helper for @no-endpoint-services / @no-endpoint-nodeports"),
                vec![Rule::new(vec![], Stmt::Reject)],
            ),
        ),
        (
            MARK_FOR_MASQUERADE,
            Chain::regular(vec![Rule::new(vec![], Stmt::MarkForMasquerade)]),
        ),
        (
            MASQUERADING,
            Chain::regular(vec![
                Rule::new(vec![Match::MasqueradeMarkUnset], Stmt::Return),
                Rule::new(vec![], Stmt::ClearMasqueradeMark),
                Rule::new(vec![], Stmt::Masquerade),
            ]),
        ),
    ])
}

/// `@nodeport-ips`: the node's addresses and 127.0.0.1.
pub fn node_elements(node: &NodeInfo) -> BTreeMap<(Container, Key), Value> {
    node.ips
        .iter()
        .copied()
        .chain([LOCALHOST])
        .map(|ip| ((Container::Set(Set::NodePortIps), Key::Ip(ip)), Value::None))
        .collect()
}

/// The endpoints a policy uses: the ready ones, or if there are none, the serving and
/// terminating ones (so a rolling update does not drop connections).
pub(crate) fn usable<'a>(
    endpoints: impl Iterator<Item = &'a Endpoint> + Clone,
) -> Vec<&'a Endpoint> {
    let ready: Vec<&Endpoint> = endpoints.clone().filter(|e| e.ready).collect();
    if !ready.is_empty() {
        return ready;
    }
    endpoints.filter(|e| e.serving && e.terminating).collect()
}

/// One Service's chains, affinity sets and elements.
pub fn plan_service(state: &ServiceState, node: &NodeInfo) -> ServiceRules {
    let svc = &state.service;
    let mut out = ServiceRules::default();
    for port in &svc.ports {
        let spn = svc.port_name(port);
        let proto = port.protocol;
        let all = state.endpoints_of(port);
        let cluster_eps = usable(all.iter());
        let local_eps = usable(
            all.iter()
                .filter(|e| e.node_name.as_deref() == Some(node.name.as_str())),
        );
        let has_endpoints = !cluster_eps.is_empty();

        // LoadBalancer ports answer on 127.0.0.1 too.
        let mut external_ips: Vec<Ipv4Addr> = svc
            .external_ips
            .iter()
            .chain(&svc.load_balancer_ips)
            .copied()
            .collect();
        if svc.load_balancer {
            external_ips.push(LOCALHOST);
        }
        let externally_accessible = port.node_port.is_some() || !external_ips.is_empty();

        // Cluster endpoints are needed for Cluster policies, and for short-circuiting pod and
        // node traffic to external destinations under `externalTrafficPolicy: Local`.
        let uses_cluster = !svc.internal_local || externally_accessible;
        let uses_local = svc.internal_local || (svc.external_local && externally_accessible);
        let cluster_chain = service_chain(SERVICE_PREFIX, &spn);
        let local_chain = service_chain(LOCAL_PREFIX, &spn);
        let external_chain = service_chain(EXTERNAL_PREFIX, &spn);

        let (internal_chain, has_internal) = if svc.internal_local {
            (&local_chain, !local_eps.is_empty())
        } else {
            (&cluster_chain, has_endpoints)
        };
        let (external_policy_chain, has_external) = if svc.external_local {
            (&local_chain, !local_eps.is_empty())
        } else {
            (&cluster_chain, has_endpoints)
        };
        let uses_external_chain = has_endpoints && externally_accessible;
        // With no endpoints at all, reject at once; with endpoints elsewhere but none here for a
        // Local policy, drop, as kube-proxy does.
        let internal_verdict = if has_endpoints {
            Value::Drop
        } else {
            Value::Reject
        };
        let external_verdict = internal_verdict.clone();

        let mut element = |c: Container, key: Key, value: Value| {
            out.elements.insert((c, key), value);
        };
        let cip = svc.cluster_ip;
        element(Container::Set(Set::ClusterIps), Key::Ip(cip), Value::None);
        let ip_key = |ip| Key::IpProtoPort(ip, proto, port.port);
        if has_internal {
            element(
                Container::Map(Map::ServiceIps),
                ip_key(cip),
                Value::Goto(internal_chain.clone()),
            );
        } else {
            element(
                Container::Map(Map::NoEndpointServices),
                ip_key(cip),
                internal_verdict,
            );
        }
        for &ip in &external_ips {
            if uses_external_chain {
                element(
                    Container::Map(Map::ServiceIps),
                    ip_key(ip),
                    Value::Goto(external_chain.clone()),
                );
            }
            // Node traffic to 127.0.0.1 is always short-circuited to the cluster endpoints,
            // so only "no endpoints at all" applies to it.
            if !has_external && (ip != LOCALHOST || !has_endpoints) {
                element(
                    Container::Map(Map::NoEndpointServices),
                    ip_key(ip),
                    external_verdict.clone(),
                );
            }
        }
        if let Some(node_port) = port.node_port {
            let key = Key::ProtoPort(proto, node_port);
            if uses_external_chain {
                element(
                    Container::Map(Map::ServiceNodePorts),
                    key,
                    Value::Goto(external_chain.clone()),
                );
            }
            if !has_external {
                element(
                    Container::Map(Map::NoEndpointNodePorts),
                    key,
                    external_verdict.clone(),
                );
            }
        }

        if uses_external_chain {
            let mut rules = Vec::new();
            if !svc.external_local {
                // Cluster policy may send the packet to another node: masquerade so the
                // reply comes back through this one.
                rules.push(Rule::new(vec![], Stmt::Jump(MARK_FOR_MASQUERADE.into())));
            } else {
                rules.push(Rule::commented(
                    vec![Match::SaddrIn(node.cluster_cidr)],
                    Stmt::Goto(cluster_chain.clone()),
                    "short-circuit pod traffic",
                ));
                rules.push(Rule::commented(
                    vec![Match::FibSaddrLocal],
                    Stmt::Jump(MARK_FOR_MASQUERADE.into()),
                    "masquerade local traffic",
                ));
                rules.push(Rule::commented(
                    vec![Match::FibSaddrLocal],
                    Stmt::Goto(cluster_chain.clone()),
                    "short-circuit local traffic",
                ));
            }
            if has_external {
                rules.push(Rule::new(vec![], Stmt::Goto(external_policy_chain.clone())));
            }
            out.chains
                .insert(external_chain.clone(), Chain::regular(rules));
        }

        let mut reachable: Vec<&Endpoint> = Vec::new();
        let mut policy_chains: Vec<(&String, &Vec<&Endpoint>)> = Vec::new();
        if uses_cluster && has_endpoints {
            policy_chains.push((&cluster_chain, &cluster_eps));
            reachable.extend(&cluster_eps);
        }
        if uses_local && !local_eps.is_empty() {
            policy_chains.push((&local_chain, &local_eps));
            reachable.extend(&local_eps);
        }
        reachable.sort();
        reachable.dedup();

        for (chain, eps) in policy_chains {
            let mut rules = Vec::new();
            if chain == internal_chain && has_internal {
                // Traffic from outside the Pod network (the node itself, or a host routing
                // the service CIDR here) is masqueraded so replies return through this node.
                rules.push(Rule::new(
                    vec![
                        Match::Daddr(cip),
                        Match::Dport(proto, port.port),
                        Match::SaddrNotIn(node.cluster_cidr),
                    ],
                    Stmt::Jump(MARK_FOR_MASQUERADE.into()),
                ));
            }
            if let Some(timeout) = svc.affinity_timeout {
                for e in eps.iter() {
                    rules.push(Rule::new(
                        vec![Match::SaddrInAffinity(affinity_set(
                            &spn, e.ip, e.port, timeout,
                        ))],
                        Stmt::Goto(endpoint_chain(&spn, e.ip, e.port)),
                    ));
                }
            }
            rules.push(Rule::new(
                vec![],
                Stmt::Numgen(
                    eps.iter()
                        .map(|e| endpoint_chain(&spn, e.ip, e.port))
                        .collect(),
                ),
            ));
            out.chains.insert(chain.clone(), Chain::regular(rules));
        }

        for e in reachable {
            let mut rules = vec![Rule::new(
                vec![Match::Saddr(e.ip)],
                Stmt::Jump(MARK_FOR_MASQUERADE.into()),
            )];
            if let Some(timeout) = svc.affinity_timeout {
                let set = affinity_set(&spn, e.ip, e.port, timeout);
                rules.push(Rule::new(vec![], Stmt::UpdateAffinity(set.clone())));
                out.sets.insert(set, AffinitySet { timeout });
            }
            rules.push(Rule::new(
                vec![Match::L4Proto(proto)],
                Stmt::Dnat(e.ip, e.port),
            ));
            out.chains
                .insert(endpoint_chain(&spn, e.ip, e.port), Chain::regular(rules));
        }
    }
    out
}
