//! The elements of the table-wide maps and sets, and who claims them. Chains are named after
//! their Service, but an element's key is an address and port, which two Services can both
//! claim (two LoadBalancer Services given the same node IP and port; an externalIP shared by
//! mistake). nftables would refuse the second element and fail the whole transaction, so each
//! key keeps every claim and the first Service in name order wins; when it lets go, the next
//! claim takes over. Replacing one Service's claims reports only the effective changes, so a
//! partial sync touches only the elements that change.

use std::collections::BTreeMap;

use crate::model::{Container, Key, Value};
use crate::snapshot::ServiceName;

/// Every claim on every element key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Elements {
    /// Per key, its claims sorted by Service name (nearly always exactly one: a `Vec` costs a
    /// tenth of a `BTreeMap` node, which matters at 200,000 keys).
    claims: BTreeMap<(Container, Key), Vec<(ServiceName, Value)>>,
}

/// One element whose effective value changed: `None` means absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementChange {
    pub container: Container,
    pub key: Key,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

impl Elements {
    /// The claims of `services` (what [`Elements::replace`] from nothing for each builds, in
    /// one pass).
    pub fn of<'a>(
        services: impl IntoIterator<Item = (&'a ServiceName, &'a BTreeMap<(Container, Key), Value>)>,
    ) -> Elements {
        let mut claims: BTreeMap<(Container, Key), Vec<(ServiceName, Value)>> = BTreeMap::new();
        for (name, elements) in services {
            for (key, value) in elements {
                claims
                    .entry(*key)
                    .or_default()
                    .push((name.clone(), value.clone()));
            }
        }
        for list in claims.values_mut().filter(|l| l.len() > 1) {
            list.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Elements { claims }
    }

    /// The elements as nftables should hold them: each key with its winning value.
    pub fn effective(&self) -> impl Iterator<Item = (&(Container, Key), &Value)> {
        self.claims
            .iter()
            .filter_map(|(k, claims)| claims.first().map(|(_, v)| (k, v)))
    }

    fn winner(&self, key: &(Container, Key)) -> Option<Value> {
        self.claims
            .get(key)
            .and_then(|c| c.first())
            .map(|(_, v)| v.clone())
    }

    /// Replaces `service`'s claims `old` with `new` and returns the effective changes.
    pub fn replace(
        &mut self,
        service: &ServiceName,
        old: &BTreeMap<(Container, Key), Value>,
        new: &BTreeMap<(Container, Key), Value>,
    ) -> Vec<ElementChange> {
        let mut touched: Vec<&(Container, Key)> = old
            .iter()
            .filter(|(k, v)| new.get(k) != Some(v))
            .map(|(k, _)| k)
            .chain(
                new.iter()
                    .filter(|(k, v)| old.get(k) != Some(v))
                    .map(|(k, _)| k),
            )
            .collect();
        touched.sort();
        touched.dedup();
        let before: Vec<Option<Value>> = touched.iter().map(|k| self.winner(k)).collect();
        for key in &touched {
            let claims = self.claims.entry(**key).or_default();
            let at = claims.binary_search_by(|(name, _)| name.cmp(service));
            match (new.get(key), at) {
                (Some(v), Ok(i)) => claims[i].1 = v.clone(),
                (Some(v), Err(i)) => claims.insert(i, (service.clone(), v.clone())),
                (None, Ok(i)) => {
                    claims.remove(i);
                }
                (None, Err(_)) => {}
            }
            if claims.is_empty() {
                self.claims.remove(key);
            }
        }
        touched
            .into_iter()
            .zip(before)
            .filter_map(|(key, old)| {
                let new = self.winner(key);
                (old != new).then_some(ElementChange {
                    container: key.0,
                    key: key.1,
                    old,
                    new,
                })
            })
            .collect()
    }

    /// Keys claimed by more than one Service with different values, with the claimants (for a
    /// warning). Claims that agree (two Services with one endpoint IP in `@hairpin-ips`, a set
    /// whose elements carry no value) are no conflict: whoever wins, nftables holds the same.
    pub fn conflicts(&self) -> impl Iterator<Item = (&(Container, Key), Vec<&ServiceName>)> {
        self.claims
            .iter()
            .filter(|(_, c)| c.iter().any(|(_, v)| *v != c[0].1))
            .map(|(k, c)| (k, c.iter().map(|(name, _)| name).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Map;
    use crate::snapshot::Protocol;
    use std::net::Ipv4Addr;

    fn key(port: u16) -> (Container, Key) {
        (
            Container::Map(Map::ServiceIps),
            Key::IpProtoPort(Ipv4Addr::new(10, 42, 0, 1), Protocol::Tcp, port),
        )
    }

    fn claims(pairs: &[(u16, &str)]) -> BTreeMap<(Container, Key), Value> {
        pairs
            .iter()
            .map(|(p, c)| (key(*p), Value::Goto(c.to_string())))
            .collect()
    }

    #[test]
    fn changes_are_effective_only() {
        let a = ServiceName::new("ns", "a");
        let b = ServiceName::new("ns", "b");
        let mut e = Elements::default();
        let none = BTreeMap::new();

        // a claims 8080 and 9090: both are new.
        let changes = e.replace(&a, &none, &claims(&[(8080, "a"), (9090, "a")]));
        assert_eq!(changes.len(), 2);
        // b claims 8080 too: a keeps it, nothing changes.
        let changes = e.replace(&b, &none, &claims(&[(8080, "b")]));
        assert_eq!(changes, vec![]);
        assert_eq!(e.conflicts().count(), 1);
        // The same claims again: no-op.
        let changes = e.replace(
            &a,
            &claims(&[(8080, "a"), (9090, "a")]),
            &claims(&[(8080, "a"), (9090, "a")]),
        );
        assert_eq!(changes, vec![]);
        // a lets go of 8080: b takes over.
        let changes = e.replace(
            &a,
            &claims(&[(8080, "a"), (9090, "a")]),
            &claims(&[(9090, "a")]),
        );
        assert_eq!(
            changes,
            vec![ElementChange {
                container: key(8080).0,
                key: key(8080).1,
                old: Some(Value::Goto("a".into())),
                new: Some(Value::Goto("b".into())),
            }]
        );
        // b goes: 8080 is gone.
        let changes = e.replace(&b, &claims(&[(8080, "b")]), &none);
        assert_eq!(changes[0].new, None);
        let left: Vec<_> = e.effective().map(|(k, _)| *k).collect();
        assert_eq!(left, vec![key(9090)]);
    }

    #[test]
    fn agreeing_claims_are_no_conflict() {
        let hairpin = (
            Container::Set(crate::model::Set::HairpinIps),
            Key::IpPair(Ipv4Addr::new(10, 42, 0, 1), Ipv4Addr::new(10, 42, 0, 1)),
        );
        let one = BTreeMap::from([(hairpin, Value::None)]);
        let a = ServiceName::new("default", "kubernetes");
        let b = ServiceName::new("kube-system", "kube-dns");
        let e = Elements::of([(&a, &one), (&b, &one)]);
        assert_eq!(e.conflicts().count(), 0);
        assert_eq!(e.effective().count(), 1);
        let c = ServiceName::new("ns", "c");
        let other = claims(&[(8080, "c")]);
        let d = ServiceName::new("ns", "d");
        let e = Elements::of([(&c, &other), (&d, &claims(&[(8080, "d")]))]);
        let conflicts: Vec<_> = e.conflicts().map(|(_, names)| names.len()).collect();
        assert_eq!(conflicts, [2]);
    }

    #[test]
    fn built_at_once_as_by_replacing() {
        let a = ServiceName::new("ns", "a");
        let b = ServiceName::new("ns", "b");
        let c = ServiceName::new("ns", "c");
        let fragments = [
            (c.clone(), claims(&[(8080, "c"), (7070, "c")])),
            (a.clone(), claims(&[(8080, "a")])),
            (b.clone(), claims(&[(8080, "b"), (9090, "b")])),
        ];
        let mut replaced = Elements::default();
        for (name, elements) in &fragments {
            replaced.replace(name, &BTreeMap::new(), elements);
        }
        let at_once = Elements::of(fragments.iter().map(|(n, e)| (n, e)));
        assert_eq!(at_once, replaced);
        let winners: Vec<_> = at_once.effective().map(|(k, v)| (*k, v.clone())).collect();
        assert_eq!(
            winners,
            [
                (key(7070), Value::Goto("c".into())),
                (key(8080), Value::Goto("a".into())),
                (key(9090), Value::Goto("b".into())),
            ]
        );
    }
}
