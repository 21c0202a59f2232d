//! The ruleset model: what the planner produces and the renderer turns into nft text. Rules are
//! typed (matches plus one statement) rather than strings, so the packet tracer in the tests
//! can evaluate them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::snapshot::{Protocol, ServiceName};

/// The nftables family and table everything lives in.
pub const FAMILY: &str = "ip";
pub const TABLE: &str = "kubelite";

/// The mark bit a packet carries from `mark-for-masquerade` to `masquerading` (kube-proxy's
/// masqueradeBit 14). Not public API.
pub const MASQUERADE_MARK: &str = "0x00004000";

/// A netfilter hook a base chain attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
}

/// A base chain's type, hook and priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseChain {
    pub nat: bool,
    pub hook: Hook,
    /// The priority as a number: `dstnat` is -100 and `srcnat` 100, but nft 1.0.6 accepts
    /// those names only on the prerouting and postrouting hooks.
    pub priority: i32,
}

/// A chain and its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub base: Option<BaseChain>,
    pub comment: Option<&'static str>,
    pub rules: Vec<Rule>,
}

impl Chain {
    pub fn regular(rules: Vec<Rule>) -> Chain {
        Chain {
            base: None,
            comment: None,
            rules,
        }
    }
}

/// Matches, all of which must hold, then one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub matches: Vec<Match>,
    pub stmt: Stmt,
    pub comment: Option<&'static str>,
}

impl Rule {
    pub fn new(matches: Vec<Match>, stmt: Stmt) -> Rule {
        Rule {
            matches,
            stmt,
            comment: None,
        }
    }

    pub fn commented(matches: Vec<Match>, stmt: Stmt, comment: &'static str) -> Rule {
        Rule {
            matches,
            stmt,
            comment: Some(comment),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// `ct state new`
    CtStateNew,
    /// `iifname != "lo"`
    NotFromLoopback,
    /// `ip daddr @set`
    DaddrInSet(Set),
    /// `ip saddr @set` (an affinity set)
    SaddrInAffinity(String),
    /// `ip daddr <ip>`
    Daddr(Ipv4Addr),
    /// `ip daddr <net>`
    DaddrIn(Ipv4Net),
    /// `ip saddr <ip>`
    Saddr(Ipv4Addr),
    /// `ip saddr <net>`
    SaddrIn(Ipv4Net),
    /// `ip saddr != <net>`
    SaddrNotIn(Ipv4Net),
    /// `fib saddr type local`
    FibSaddrLocal,
    /// `meta l4proto <proto>`
    L4Proto(Protocol),
    /// `<proto> dport <port>`
    Dport(Protocol, u16),
    /// `mark and <mark> == 0`
    MasqueradeMarkUnset,
    /// `ct status dnat`
    CtStatusDnat,
    /// `ip saddr . ip daddr @set`
    SaddrDaddrInSet(Set),
}

/// How a verdict map is keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmapKey {
    /// `ip daddr . meta l4proto . th dport`
    DaddrProtoPort,
    /// `meta l4proto . th dport`
    ProtoPort,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    Jump(String),
    Goto(String),
    Return,
    Drop,
    Reject,
    /// `<key> vmap @map`
    Vmap(VmapKey, Map),
    /// `numgen random mod N vmap { 0 : goto c0, … }`
    Numgen(Vec<String>),
    /// `mark set mark or <mark>`
    MarkForMasquerade,
    /// `mark set mark xor <mark>`
    ClearMasqueradeMark,
    /// `masquerade fully-random`
    Masquerade,
    /// `update @set { ip saddr }`
    UpdateAffinity(String),
    /// `dnat to <ip>:<port>` (the rule must match an L4 protocol)
    Dnat(Ipv4Addr, u16),
    /// `dnat ip to <key> . numgen random mod N map @map`: a random endpoint among the N
    /// elements `<key> . 0` … `<key> . N-1` (the rule must match the map's protocol). `<key>`
    /// is `ip daddr . <proto> dport` or `<proto> dport`, as the map is keyed. No element for
    /// the index: the rule does not match.
    DnatFromMap {
        map: DataMap,
        endpoints: u32,
    },
}

/// The table-wide verdict maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Map {
    ServiceIps,
    ServiceNodePorts,
    NoEndpointServices,
    NoEndpointNodePorts,
}

