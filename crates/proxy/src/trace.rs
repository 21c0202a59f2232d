//! A packet tracer over a planned [`Ruleset`] (upstream's `helpers_test.go` tracer, over our
//! typed model): it walks the first packet of a connection through the hooks in kernel order
//! and reports where it ends up. `numgen` forks the walk (per-Service chains and data-map
//! DNAT alike), so every endpoint a packet may reach is reported; an index with no data-map
//! element makes the rule not match, as in the kernel. Affinity sets are empty, as for a first
//! packet.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use crate::model::{Chain, Container, DataMap, Key, Match, Ruleset, Set, Stmt, Value, VmapKey};
use crate::node::NodeInfo;
use crate::plan::{
    FILTER_FORWARD, FILTER_INPUT, FILTER_OUTPUT, FILTER_OUTPUT_POST_DNAT, FILTER_PREROUTING,
    NAT_OUTPUT, NAT_POSTROUTING, NAT_PREROUTING, REJECT_CHAIN,
};
use crate::snapshot::Protocol;
use crate::transaction::claims;

/// Where a packet comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// A process on the node (the output path).
    Node,
    /// A Pod or another host (the prerouting path).
    Network,
}

/// Where a packet ends up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// DNATed to an endpoint, masqueraded or not.
    Endpoint(String, bool),
    /// Not DNATed: delivered or routed as addressed.
    Pass,
    Drop,
    Reject,
}

#[derive(Debug, Clone, PartialEq)]
struct State {
    daddr: Ipv4Addr,
    dport: u16,
    mark: bool,
    dnat: Option<(Ipv4Addr, u16)>,
    masqueraded: bool,
}

/// A chain's end.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// Fell off the end or returned.
    Continue,
    /// A terminal statement that lets the packet go on (NAT).
    Accept,
    Drop,
    Reject,
}

struct Tracer<'a> {
    chains: BTreeMap<String, &'a Chain>,
    elements: BTreeMap<(Container, Key), Value>,
    node: &'a NodeInfo,
    from: From,
    saddr: Ipv4Addr,
    proto: Protocol,
}

impl Tracer<'_> {
    fn is_local(&self, ip: Ipv4Addr) -> bool {
        ip.is_loopback() || self.node.ips.contains(&ip)
    }

    fn matches(&self, m: &Match, s: &State) -> bool {
        match m {
            Match::CtStateNew => true,
            Match::NotFromLoopback => self.from == From::Network,
            Match::DaddrInSet(set) => self
                .elements
                .contains_key(&(Container::Set(*set), Key::Ip(s.daddr))),
            Match::SaddrInAffinity(_) => false,
            Match::Daddr(ip) => s.daddr == *ip,
            Match::DaddrIn(net) => net.contains(&s.daddr),
            Match::Saddr(ip) => self.saddr == *ip,
            Match::SaddrIn(net) => net.contains(&self.saddr),
            Match::SaddrNotIn(net) => !net.contains(&self.saddr),
            Match::FibSaddrLocal => self.is_local(self.saddr),
            Match::L4Proto(p) => self.proto == *p,
            Match::Dport(p, port) => self.proto == *p && s.dport == *port,
            Match::MasqueradeMarkUnset => !s.mark,
            Match::CtStatusDnat => s.dnat.is_some(),
            Match::SaddrDaddrInSet(set) => self
                .elements
                .contains_key(&(Container::Set(*set), Key::IpPair(self.saddr, s.daddr))),
        }
    }

    /// Every way `chain` can end for `s`.
    fn chain(&self, name: &str, s: State) -> Vec<(End, State)> {
        let chain = self
            .chains
            .get(name)
            .unwrap_or_else(|| panic!("a rule refers to the missing chain {name}"));
        self.rules(chain, 0, s)
    }

    fn rules(&self, chain: &Chain, from: usize, mut s: State) -> Vec<(End, State)> {
        for (i, rule) in chain.rules.iter().enumerate().skip(from) {
            if !rule.matches.iter().all(|m| self.matches(m, &s)) {
                continue;
            }
            let target = match &rule.stmt {
                Stmt::Jump(c) => {
                    let mut out = Vec::new();
                    for (end, s2) in self.chain(c, s.clone()) {
                        if end == End::Continue {
                            out.extend(self.rules(chain, i + 1, s2));
                        } else {
                            out.push((end, s2));
                        }
                    }
                    return out;
                }
                Stmt::Goto(c) => return self.chain(c, s),
                Stmt::Return => return vec![(End::Continue, s)],
                Stmt::Drop => return vec![(End::Drop, s)],
                Stmt::Reject => return vec![(End::Reject, s)],
                Stmt::Vmap(key, map) => {
                    let key = match key {
                        VmapKey::DaddrProtoPort => Key::IpProtoPort(s.daddr, self.proto, s.dport),
                        VmapKey::ProtoPort => Key::ProtoPort(self.proto, s.dport),
                    };
                    match self.elements.get(&(Container::Map(*map), key)) {
                        None => continue,
                        Some(Value::Goto(c)) => Some(c.clone()),
                        Some(Value::Reject) => Some(REJECT_CHAIN.to_string()),
                        Some(Value::Drop) => return vec![(End::Drop, s)],
                        Some(Value::None | Value::Endpoint(..)) => {
                            panic!("a verdict map element without a verdict")
                        }
                    }
                }
                Stmt::Numgen(chains) => {
                    return chains
                        .iter()
                        .flat_map(|c| self.chain(c, s.clone()))
                        .collect();
                }
                Stmt::MarkForMasquerade => {
                    s.mark = true;
                    None
                }
                Stmt::ClearMasqueradeMark => {
                    s.mark = false;
                    None
                }
                Stmt::Masquerade => {
                    s.masqueraded = true;
                    return vec![(End::Accept, s)];
                }
                Stmt::UpdateAffinity(_) => None,
                Stmt::Dnat(ip, port) => {
                    s.dnat = Some((*ip, *port));
                    s.daddr = *ip;
                    s.dport = *port;
                    return vec![(End::Accept, s)];
                }
                Stmt::DnatFromMap { map, endpoints } => {
                    return self.dnat_from_map(chain, i, *map, *endpoints, s);
                }
            };
            if let Some(c) = target {
                return self.chain(&c, s);
            }
        }
        vec![(End::Continue, s)]
    }

    /// `dnat ip to <key> . numgen random mod N map @map` in rule `rule` of `chain`: every
    /// index's endpoint, and the rest of the chain if some index has no element.
    fn dnat_from_map(
        &self,
        chain: &Chain,
        rule: usize,
        map: DataMap,
        endpoints: u32,
        s: State,
    ) -> Vec<(End, State)> {
        let (DataMap::ServiceEndpoints(proto) | DataMap::NodePortEndpoints(proto)) = map;
        assert_eq!(
            proto, self.proto,
            "a {map:?} DNAT reached by a {:?} packet: the rule lacks its protocol match",
            self.proto
        );
        let mut out = Vec::new();
        let mut missed = false;
        for i in 0..endpoints {
            let key = match map {
                DataMap::ServiceEndpoints(_) => Key::IpPortIndex(s.daddr, s.dport, i),
                DataMap::NodePortEndpoints(_) => Key::PortIndex(s.dport, i),
            };
            match self.elements.get(&(Container::DataMap(map), key)) {
                Some(Value::Endpoint(ip, port)) => {
                    let mut s = s.clone();
                    s.dnat = Some((*ip, *port));
                    s.daddr = *ip;
                    s.dport = *port;
                    out.push((End::Accept, s));
                }
                Some(other) => panic!("a data map element that is not an endpoint: {other:?}"),
                None => missed = true,
            }
        }
        if missed {
            out.extend(self.rules(chain, rule + 1, s));
        }
        out
    }

    /// Runs the hooks in order; the first drop or reject ends the walk.
    fn hooks(&self, hooks: &[&str], s: State) -> Vec<Result<State, Outcome>> {
        let Some((first, rest)) = hooks.split_first() else {
            return vec![Ok(s)];
        };
        let mut out = Vec::new();
        for (end, s2) in self.chain(first, s) {
            match end {
                End::Drop => out.push(Err(Outcome::Drop)),
                End::Reject => out.push(Err(Outcome::Reject)),
                End::Continue | End::Accept => out.extend(self.hooks(rest, s2)),
            }
        }
        out
    }
}

