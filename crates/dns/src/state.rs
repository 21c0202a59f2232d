//! The slim caches the records are built from, one table per watched kind. A table follows
//! kube-runtime's watcher protocol: a (re)list is buffered from `Init` to `InitDone` and then
//! swapped in at once, so readers never see half a list. Every change reports whether it was
//! visible, which is what bumps the SOA serial.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::slim::{Key, SlimService, SlimSlice};

/// One step of a watch, already slimmed.
#[derive(Debug)]
pub enum Update<T> {
    #[cfg(feature = "server")]
    Init,
    InitApply(Key, T),
    InitDone,
    #[cfg(feature = "server")]
    Apply(Key, T),
    #[cfg(feature = "server")]
    Delete(Key),
}

/// The objects of one kind by key.
#[derive(Debug)]
pub struct Table<T> {
    live: BTreeMap<Key, T>,
    relist: Option<BTreeMap<Key, T>>,
    synced: bool,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            live: BTreeMap::new(),
            relist: None,
            synced: false,
        }
    }
}

impl<T: PartialEq> Table<T> {
    /// Applies one watch step; true when the live objects changed (or the first list ended).
    pub fn apply(&mut self, update: Update<T>) -> bool {
        match update {
            #[cfg(feature = "server")]
            Update::Init => {
                self.relist = Some(BTreeMap::new());
                false
            }
            Update::InitApply(key, value) => {
                self.relist
                    .get_or_insert_with(BTreeMap::new)
                    .insert(key, value);
                false
            }
            Update::InitDone => {
                let listed = self.relist.take().unwrap_or_default();
                let changed = !self.synced || listed != self.live;
                self.live = listed;
                self.synced = true;
                changed
            }
            #[cfg(feature = "server")]
            Update::Apply(key, value) => {
                if self.live.get(&key) == Some(&value) {
                    return false;
                }
                self.live.insert(key, value);
                true
            }
            #[cfg(feature = "server")]
            Update::Delete(key) => self.live.remove(&key).is_some(),
        }
    }

    #[cfg(feature = "server")]
    pub fn synced(&self) -> bool {
        self.synced
    }

    #[cfg(feature = "server")]
    pub fn get(&self, key: &Key) -> Option<&T> {
        self.live.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Key, &T)> {
        self.live.iter()
    }
}

/// Everything DNS answers from.
#[derive(Debug, Default)]
pub struct State {
    pub services: Table<SlimService>,
    pub slices: Table<SlimSlice>,
    pub namespaces: Table<()>,
    /// Pod IPs, filled only in `pods verified` mode.
    pub pods: Table<Vec<IpAddr>>,
}

impl State {
    /// A state holding exactly these objects, as after a complete list of each kind.
    pub fn listed(
        services: Vec<(Key, SlimService)>,
        slices: Vec<(Key, SlimSlice)>,
        namespaces: impl IntoIterator<Item = String>,
        pods: Vec<(Key, Vec<IpAddr>)>,
    ) -> State {
        fn fill<T: PartialEq>(items: Vec<(Key, T)>) -> Table<T> {
            let mut t = Table::default();
            for (k, v) in items {
                t.apply(Update::InitApply(k, v));
            }
            t.apply(Update::InitDone);
            t
        }
        let namespaces: BTreeSet<String> = namespaces.into_iter().collect();
        State {
            services: fill(services),
            slices: fill(slices),
            namespaces: fill(
                namespaces
                    .into_iter()
                    .map(|n| (Key::new("", &n), ()))
                    .collect(),
            ),
            pods: fill(pods),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_changes_count() {
        let mut t: Table<u32> = Table::default();
        let k = || Key::new("ns", "a");
        assert!(!t.apply(Update::Init));
        assert!(!t.apply(Update::InitApply(k(), 1)));
        assert!(
            t.get(&k()).is_none(),
            "a list is not visible before it ends"
        );
        assert!(t.apply(Update::InitDone), "the first list always counts");
        assert!(t.synced());
        assert!(!t.apply(Update::Apply(k(), 1)), "same value");
        assert!(t.apply(Update::Apply(k(), 2)));
        assert!(!t.apply(Update::Delete(Key::new("ns", "b"))));
        // A relist with the same content is invisible; one without `a` deletes it.
        t.apply(Update::Init);
        t.apply(Update::InitApply(k(), 2));
        assert!(!t.apply(Update::InitDone));
        t.apply(Update::Init);
        assert!(t.apply(Update::InitDone));
        assert!(t.get(&k()).is_none());
    }
}
