//! Transactions: the operations one `nft -f -` run applies atomically. A full sync rewrites
//! every chain and map (repairing whatever drifted) while leaving the affinity sets' contents
//! alone; a partial sync touches only the chains and elements of the Services that changed,
//! and the shared chains that came into use or fell out of it.
//!
//! Order matters to nft: objects are added before anything refers to them, chains are flushed
//! before they are refilled, elements are deleted before a key is re-added with a new value,
//! and sets are deleted only after the rules using them are flushed. Chains are never deleted
//! in the transaction that stops using them: with kernels before 6.2 a chain that a map element
//! referred to stays busy for a moment after the element goes, so stale chains are flushed now
//! and deleted by a later sync (kube-proxy does the same).

use std::collections::{BTreeMap, BTreeSet};

use crate::elements::{ElementChange, Elements};
use crate::model::{
    BaseChain, Chain, Container, DataMap, Key, Map, Rule, Ruleset, ServiceRules, Set, Value,
};
use crate::names::{is_affinity_set, is_collectable_chain};
use crate::shared::SharedChange;
use crate::snapshot::{Protocol, ServiceName};

/// One statement of an nft script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    AddTable,
    DeleteTable,
    AddChain {
        name: String,
        base: Option<BaseChain>,
        comment: Option<&'static str>,
    },
    FlushChain(String),
    DeleteChain(String),
    AddRule {
        chain: String,
        rule: Rule,
    },
    /// Adds a table-wide map or set (with its type and comment).
    AddContainer(Container),
    FlushContainer(Container),
    AddAffinitySet {
        name: String,
        timeout: u32,
    },
    DeleteSet(String),
    AddElement {
        container: Container,
        key: Key,
        value: Value,
    },
    DeleteElement {
        container: Container,
        key: Key,
    },
}

/// Every table-wide map and set.
pub const CONTAINERS: [Container; 13] = [
    Container::Set(Set::ClusterIps),
    Container::Set(Set::NodePortIps),
    Container::Set(Set::HairpinIps),
    Container::Map(Map::ServiceIps),
    Container::Map(Map::ServiceNodePorts),
    Container::Map(Map::NoEndpointServices),
    Container::Map(Map::NoEndpointNodePorts),
    Container::DataMap(DataMap::ServiceEndpoints(Protocol::Tcp)),
    Container::DataMap(DataMap::ServiceEndpoints(Protocol::Udp)),
    Container::DataMap(DataMap::ServiceEndpoints(Protocol::Sctp)),
    Container::DataMap(DataMap::NodePortEndpoints(Protocol::Tcp)),
    Container::DataMap(DataMap::NodePortEndpoints(Protocol::Udp)),
    Container::DataMap(DataMap::NodePortEndpoints(Protocol::Sctp)),
];

/// The chains and sets found in the kernel's table before a full sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Existing {
    pub chains: BTreeSet<String>,
    pub sets: BTreeSet<String>,
}

/// A transaction and the Service chains it made stale (flushed, to be deleted later).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    pub ops: Vec<Op>,
    pub stale_chains: Vec<String>,
}

/// The claims of every Service in `ruleset`.
pub fn claims(ruleset: &Ruleset) -> Elements {
    Elements::of(
        ruleset
            .services
            .iter()
            .map(|(name, rules)| (name, &rules.elements)),
    )
}

