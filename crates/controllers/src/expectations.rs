//! Remembering this controller's own writes until the watch cache shows them (upstream's
//! EndpointSlice tracker). A key whose cache is behind is not planned: a slice created a moment
//! ago and not yet seen would otherwise be created twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::key::ObjectKey;

/// Per key, the objects written (name → resourceVersion returned) and deleted by name.
#[derive(Debug, Default)]
pub struct Expectations {
    by_key: HashMap<ObjectKey, Expected>,
}

#[derive(Debug, Default)]
struct Expected {
    written: BTreeMap<String, String>,
    deleted: BTreeSet<String>,
}

impl Expectations {
    /// Records that `name` now exists at `resource_version`.
    pub fn wrote(&mut self, key: &ObjectKey, name: &str, resource_version: &str) {
        let e = self.by_key.entry(key.clone()).or_default();
        e.deleted.remove(name);
        e.written.insert(name.into(), resource_version.into());
    }

    /// Records that `name` is gone.
    pub fn deleted(&mut self, key: &ObjectKey, name: &str) {
        let e = self.by_key.entry(key.clone()).or_default();
        e.written.remove(name);
        e.deleted.insert(name.into());
    }

    /// Whether the cache (`cached(name)` gives an object's resourceVersion, `None` if absent)
    /// shows every recorded write of `key`. Expectations the cache meets are forgotten.
    pub fn met(&mut self, key: &ObjectKey, cached: impl Fn(&str) -> Option<String>) -> bool {
        let Some(e) = self.by_key.get_mut(key) else {
            return true;
        };
        e.written.retain(|name, rv| match cached(name) {
            Some(have) => !at_least(&have, rv),
            None => true,
        });
        e.deleted.retain(|name| cached(name).is_some());
        let met = e.written.is_empty() && e.deleted.is_empty();
        if met {
            self.by_key.remove(key);
        }
        met
    }
}

/// Whether resourceVersion `have` is `want` or later. kubelite's resourceVersions are increasing
/// integers; anything else is only compared for equality.
fn at_least(have: &str, want: &str) -> bool {
    match (have.parse::<u64>(), want.parse::<u64>()) {
        (Ok(h), Ok(w)) => h >= w,
        _ => have == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn met_once_the_cache_catches_up() {
        let key = ObjectKey::new("default", "web");
        let mut ex = Expectations::default();
        assert!(ex.met(&key, |_| None), "nothing recorded");

        ex.wrote(&key, "web-abc", "10");
        ex.deleted(&key, "web-old");
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[("web-old", "3")], false),
            (&[("web-abc", "9")], false),
            (&[("web-abc", "10"), ("web-old", "3")], false),
            (&[("web-abc", "11")], true),
        ];
        for (cache, want) in cases {
            let mut probe = Expectations::default();
            probe.wrote(&key, "web-abc", "10");
            probe.deleted(&key, "web-old");
            let lookup = |n: &str| {
                cache
                    .iter()
                    .find(|(name, _)| *name == n)
                    .map(|(_, rv)| rv.to_string())
            };
            assert_eq!(probe.met(&key, lookup), *want, "{cache:?}");
        }
        assert!(ex.met(&key, |n| (n == "web-abc").then(|| "10".to_string())));
        assert!(ex.met(&key, |_| None), "forgotten once met");
    }
}
