//! The ruleset model: what the planner produces and the renderer turns into nft text. Rules are
//! typed (matches plus one statement) rather than strings, so the packet tracer in the tests
//! can evaluate them.

use std::collections::BTreeMap;
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
}

/// The table-wide verdict maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Map {
    ServiceIps,
    ServiceNodePorts,
    NoEndpointServices,
    NoEndpointNodePorts,
}

/// The table-wide sets (affinity sets are per endpoint, see [`AffinitySet`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Set {
    ClusterIps,
    NodePortIps,
}

/// A map or set an element belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Container {
    Map(Map),
    Set(Set),
}

/// An element's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Ip(Ipv4Addr),
    IpProtoPort(Ipv4Addr, Protocol, u16),
    ProtoPort(Protocol, u16),
}

/// A verdict-map element's value (sets have none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    None,
    Goto(String),
    Drop,
    /// `goto reject-chain`: `reject` itself is not a valid verdict in a map.
    Reject,
}

/// A per-endpoint ClientIP affinity set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AffinitySet {
    pub timeout: u32,
}

/// Everything one Service contributes: its chains, affinity sets and map elements. Chain and
/// set names embed the Service's name, so fragments never share them; elements may collide
/// (two Services claiming one external IP and port) and are resolved by `elements`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceRules {
    pub chains: BTreeMap<String, Chain>,
    pub sets: BTreeMap<String, AffinitySet>,
    pub elements: BTreeMap<(Container, Key), Value>,
}

/// The whole table: the fixed chains (base chains and helpers, which depend only on the node)
/// and each Service's fragment. Elements of the fixed sets that depend on the node (its IPs)
/// are in `node_elements`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruleset {
    pub fixed: BTreeMap<&'static str, Chain>,
    pub node_elements: BTreeMap<(Container, Key), Value>,
    pub services: BTreeMap<ServiceName, ServiceRules>,
}
