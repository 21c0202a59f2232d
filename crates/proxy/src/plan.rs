//! The planner: a [`Snapshot`] and the node in, the whole [`Ruleset`] out. Pure: no IO, no
//! clock, no randomness; the same input always gives the same ruleset.
//!
//! The shape is kube-proxy's nftables mode (`pkg/proxy/nftables/proxier.go`, see README.md for
//! the hooks): one verdict-map lookup on `daddr . proto . port` for ClusterIPs, externalIPs and
//! load-balancer IPs, and one on `proto . port` for NodePorts on the node's addresses. kubelite
//! adds: NodePorts and LoadBalancer ports also answer on 127.0.0.1 (NodePorts through
//! `@nodeport-ips`, LoadBalancer ports as `service-ips` elements for 127.0.0.1), which needs
//! `route_localnet` and masquerade.
//!
//! After the dispatch a Service port takes one of two paths (README.md says why):
//!
//! - the *shared-chain path*, for every port without ClientIP affinity and without
//!   `externalTrafficPolicy: Local` on external entry points: each entry point's element goes
//!   to a chain shared by all entries of its kind with as many endpoints
//!   (`cluster-endpoints-N`, `external-endpoints-N`, `nodeport-endpoints-N`), which marks for
//!   masquerade as the entry needs and DNATs through a data map keyed by the entry point and
//!   `numgen random mod N` to that entry point's endpoint list. Hairpin traffic is caught in
//!   postrouting by `@hairpin-ips`. A Service adds only elements, never chains or rules.
//! - *per-Service chains* (kube-proxy's), for the rest: a chain per Service port choosing an
//!   endpoint with `numgen random` (after the affinity sets), and a chain per endpoint that
//!   marks hairpin traffic for masquerade, records affinity and DNATs.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::model::{
    AffinitySet, BaseChain, Chain, Container, DataMap, Entry, Hook, Key, Map, Match, Rule, Ruleset,
    ServiceRules, Set, SharedChain, Stmt, Value, VmapKey,
};
use crate::names::{
    EXTERNAL_PREFIX, LOCAL_PREFIX, SERVICE_PREFIX, affinity_set, endpoint_chain, service_chain,
};
use crate::node::NodeInfo;
use crate::snapshot::{Endpoint, Protocol, ServicePort, ServicePortName, ServiceState, Snapshot};

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

/// The protocols a Service port can have: each has its own data maps.
pub const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

/// The whole ruleset for `snapshot` on `node`.
pub fn plan(snapshot: &Snapshot, node: &NodeInfo) -> Ruleset {
    let services: BTreeMap<_, _> = snapshot
        .iter()
        .map(|(name, state)| (name.clone(), plan_service(state, node)))
        .collect();
    let shared = services
        .values()
        .flat_map(|rules| rules.shared.iter())
        .map(|sc| (sc.name(), shared_chain(*sc, node)))
        .collect();
    Ruleset {
        fixed: fixed_chains(node),
        shared,
        node_elements: node_elements(node),
        services,
    }
}

/// A shared endpoint chain: the masquerade mark its entry needs, then one DNAT per protocol
/// through that protocol's data map.
pub fn shared_chain(chain: SharedChain, node: &NodeInfo) -> Chain {
    let masquerade = Stmt::Jump(MARK_FOR_MASQUERADE.into());
    let mut rules = vec![match chain.entry {
        // Traffic from outside the Pod network (the node itself, or a host routing the
        // service CIDR here) is masqueraded so replies return through this node.
        Entry::ClusterIp => Rule::new(vec![Match::SaddrNotIn(node.cluster_cidr)], masquerade),
        // External traffic may be sent to another node's endpoint: masquerade so the reply
        // comes back through this one.
        Entry::External | Entry::NodePort => Rule::new(vec![], masquerade),
    }];
    for proto in PROTOCOLS {
        let map = match chain.entry {
            Entry::ClusterIp | Entry::External => DataMap::ServiceEndpoints(proto),
            Entry::NodePort => DataMap::NodePortEndpoints(proto),
        };
        rules.push(Rule::new(
            vec![Match::L4Proto(proto)],
            Stmt::DnatFromMap {
                map,
                endpoints: chain.endpoints,
            },
        ));
    }
    Chain::regular(rules)
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
                vec![
                    Rule::commented(
                        vec![Match::CtStatusDnat, Match::SaddrDaddrInSet(Set::HairpinIps)],
                        Stmt::Jump(MARK_FOR_MASQUERADE.into()),
                        "hairpin: an endpoint reaching itself through its Service",
                    ),
                    Rule::new(vec![], Stmt::Jump(MASQUERADING.into())),
                ],
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

/// One Service's chains, affinity sets, shared chains and elements.
pub fn plan_service(state: &ServiceState, node: &NodeInfo) -> ServiceRules {
    let mut out = ServiceRules::default();
    for port in &state.service.ports {
        let plan = PortPlan::new(state, port, node);
        if plan.shared_path {
            plan.shared(&mut out);
        } else {
            plan.chains(node, &mut out);
        }
    }
    out
}

/// One Service port's entry points and endpoint lists, before they become elements and chains.
struct PortPlan<'a> {
    state: &'a ServiceState,
    spn: ServicePortName,
    proto: Protocol,
    port: u16,
    node_port: Option<u16>,
    /// externalIPs, LoadBalancer IPs, and 127.0.0.1 for LoadBalancer Services.
    external_ips: Vec<Ipv4Addr>,
    cluster_eps: Vec<&'a Endpoint>,
    local_eps: Vec<&'a Endpoint>,
    externally_accessible: bool,
    /// Whether the port takes the shared-chain path (see the module docs).
    shared_path: bool,
}