/// Where the first packet from `saddr` to `daddr:dport` goes.
pub fn trace(
    ruleset: &Ruleset,
    node: &NodeInfo,
    from: From,
    saddr: &str,
    proto: Protocol,
    daddr: &str,
    dport: u16,
) -> Vec<Outcome> {
    let mut chains: BTreeMap<String, &Chain> = ruleset
        .fixed
        .iter()
        .map(|(n, c)| (n.to_string(), c))
        .chain(ruleset.shared.iter().map(|(n, c)| (n.clone(), c)))
        .collect();
    for rules in ruleset.services.values() {
        chains.extend(rules.chains.iter().map(|(n, c)| (n.clone(), c)));
    }
    let mut elements = ruleset.node_elements.clone();
    elements.extend(claims(ruleset).effective().map(|(k, v)| (*k, v.clone())));
    assert!(
        elements
            .keys()
            .any(|(c, _)| *c == Container::Set(Set::NodePortIps)),
        "127.0.0.1 is always a NodePort address"
    );
    let tracer = Tracer {
        chains,
        elements,
        node,
        from,
        saddr: saddr.parse().unwrap(),
        proto,
    };
    let start = State {
        daddr: daddr.parse().unwrap(),
        dport,
        mark: false,
        dnat: None,
        masqueraded: false,
    };
    let before_routing: &[&str] = match from {
        From::Node => &[FILTER_OUTPUT, NAT_OUTPUT, FILTER_OUTPUT_POST_DNAT],
        From::Network => &[FILTER_PREROUTING, NAT_PREROUTING],
    };
    let mut outcomes = Vec::new();
    for routed in tracer.hooks(before_routing, start) {
        let s = match routed {
            Ok(s) => s,
            Err(o) => {
                outcomes.push(o);
                continue;
            }
        };
        // Routing: local addresses take the input path (a node's own packets loop back
        // through lo), everything else is forwarded.
        let after: &[&str] = match (from, tracer.is_local(s.daddr)) {
            (_, true) => &[NAT_POSTROUTING, FILTER_INPUT],
            (From::Network, false) => &[FILTER_FORWARD, NAT_POSTROUTING],
            (From::Node, false) => &[NAT_POSTROUTING],
        };
        for end in tracer.hooks(after, s) {
            outcomes.push(match end {
                Err(o) => o,
                Ok(s) => match s.dnat {
                    Some((ip, port)) => Outcome::Endpoint(format!("{ip}:{port}"), s.masqueraded),
                    None => Outcome::Pass,
                },
            });
        }
    }
    outcomes.sort();
    outcomes.dedup();
    outcomes
}