/// The table-wide data maps from an entry point and an index to an endpoint (`ip . port`),
/// one per protocol: nft 1.0.6 cannot add a rule using a map typed by the generic
/// `meta l4proto . th dport` once that map is in the kernel, so each map pins its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataMap {
    /// Keyed `ip daddr . <proto> dport . index`: ClusterIPs, externalIPs, LoadBalancer IPs.
    ServiceEndpoints(Protocol),
    /// Keyed `<proto> dport . index`: NodePorts.
    NodePortEndpoints(Protocol),
}

/// The table-wide sets (affinity sets are per endpoint, see [`AffinitySet`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Set {
    ClusterIps,
    NodePortIps,
    /// `ip . ip` for each endpoint on the shared-chain path: a packet DNATed from that
    /// endpoint to itself (a Pod reaching itself through its Service) is masqueraded.
    HairpinIps,
}

/// A map or set an element belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Container {
    Map(Map),
    DataMap(DataMap),
    Set(Set),
}

/// An element's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Ip(Ipv4Addr),
    IpProtoPort(Ipv4Addr, Protocol, u16),
    ProtoPort(Protocol, u16),
    /// An entry point's `ip . port` and an endpoint index (the protocol is the map's).
    IpPortIndex(Ipv4Addr, u16, u32),
    /// A NodePort and an endpoint index (the protocol is the map's).
    PortIndex(u16, u32),
    /// `ip . ip`
    IpPair(Ipv4Addr, Ipv4Addr),
}

/// An element's value: a verdict (verdict maps), an endpoint (data maps), or none (sets).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    None,
    Goto(String),
    Drop,
    /// `goto reject-chain`: `reject` itself is not a valid verdict in a map.
    Reject,
    /// `ip . port`
    Endpoint(Ipv4Addr, u16),
}

/// Where traffic enters a shared endpoint chain from, which decides its masquerade rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entry {
    /// A ClusterIP (`@service-ips`): masquerade unless from the Pod network.
    ClusterIp,
    /// An externalIP, LoadBalancer IP or 127.0.0.1 (`@service-ips`): always masquerade.
    External,
    /// A NodePort (`@service-nodeports`): always masquerade.
    NodePort,
}

/// A chain every Service port of the shared-chain path with `endpoints` endpoints for an
/// `entry` goes to: it marks for masquerade as the entry needs and DNATs to a random one of
/// the entry point's endpoints in the data maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedChain {
    pub entry: Entry,
    pub endpoints: u32,
}

/// A per-endpoint ClientIP affinity set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AffinitySet {
    pub timeout: u32,
}

/// Everything one Service contributes: its own chains and affinity sets (Services with
/// ClientIP affinity or `externalTrafficPolicy: Local`), the shared chains its elements go to,
/// and its map and set elements. Chain and set names embed the Service's name, so fragments
/// never share them; shared chains are counted by `shared`; elements may collide (two
/// Services claiming one external IP and port, or one endpoint IP in `@hairpin-ips`) and are
/// resolved by `elements`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceRules {
    pub chains: BTreeMap<String, Chain>,
    pub sets: BTreeMap<String, AffinitySet>,
    pub shared: BTreeSet<SharedChain>,
    pub elements: BTreeMap<(Container, Key), Value>,
}

/// The whole table: the fixed chains (base chains and helpers, which depend only on the node),
/// the shared endpoint chains some Service uses, and each Service's fragment. Elements of the
/// fixed sets that depend on the node (its IPs) are in `node_elements`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruleset {
    pub fixed: BTreeMap<&'static str, Chain>,
    pub shared: BTreeMap<String, Chain>,
    pub node_elements: BTreeMap<(Container, Key), Value>,
    pub services: BTreeMap<ServiceName, ServiceRules>,
}