impl<'a> PortPlan<'a> {
    fn new(state: &'a ServiceState, port: &ServicePort, node: &NodeInfo) -> PortPlan<'a> {
        let svc = &state.service;
        let all = state.endpoints_of(port);
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
        PortPlan {
            state,
            spn: svc.port_name(port),
            proto: port.protocol,
            port: port.port,
            node_port: port.node_port,
            external_ips,
            cluster_eps: usable(all.iter()),
            local_eps: usable(
                all.iter()
                    .filter(|e| e.node_name.as_deref() == Some(node.name.as_str())),
            ),
            externally_accessible,
            shared_path: svc.affinity_timeout.is_none()
                && !(svc.external_local && externally_accessible),
        }
    }

    fn has_endpoints(&self) -> bool {
        !self.cluster_eps.is_empty()
    }

    /// The endpoints for ClusterIP traffic (`internalTrafficPolicy`).
    fn internal_eps(&self) -> &[&'a Endpoint] {
        if self.state.service.internal_local {
            &self.local_eps
        } else {
            &self.cluster_eps
        }
    }

    /// The endpoints for external traffic (`externalTrafficPolicy`).
    fn external_eps(&self) -> &[&'a Endpoint] {
        if self.state.service.external_local {
            &self.local_eps
        } else {
            &self.cluster_eps
        }
    }

    fn ip_key(&self, ip: Ipv4Addr) -> Key {
        Key::IpProtoPort(ip, self.proto, self.port)
    }

    /// The elements both paths share: `@cluster-ips`, and the no-endpoint verdicts. With no
    /// endpoints at all, reject at once; with endpoints elsewhere but none here for a Local
    /// policy, drop, as kube-proxy does.
    fn no_endpoint_elements(&self, out: &mut ServiceRules) {
        let cip = self.state.service.cluster_ip;
        let verdict = if self.has_endpoints() {
            Value::Drop
        } else {
            Value::Reject
        };
        let mut element = |c: Container, key: Key, value: Value| {
            out.elements.insert((c, key), value);
        };
        element(Container::Set(Set::ClusterIps), Key::Ip(cip), Value::None);
        if self.internal_eps().is_empty() {
            element(
                Container::Map(Map::NoEndpointServices),
                self.ip_key(cip),
                verdict.clone(),
            );
        }
        let has_external = !self.external_eps().is_empty();
        for &ip in &self.external_ips {
            // Node traffic to 127.0.0.1 is always short-circuited to the cluster endpoints,
            // so only "no endpoints at all" applies to it.
            if !has_external && (ip != LOCALHOST || !self.has_endpoints()) {
                element(
                    Container::Map(Map::NoEndpointServices),
                    self.ip_key(ip),
                    verdict.clone(),
                );
            }
        }
        if let Some(node_port) = self.node_port
            && !has_external
        {
            element(
                Container::Map(Map::NoEndpointNodePorts),
                Key::ProtoPort(self.proto, node_port),
                verdict,
            );
        }
    }

    /// The shared-chain path: each entry point gets its endpoint list as data-map elements
    /// and a dispatch element to the shared chain for its entry kind and endpoint count.
    fn shared(&self, out: &mut ServiceRules) {
        self.no_endpoint_elements(out);
        let cip = self.state.service.cluster_ip;
        let internal = self.internal_eps();
        if !internal.is_empty() {
            self.ip_entry(out, Entry::ClusterIp, cip, internal);
        }
        // Without `externalTrafficPolicy: Local` external traffic uses the cluster endpoints.
        if !self.has_endpoints() {
            return;
        }
        let eps = &self.cluster_eps;
        for &ip in &self.external_ips {
            self.ip_entry(out, Entry::External, ip, eps);
        }
        if let Some(node_port) = self.node_port {
            self.entry(
                out,
                Entry::NodePort,
                (
                    Container::Map(Map::ServiceNodePorts),
                    Key::ProtoPort(self.proto, node_port),
                ),
                eps,
                |i| {
                    (
                        Container::DataMap(DataMap::NodePortEndpoints(self.proto)),
                        Key::PortIndex(node_port, i),
                    )
                },
            );
        }
    }

    /// An entry point of `@service-ips` (a ClusterIP, externalIP, LoadBalancer IP or 127.0.0.1)
    /// on the shared-chain path: its endpoints keyed `ip . port . i` in the protocol's data map.
    fn ip_entry(&self, out: &mut ServiceRules, entry: Entry, ip: Ipv4Addr, eps: &[&Endpoint]) {
        self.entry(
            out,
            entry,
            (Container::Map(Map::ServiceIps), self.ip_key(ip)),
            eps,
            |i| {
                (
                    Container::DataMap(DataMap::ServiceEndpoints(self.proto)),
                    Key::IpPortIndex(ip, self.port, i),
                )
            },
        );
    }

    /// One entry point on the shared-chain path: `dispatch` goes to the shared chain for
    /// `eps.len()`, and `data(i)` holds the i-th endpoint; each endpoint gets its hairpin pair.
    fn entry(
        &self,
        out: &mut ServiceRules,
        entry: Entry,
        dispatch: (Container, Key),
        eps: &[&Endpoint],
        data: impl Fn(u32) -> (Container, Key),
    ) {
        let chain = SharedChain {
            entry,
            endpoints: u32::try_from(eps.len()).expect("fewer than 2^32 endpoints"),
        };
        out.elements.insert(dispatch, Value::Goto(chain.name()));
        out.shared.insert(chain);
        for (i, e) in (0u32..).zip(eps) {
            out.elements.insert(data(i), Value::Endpoint(e.ip, e.port));
            out.elements.insert(
                (Container::Set(Set::HairpinIps), Key::IpPair(e.ip, e.ip)),
                Value::None,
            );
        }
    }

    /// Per-Service chains, as kube-proxy: a chain per policy (`service-`, `local-`) and for
    /// external traffic (`external-`), and a chain per endpoint.
    fn chains(&self, node: &NodeInfo, out: &mut ServiceRules) {
        self.no_endpoint_elements(out);
        let svc = &self.state.service;
        let spn = &self.spn;
        let proto = self.proto;
        let cip = svc.cluster_ip;
        let has_endpoints = self.has_endpoints();

        // Cluster endpoints are needed for Cluster policies, and for short-circuiting pod and
        // node traffic to external destinations under `externalTrafficPolicy: Local`.
        let uses_cluster = !svc.internal_local || self.externally_accessible;
        let uses_local = svc.internal_local || (svc.external_local && self.externally_accessible);
        let cluster_chain = service_chain(SERVICE_PREFIX, spn);
        let local_chain = service_chain(LOCAL_PREFIX, spn);
        let external_chain = service_chain(EXTERNAL_PREFIX, spn);
        let internal_chain = if svc.internal_local {
            &local_chain
        } else {
            &cluster_chain
        };
        let external_policy_chain = if svc.external_local {
            &local_chain
        } else {
            &cluster_chain
        };
        let has_internal = !self.internal_eps().is_empty();
        let has_external = !self.external_eps().is_empty();
        let uses_external_chain = has_endpoints && self.externally_accessible;

        if has_internal {
            out.elements.insert(
                (Container::Map(Map::ServiceIps), self.ip_key(cip)),
                Value::Goto(internal_chain.clone()),
            );
        }
        if uses_external_chain {
            for &ip in &self.external_ips {
                out.elements.insert(
                    (Container::Map(Map::ServiceIps), self.ip_key(ip)),
                    Value::Goto(external_chain.clone()),
                );
            }
            if let Some(node_port) = self.node_port {
                out.elements.insert(
                    (
                        Container::Map(Map::ServiceNodePorts),
                        Key::ProtoPort(proto, node_port),
                    ),
                    Value::Goto(external_chain.clone()),
                );
            }
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
            policy_chains.push((&cluster_chain, &self.cluster_eps));
            reachable.extend(&self.cluster_eps);
        }
        if uses_local && !self.local_eps.is_empty() {
            policy_chains.push((&local_chain, &self.local_eps));
            reachable.extend(&self.local_eps);
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
                        Match::Dport(proto, self.port),
                        Match::SaddrNotIn(node.cluster_cidr),
                    ],
                    Stmt::Jump(MARK_FOR_MASQUERADE.into()),
                ));
            }
            if let Some(timeout) = svc.affinity_timeout {
                for e in eps.iter() {
                    rules.push(Rule::new(
                        vec![Match::SaddrInAffinity(affinity_set(
                            spn, e.ip, e.port, timeout,
                        ))],
                        Stmt::Goto(endpoint_chain(spn, e.ip, e.port)),
                    ));
                }
            }
            rules.push(Rule::new(
                vec![],
                Stmt::Numgen(
                    eps.iter()
                        .map(|e| endpoint_chain(spn, e.ip, e.port))
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
                let set = affinity_set(spn, e.ip, e.port, timeout);
                rules.push(Rule::new(vec![], Stmt::UpdateAffinity(set.clone())));
                out.sets.insert(set, AffinitySet { timeout });
            }
            rules.push(Rule::new(
                vec![Match::L4Proto(proto)],
                Stmt::Dnat(e.ip, e.port),
            ));
            out.chains
                .insert(endpoint_chain(spn, e.ip, e.port), Chain::regular(rules));
        }
    }
}
