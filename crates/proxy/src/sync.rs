//! The proxier: turns the tracker's changes into nft transactions and remembers what it
//! applied. A full sync (at startup, after any failure, after the node changed, and every
//! sync period) plans everything, lists the names of the table's chains and sets to find
//! leftovers, and rewrites every chain and map, repairing drift. A partial sync plans only the
//! Services that changed and writes only their chains and elements, and the shared chains that
//! came into or fell out of use. After a successful sync the stale UDP conntrack entries
//! of the changed Services are deleted and the metrics recorded.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::conntrack;
use crate::elements::Elements;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::model::ServiceRules;
use crate::nft;
use crate::node::NodeInfo;
use crate::plan::{plan, plan_service};
use crate::shared::SharedChains;
use crate::snapshot::ServiceName;
use crate::tracker::{Changes, Tracker};
use crate::transaction::{self, ServiceChange, Transaction};

/// How long a stale chain is kept (flushed) before it is deleted: kernels before 6.2 keep a
/// chain busy briefly after the last map element pointing at it goes.
pub const STALE_CHAIN_DELAY: Duration = Duration::from_secs(1);

/// What the kernel holds, as far as we know.
struct Applied {
    services: BTreeMap<ServiceName, ServiceRules>,
    elements: Elements,
    shared: SharedChains,
}

pub struct Proxier {
    node: NodeInfo,
    /// `None` until a full sync succeeds, and again after any failure.
    applied: Option<Applied>,
    /// Flushed Service and shared chains and when they went stale.
    stale: BTreeMap<String, Instant>,
    metrics: Metrics,
}

impl Proxier {
    pub fn new(node: NodeInfo, metrics: Metrics) -> Proxier {
        Proxier {
            node,
            applied: None,
            stale: BTreeMap::new(),
            metrics,
        }
    }

    /// Takes the node's new addresses; a change forces a full sync.
    pub fn set_node_ips(&mut self, ips: Vec<std::net::Ipv4Addr>) {
        if self.node.ips != ips {
            self.node.ips = ips;
            self.applied = None;
        }
    }

    /// Whether the next sync must be a full one.
    pub fn needs_full(&self) -> bool {
        self.applied.is_none()
    }

    /// When stale chains can next be deleted.
    pub fn cleanup_at(&self) -> Option<Instant> {
        self.stale.values().min().map(|t| *t + STALE_CHAIN_DELAY)
    }

    fn deletable(&self, now: Instant) -> Vec<String> {
        self.stale
            .iter()
            .filter(|(_, t)| **t + STALE_CHAIN_DELAY <= now)
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Syncs the tracker's changes, fully if `full` or if the last sync failed.
    pub async fn sync(&mut self, tracker: &mut Tracker, full: bool) -> Result<(), Error> {
        let start = Instant::now();
        let changes = tracker.take();
        let full = full || self.applied.is_none();
        let result = if full {
            self.full(tracker).await
        } else {
            self.partial(&changes, start).await
        };
        match &result {
            Ok(()) => {
                self.metrics.sync_done(start.elapsed().as_secs_f64(), full);
                let now = jiff::Timestamp::now();
                for t in &changes.trigger_times {
                    let latency = now.duration_since(*t);
                    self.metrics.programmed(latency.as_secs_f64());
                }
                for delta in &changes.services {
                    for flow in
                        conntrack::stale_flows(delta.previous.as_ref(), delta.current.as_ref())
                    {
                        if let Err(e) = conntrack::delete(&flow).await {
                            tracing::warn!("deleting stale UDP flows of {}: {e}", delta.name);
                        }
                    }
                }
            }
            Err(_) => {
                self.metrics.sync_failed();
                self.applied = None;
            }
        }
        result
    }

    async fn full(&mut self, tracker: &Tracker) -> Result<(), Error> {
        let ruleset = plan(&tracker.snapshot(), &self.node);
        let elements = transaction::claims(&ruleset);
        for ((container, key), claimants) in elements.conflicts() {
            tracing::warn!(
                "{} {key:?} is claimed by several Services ({}); the first one gets it",
                crate::render::container_name(*container),
                claimants
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let existing = nft::existing().await?;
        let now = Instant::now();
        let deletable = self.deletable(now);
        let tx = transaction::full(&ruleset, &elements, &existing, &deletable);
        nft::apply(&tx.ops).await?;
        self.stale.retain(|c, _| existing.chains.contains(c));
        for c in &deletable {
            self.stale.remove(c);
        }
        self.note_stale(&tx, now);
        let planned = ruleset
            .shared
            .keys()
            .chain(ruleset.services.values().flat_map(|r| r.chains.keys()));
        for chain in planned {
            self.stale.remove(chain);
        }
        self.applied = Some(Applied {
            shared: SharedChains::of(&ruleset),
            services: ruleset.services,
            elements,
        });
        Ok(())
    }

    async fn partial(&mut self, changes: &Changes, now: Instant) -> Result<(), Error> {
        let deletable = self.deletable(now);
        let Some(applied) = self.applied.as_mut() else {
            return Ok(());
        };
        if changes.services.is_empty() && deletable.is_empty() {
            return Ok(());
        }
        let planned: Vec<(ServiceName, Option<ServiceRules>)> = changes
            .services
            .iter()
            .map(|d| {
                let rules = d.current.as_ref().map(|s| plan_service(s, &self.node));
                (d.name.clone(), rules)
            })
            .collect();
        let mut element_changes = Vec::new();
        let empty = BTreeMap::new();
        for (name, new) in &planned {
            let old = applied.services.get(name);
            element_changes.extend(applied.elements.replace(
                name,
                old.map(|r| &r.elements).unwrap_or(&empty),
                new.as_ref().map(|r| &r.elements).unwrap_or(&empty),
            ));
        }
        let shared = applied.shared.update(
            planned
                .iter()
                .map(|(name, new)| (applied.services.get(name), new.as_ref())),
            &self.node,
        );
        // A chain that came back since it went stale is live again.
        let revived: Vec<&String> = planned
            .iter()
            .filter_map(|(_, r)| r.as_ref())
            .flat_map(|r| r.chains.keys())
            .chain(shared.added.keys())
            .collect();
        let deletable: Vec<String> = deletable
            .into_iter()
            .filter(|c| !revived.contains(&c))
            .collect();
        let service_changes: Vec<ServiceChange<'_>> = planned
            .iter()
            .map(|(name, new)| ServiceChange {
                name,
                old: applied.services.get(name),
                new: new.as_ref(),
            })
            .collect();
        let tx = transaction::partial(&service_changes, &element_changes, &shared, &deletable);
        if !tx.ops.is_empty() {
            nft::apply(&tx.ops).await?;
        }
        for c in revived {
            self.stale.remove(c);
        }
        for c in &deletable {
            self.stale.remove(c);
        }
        for (name, new) in planned {
            match new {
                Some(rules) => applied.services.insert(name, rules),
                None => applied.services.remove(&name),
            };
        }
        self.note_stale(&tx, now);
        Ok(())
    }

    fn note_stale(&mut self, tx: &Transaction, now: Instant) {
        for c in &tx.stale_chains {
            self.stale.entry(c.clone()).or_insert(now);
        }
    }
}
