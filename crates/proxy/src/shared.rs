//! Which shared endpoint chains are in use. A shared chain (`cluster-endpoints-N`, …) exists
//! while at least one Service's elements go to it: a partial sync creates it when its first
//! user appears and makes it stale (flushed now, deleted by a later sync) when its last user
//! goes, so a table never keeps chains for endpoint counts nobody has.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Chain, Ruleset, ServiceRules, SharedChain};
use crate::node::NodeInfo;
use crate::plan::shared_chain;

/// How many Services use each shared chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedChains {
    users: BTreeMap<SharedChain, usize>,
}

/// The shared chains a partial sync must create (with their rules) or make stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedChange {
    pub added: BTreeMap<String, Chain>,
    pub unused: Vec<String>,
}

impl SharedChains {
    /// The users of every shared chain in `ruleset`.
    pub fn of(ruleset: &Ruleset) -> SharedChains {
        let mut out = SharedChains::default();
        for rules in ruleset.services.values() {
            for chain in &rules.shared {
                *out.users.entry(*chain).or_default() += 1;
            }
        }
        out
    }

    /// Replaces each changed Service's fragment `old` with `new` (`None`: absent) and returns
    /// the chains that came into use and those nobody uses any more, once all are applied (a
    /// chain one Service drops and another takes up is neither).
    pub fn update<'a>(
        &mut self,
        changes: impl IntoIterator<Item = (Option<&'a ServiceRules>, Option<&'a ServiceRules>)>,
        node: &NodeInfo,
    ) -> SharedChange {
        let empty = BTreeSet::new();
        let mut touched: BTreeMap<SharedChain, bool> = BTreeMap::new();
        for (old, new) in changes {
            let old = old.map_or(&empty, |r| &r.shared);
            let new = new.map_or(&empty, |r| &r.shared);
            for chain in old.difference(new) {
                touched
                    .entry(*chain)
                    .or_insert_with(|| self.users.contains_key(chain));
                let users = self.users.entry(*chain).or_default();
                *users = users.saturating_sub(1);
                if *users == 0 {
                    self.users.remove(chain);
                }
            }
            for chain in new.difference(old) {
                touched
                    .entry(*chain)
                    .or_insert_with(|| self.users.contains_key(chain));
                *self.users.entry(*chain).or_default() += 1;
            }
        }
        let mut change = SharedChange::default();
        for (chain, was_used) in touched {
            match (was_used, self.users.contains_key(&chain)) {
                (false, true) => {
                    change.added.insert(chain.name(), shared_chain(chain, node));
                }
                (true, false) => change.unused.push(chain.name()),
                _ => {}
            }
        }
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::node;
    use crate::model::Entry;

    fn rules(chains: &[(Entry, u32)]) -> ServiceRules {
        ServiceRules {
            shared: chains
                .iter()
                .map(|&(entry, endpoints)| SharedChain { entry, endpoints })
                .collect(),
            ..ServiceRules::default()
        }
    }

    fn names(change: &SharedChange) -> (Vec<&str>, Vec<&str>) {
        (
            change.added.keys().map(String::as_str).collect(),
            change.unused.iter().map(String::as_str).collect(),
        )
    }

    #[test]
    fn chains_come_and_go_with_their_first_and_last_user() {
        let node = node();
        let mut shared = SharedChains::default();
        let a = rules(&[(Entry::ClusterIp, 2), (Entry::NodePort, 2)]);
        let b = rules(&[(Entry::ClusterIp, 2)]);
        let b3 = rules(&[(Entry::ClusterIp, 3)]);

        // a arrives: both its chains are new, with their rules.
        let change = shared.update([(None, Some(&a))], &node);
        assert_eq!(
            names(&change),
            (vec!["cluster-endpoints-2", "nodeport-endpoints-2"], vec![])
        );
        assert_eq!(
            change.added["cluster-endpoints-2"],
            shared_chain(
                SharedChain {
                    entry: Entry::ClusterIp,
                    endpoints: 2
                },
                &node
            )
        );
        // b uses a chain that exists: nothing to do.
        let change = shared.update([(None, Some(&b))], &node);
        assert_eq!(names(&change), (vec![], vec![]));
        // a goes: cluster-endpoints-2 still has b.
        let change = shared.update([(Some(&a), None)], &node);
        assert_eq!(names(&change), (vec![], vec!["nodeport-endpoints-2"]));
        // b moves to 3 endpoints and a comes back in one sync.
        let change = shared.update([(Some(&b), Some(&b3)), (None, Some(&a))], &node);
        assert_eq!(
            names(&change),
            (vec!["cluster-endpoints-3", "nodeport-endpoints-2"], vec![])
        );
        // The counts match a fresh count of the same Services.
        let mut ruleset = crate::plan::plan(&Default::default(), &node);
        ruleset
            .services
            .insert(crate::snapshot::ServiceName::new("ns", "a"), a);
        ruleset
            .services
            .insert(crate::snapshot::ServiceName::new("ns", "b"), b3);
        assert_eq!(shared, SharedChains::of(&ruleset));
    }
}
