//! The change tracker (kube-proxy's `ServiceChangeTracker` and `EndpointsChangeTracker` in
//! one): it holds the slimmed Services and EndpointSlices, and for every Service touched since
//! the last sync, its view (Service plus endpoints) as of that sync. `take` compares each with
//! the view now and returns only real changes, so an update that changes nothing the rules
//! depend on (a status heartbeat, a relabelled slice) costs no sync.

use std::collections::{BTreeMap, BTreeSet};

use crate::snapshot::{ServiceInfo, ServiceName, ServiceState, SliceInfo, Snapshot};

/// An EndpointSlice's `namespace/name`.
pub type SliceKey = (String, String);

/// One Service that changed since the last sync: its view then and now (`None`: absent or not
/// proxied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDelta {
    pub name: ServiceName,
    pub previous: Option<ServiceState>,
    pub current: Option<ServiceState>,
}

/// What changed since the last `take`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub services: Vec<ServiceDelta>,
    /// Trigger times of the EndpointSlice changes among them (for network programming
    /// latency).
    pub trigger_times: Vec<jiff::Timestamp>,
}

#[derive(Debug, Default)]
pub struct Tracker {
    services: BTreeMap<ServiceName, ServiceInfo>,
    slices: BTreeMap<ServiceName, BTreeMap<SliceKey, SliceInfo>>,
    owners: BTreeMap<SliceKey, ServiceName>,
    /// The view at the last sync of every Service touched since.
    pending: BTreeMap<ServiceName, Option<ServiceState>>,
    triggers: BTreeMap<ServiceName, Vec<jiff::Timestamp>>,
    /// Trigger times before this are ignored: at startup every slice is new to us, but its
    /// change happened long before (kube-proxy's `trackerStartTime`).
    started: jiff::Timestamp,
}

impl Tracker {
    /// A tracker that counts network programming latency only for changes after `started`.
    pub fn new(started: jiff::Timestamp) -> Tracker {
        Tracker {
            started,
            ..Tracker::default()
        }
    }

    /// The Service `name` with its endpoints, if it is proxied.
    pub fn view(&self, name: &ServiceName) -> Option<ServiceState> {
        let service = self.services.get(name)?;
        let slices = self.slices.get(name).into_iter().flat_map(|s| s.values());
        Some(ServiceState::new(service.clone(), slices))
    }

    /// Every proxied Service with its endpoints.
    pub fn snapshot(&self) -> Snapshot {
        self.services
            .keys()
            .filter_map(|n| Some((n.clone(), self.view(n)?)))
            .collect()
    }

    fn touch(&mut self, name: &ServiceName) {
        if !self.pending.contains_key(name) {
            let view = self.view(name);
            self.pending.insert(name.clone(), view);
        }
    }

    /// Whether anything was touched since the last `take`.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Records a Service's new state (`None`: deleted or not proxied).
    pub fn set_service(&mut self, name: ServiceName, info: Option<ServiceInfo>) {
        if self.services.get(&name) == info.as_ref() {
            return;
        }
        self.touch(&name);
        match info {
            Some(info) => self.services.insert(name, info),
            None => self.services.remove(&name),
        };
    }

    /// Records an EndpointSlice's new state (`None`: deleted or not for us).
    pub fn set_slice(&mut self, key: SliceKey, info: Option<SliceInfo>) {
        let old_owner = self.owners.get(&key).cloned();
        let old = old_owner
            .as_ref()
            .and_then(|o| self.slices.get(o)?.get(&key).cloned());
        if let (Some(old), Some(new)) = (&old, &info)
            && old.same_rules(new)
        {
            // Only the trigger time or something we do not read changed.
            self.insert_slice(key, new.clone());
            return;
        }
        if let Some(owner) = &old_owner {
            self.touch(owner);
            if let Some(slices) = self.slices.get_mut(owner) {
                slices.remove(&key);
                if slices.is_empty() {
                    self.slices.remove(owner);
                }
            }
            self.owners.remove(&key);
        }
        if let Some(info) = info {
            self.touch(&info.service);
            if let Some(t) = info.trigger_time.filter(|t| *t >= self.started) {
                self.triggers
                    .entry(info.service.clone())
                    .or_default()
                    .push(t);
            }
            self.insert_slice(key, info);
        }
    }

    fn insert_slice(&mut self, key: SliceKey, info: SliceInfo) {
        self.owners.insert(key.clone(), info.service.clone());
        self.slices
            .entry(info.service.clone())
            .or_default()
            .insert(key, info);
    }

    /// Replaces every Service after a (re)list.
    pub fn replace_services(&mut self, services: Vec<ServiceInfo>) {
        let new: BTreeMap<ServiceName, ServiceInfo> =
            services.into_iter().map(|s| (s.name.clone(), s)).collect();
        let gone: Vec<ServiceName> = self
            .services
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        for name in gone {
            self.set_service(name, None);
        }
        for (name, info) in new {
            self.set_service(name, Some(info));
        }
    }

