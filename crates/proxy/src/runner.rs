//! The event loop: watch events feed the tracker; syncs run when something changed (no sooner
//! than `min_sync_interval` after the last), when stale chains can be deleted, every
//! `sync_period` as a full sync, and after a failure with backoff. Syncs run on this task, so
//! events arriving during one are batched into the next. At shutdown the table is removed.

use std::pin::pin;
use std::time::Duration;

use futures::StreamExt;
use kube::Client;
use tokio::time::{Instant, sleep_until};

use crate::config::Config;
use crate::error::Error;
use crate::metrics::{self, Metrics};
use crate::nft;
use crate::node::NodeInfo;
use crate::sync::Proxier;
use crate::tracker::Tracker;
use crate::watch::{self, Effect, Ingest};

/// The first retry after a failed sync; it doubles up to the sync period.
const FIRST_RETRY: Duration = Duration::from_secs(1);

struct Schedule {
    next_full: Instant,
    last_sync: Option<Instant>,
    retry_at: Option<Instant>,
    backoff: Duration,
}

impl Schedule {
    /// When the next sync is due, if one may run at all.
    fn due(
        &self,
        ingest: &Ingest,
        tracker: &Tracker,
        proxier: &Proxier,
        min: Duration,
    ) -> Option<Instant> {
        if !ingest.synced() {
            return None;
        }
        let mut due = self.next_full;
        if proxier.needs_full() || tracker.has_pending() {
            let soonest = self.last_sync.map_or_else(Instant::now, |t| t + min);
            due = due.min(soonest);
        }
        if let Some(cleanup) = proxier.cleanup_at() {
            due = due.min(cleanup);
        }
        if let Some(retry) = self.retry_at {
            due = due.max(retry);
        }
        Some(due)
    }
}

pub async fn run(
    client: Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let metrics = Metrics::default();
    let server = match config.metrics_addr {
        Some(addr) => Some(tokio::spawn(metrics::serve(
            metrics::bind(addr).await?,
            metrics.clone(),
        ))),
        None => None,
    };
    if let Err(e) = crate::sysctl::enable_route_localnet() {
        tracing::warn!("{e}: NodePorts and LoadBalancer ports will not answer on 127.0.0.1");
    }
    let node = NodeInfo {
        name: config.node_name.clone(),
        ips: Vec::new(),
        cluster_cidr: config.cluster_cidr,
        service_cidr: config.service_cidr,
    };
    let mut proxier = Proxier::new(node, metrics);
    let mut tracker = Tracker::new(jiff::Timestamp::now());
    let mut ingest = Ingest::default();
    let mut changes = watch::changes(&client, &config.node_name);
    let mut shutdown = pin!(shutdown);
    let mut schedule = Schedule {
        next_full: Instant::now(),
        last_sync: None,
        retry_at: None,
        backoff: FIRST_RETRY,
    };
    loop {
        let due = schedule.due(&ingest, &tracker, &proxier, config.min_sync_interval);
        tokio::select! {
            _ = &mut shutdown => break,
            change = changes.next() => match change {
                Some(Ok(change)) => {
                    if let Effect::NodeIps(ips) = ingest.apply(&mut tracker, change) {
                        proxier.set_node_ips(ips);
                    }
                }
                Some(Err(e)) => tracing::warn!("proxy watch failed, retrying: {e}"),
                None => break,
            },
            _ = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                let now = Instant::now();
                let full = now >= schedule.next_full || proxier.needs_full();
                match proxier.sync(&mut tracker, full).await {
                    Ok(()) => {
                        schedule.retry_at = None;
                        schedule.backoff = FIRST_RETRY;
                        if full {
                            schedule.next_full = now + config.sync_period;
                        }
                    }
                    Err(e) => {
                        tracing::warn!("proxy sync failed, retrying with a full sync: {e}");
                        schedule.retry_at = Some(now + schedule.backoff);
                        schedule.backoff = (schedule.backoff * 2).min(config.sync_period);
                    }
                }
                schedule.last_sync = Some(now);
            }
        }
    }
    if let Some(server) = server {
        server.abort();
    }
    if let Err(e) = nft::delete_table().await {
        tracing::warn!("removing the proxy's nftables table: {e}");
    }
    Ok(())
}