/// Rewrites the whole table to `ruleset`: every chain and map is flushed and refilled, so rules
/// or elements someone removed or added come back to the plan. Service and shared chains and
/// affinity sets in `existing` that the plan no longer has are flushed (chains) or deleted
/// (sets); `delete_chains` are stale chains flushed long enough ago to delete now.
pub fn full(
    ruleset: &Ruleset,
    elements: &Elements,
    existing: &Existing,
    delete_chains: &[String],
) -> Transaction {
    let mut ops = vec![Op::AddTable];
    ops.extend(CONTAINERS.into_iter().map(Op::AddContainer));
    let sets: BTreeMap<&String, u32> = ruleset
        .services
        .values()
        .flat_map(|r| r.sets.iter().map(|(n, s)| (n, s.timeout)))
        .collect();
    ops.extend(sets.iter().map(|(name, timeout)| Op::AddAffinitySet {
        name: (*name).clone(),
        timeout: *timeout,
    }));
    let chains: Vec<(String, &Chain)> = ruleset
        .fixed
        .iter()
        .map(|(n, c)| (n.to_string(), c))
        .chain(ruleset.shared.iter().map(|(n, c)| (n.clone(), c)))
        .chain(
            ruleset
                .services
                .values()
                .flat_map(|r| r.chains.iter().map(|(n, c)| (n.clone(), c))),
        )
        .collect();
    for (name, chain) in &chains {
        ops.push(Op::AddChain {
            name: name.clone(),
            base: chain.base,
            comment: chain.comment,
        });
    }
    let planned: BTreeSet<&str> = chains.iter().map(|(n, _)| n.as_str()).collect();
    for (name, _) in &chains {
        ops.push(Op::FlushChain(name.clone()));
    }
    let stale_chains: Vec<String> = existing
        .chains
        .iter()
        .filter(|c| is_collectable_chain(c) && !planned.contains(c.as_str()))
        .cloned()
        .collect();
    ops.extend(stale_chains.iter().cloned().map(Op::FlushChain));
    ops.extend(CONTAINERS.into_iter().map(Op::FlushContainer));
    for (name, chain) in &chains {
        for rule in &chain.rules {
            ops.push(Op::AddRule {
                chain: name.clone(),
                rule: rule.clone(),
            });
        }
    }
    let node_elements = ruleset.node_elements.iter();
    for ((container, key), value) in node_elements.chain(elements.effective()) {
        ops.push(Op::AddElement {
            container: *container,
            key: *key,
            value: value.clone(),
        });
    }
    ops.extend(
        existing
            .sets
            .iter()
            .filter(|s| is_affinity_set(s) && !sets.contains_key(s))
            .cloned()
            .map(Op::DeleteSet),
    );
    ops.extend(
        delete_chains
            .iter()
            .filter(|c| existing.chains.contains(*c) && !planned.contains(c.as_str()))
            .cloned()
            .map(Op::DeleteChain),
    );
    Transaction { ops, stale_chains }
}

/// One Service's fragment before and after a change.
pub struct ServiceChange<'a> {
    pub name: &'a ServiceName,
    pub old: Option<&'a ServiceRules>,
    pub new: Option<&'a ServiceRules>,
}

/// Applies `changes` on top of the table as last synced: only chains whose rules differ are
/// rewritten, only `element_changes` (from [`Elements::replace`]) are written, and only the
/// shared chains in `shared` (from [`SharedChains::update`](crate::shared::SharedChains::update))
/// are created or made stale.
pub fn partial(
    changes: &[ServiceChange<'_>],
    element_changes: &[ElementChange],
    shared: &SharedChange,
    delete_chains: &[String],
) -> Transaction {
    let empty = ServiceRules::default();
    let mut add_sets = Vec::new();
    let mut delete_sets = Vec::new();
    let mut rewrite: Vec<(&String, &Chain)> = shared.added.iter().collect();
    let mut stale_chains = shared.unused.clone();
    for change in changes {
        let old = change.old.unwrap_or(&empty);
        let new = change.new.unwrap_or(&empty);
        for (name, set) in &new.sets {
            if old.sets.get(name) != Some(set) {
                add_sets.push(Op::AddAffinitySet {
                    name: name.clone(),
                    timeout: set.timeout,
                });
            }
        }
        delete_sets.extend(
            old.sets
                .keys()
                .filter(|s| !new.sets.contains_key(*s))
                .cloned()
                .map(Op::DeleteSet),
        );
        for (name, chain) in &new.chains {
            if old.chains.get(name) != Some(chain) {
                rewrite.push((name, chain));
            }
        }
        stale_chains.extend(
            old.chains
                .keys()
                .filter(|c| !new.chains.contains_key(*c))
                .cloned(),
        );
    }
    let mut ops = add_sets;
    for (name, chain) in &rewrite {
        ops.push(Op::AddChain {
            name: (*name).clone(),
            base: chain.base,
            comment: chain.comment,
        });
    }
    for (name, _) in &rewrite {
        ops.push(Op::FlushChain((*name).clone()));
    }
    ops.extend(stale_chains.iter().cloned().map(Op::FlushChain));
    for (name, chain) in &rewrite {
        for rule in &chain.rules {
            ops.push(Op::AddRule {
                chain: (*name).clone(),
                rule: rule.clone(),
            });
        }
    }
    for c in element_changes {
        if c.old.is_some() {
            ops.push(Op::DeleteElement {
                container: c.container,
                key: c.key,
            });
        }
    }
    for c in element_changes {
        if let Some(value) = &c.new {
            ops.push(Op::AddElement {
                container: c.container,
                key: c.key,
                value: value.clone(),
            });
        }
    }
    ops.extend(delete_sets);
    ops.extend(delete_chains.iter().cloned().map(Op::DeleteChain));
    Transaction { ops, stale_chains }
}