    /// Replaces every EndpointSlice after a (re)list.
    pub fn replace_slices(&mut self, slices: Vec<(SliceKey, SliceInfo)>) {
        let new: BTreeMap<SliceKey, SliceInfo> = slices.into_iter().collect();
        let gone: Vec<SliceKey> = self
            .owners
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        for key in gone {
            self.set_slice(key, None);
        }
        for (key, info) in new {
            self.set_slice(key, Some(info));
        }
    }

    /// The real changes since the last `take`, which starts a new round.
    pub fn take(&mut self) -> Changes {
        let pending = std::mem::take(&mut self.pending);
        let mut triggers = std::mem::take(&mut self.triggers);
        let mut changes = Changes::default();
        let mut changed = BTreeSet::new();
        for (name, previous) in pending {
            let current = self.view(&name);
            if previous != current {
                changed.insert(name.clone());
                changes.services.push(ServiceDelta {
                    name,
                    previous,
                    current,
                });
            }
        }
        for name in changed {
            changes
                .trigger_times
                .extend(triggers.remove(&name).unwrap_or_default());
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{ip, service};
    use crate::snapshot::{Protocol, SliceEndpoint, SlicePort};

    fn slice(svc: &str, ips: &[&str], trigger: Option<&str>) -> SliceInfo {
        let (ns, name) = svc.split_once('/').unwrap();
        SliceInfo {
            service: ServiceName::new(ns, name),
            ports: vec![SlicePort {
                name: "http".into(),
                protocol: Protocol::Tcp,
                port: 80,
            }],
            endpoints: ips
                .iter()
                .map(|a| SliceEndpoint {
                    ip: ip(a),
                    ready: true,
                    serving: true,
                    terminating: false,
                    node_name: None,
                })
                .collect(),
            trigger_time: trigger.map(|t| t.parse().unwrap()),
        }
    }

    fn key(name: &str) -> SliceKey {
        ("ns".into(), name.into())
    }

    fn names(c: &Changes) -> Vec<String> {
        c.services.iter().map(|d| d.name.to_string()).collect()
    }

    #[test]
    fn only_real_changes_are_reported() {
        let mut t = Tracker::default();
        let web = service("ns/web", "10.43.0.10");
        t.set_service(web.name.clone(), Some(web.clone()));
        t.set_slice(
            key("web-a"),
            Some(slice(
                "ns/web",
                &["10.42.0.5"],
                Some("2025-01-01T00:00:00Z"),
            )),
        );
        let c = t.take();
        assert_eq!(names(&c), ["ns/web"]);
        assert_eq!(c.services[0].previous, None);
        assert_eq!(c.trigger_times.len(), 1);
        let endpoints = &c.services[0].current.as_ref().unwrap().endpoints;
        assert_eq!(endpoints.values().next().unwrap().len(), 1);

        // The same objects again, and a new trigger time alone: nothing to do.
        t.set_service(web.name.clone(), Some(web.clone()));
        t.set_slice(
            key("web-a"),
            Some(slice(
                "ns/web",
                &["10.42.0.5"],
                Some("2025-01-01T00:00:01Z"),
            )),
        );
        assert!(!t.has_pending());
        assert_eq!(t.take(), Changes::default());

        // A change and its undoing before the sync: dropped.
        t.set_slice(key("web-a"), Some(slice("ns/web", &["10.42.0.6"], None)));
        t.set_slice(key("web-a"), Some(slice("ns/web", &["10.42.0.5"], None)));
        assert!(t.take().services.is_empty());

        // A slice deleted.
        t.set_slice(key("web-a"), None);
        let c = t.take();
        assert_eq!(names(&c), ["ns/web"]);
        assert!(c.services[0].current.as_ref().unwrap().endpoints.is_empty());
    }

    #[test]
    fn trigger_times_from_before_the_start_are_ignored() {
        let mut t = Tracker::new("2025-01-01T00:00:00Z".parse().unwrap());
        let web = service("ns/web", "10.43.0.10");
        t.set_service(web.name.clone(), Some(web));
        t.set_slice(
            key("a"),
            Some(slice(
                "ns/web",
                &["10.42.0.5"],
                Some("2024-12-31T23:59:59Z"),
            )),
        );
        t.set_slice(
            key("b"),
            Some(slice(
                "ns/web",
                &["10.42.0.6"],
                Some("2025-01-01T00:00:01Z"),
            )),
        );
        assert_eq!(t.take().trigger_times.len(), 1);
    }

    #[test]
    fn relists_replace_everything() {
        let mut t = Tracker::default();
        let a = service("ns/a", "10.43.0.10");
        let b = service("ns/b", "10.43.0.11");
        t.replace_services(vec![a.clone(), b.clone()]);
        t.replace_slices(vec![(key("a-1"), slice("ns/a", &["10.42.0.5"], None))]);
        assert_eq!(names(&t.take()), ["ns/a", "ns/b"]);

        // b is gone, a's slice moved to a new name with the same endpoints.
        t.replace_services(vec![a.clone()]);
        t.replace_slices(vec![(key("a-2"), slice("ns/a", &["10.42.0.5"], None))]);
        let c = t.take();
        assert_eq!(names(&c), ["ns/b"]);
        assert_eq!(c.services[0].current, None);
        assert_eq!(t.snapshot().len(), 1);
    }
}
