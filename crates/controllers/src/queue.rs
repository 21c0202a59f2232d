//! A work queue per controller: keys pushed by the informer (or by a failed reconcile) come out
//! once each, when due, however often they were pushed meanwhile. A worker reconciles one key at
//! a time, so a key is never reconciled twice at once, and retries failures with exponential
//! backoff (5 ms doubling to 30 s, as client-go's per-item limiter but capped lower).

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc;
use kube::runtime::scheduler::{ScheduleRequest, scheduler};
use tokio::time::Instant;

use crate::cache::Cache;
use crate::error::Error;
use crate::key::ObjectKey;

/// The sending side: schedules keys. Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    tx: mpsc::UnboundedSender<ScheduleRequest<ObjectKey>>,
}

impl Queue {
    /// Schedules `key` now.
    pub fn push(&self, key: ObjectKey) {
        self.push_after(key, Duration::ZERO);
    }

    /// Schedules `key` after `delay`; an earlier schedule of the same key wins.
    pub fn push_after(&self, key: ObjectKey, delay: Duration) {
        // Sending fails only once the worker is gone, at shutdown.
        let _ = self.tx.unbounded_send(ScheduleRequest {
            message: key,
            run_at: Instant::now() + delay,
        });
    }
}

/// The receiving side, consumed by [`Worker::run`].
pub struct Worker {
    queue: Queue,
    requests: mpsc::UnboundedReceiver<ScheduleRequest<ObjectKey>>,
}

/// A new queue and the worker that drains it.
pub fn queue() -> (Queue, Worker) {
    let (tx, requests) = mpsc::unbounded();
    let queue = Queue { tx };
    (queue.clone(), Worker { queue, requests })
}

/// A controller's level-triggered sync of one key. It is told only which key, never why.
pub trait Reconcile {
    /// The controller's name, for logs.
    fn name(&self) -> &'static str;
    fn reconcile(&mut self, key: &ObjectKey) -> impl Future<Output = Result<(), Error>> + Send;
}

impl Worker {
    /// Waits for the caches to fill, then reconciles keys as they come due, forever.
    pub async fn run<R: Reconcile>(self, cache: &Cache, mut controller: R) {
        cache.ready().await;
        let mut due = pin!(scheduler(self.requests));
        let mut failures: HashMap<ObjectKey, u32> = HashMap::new();
        while let Some(key) = due.next().await {
            match controller.reconcile(&key).await {
                Ok(()) => {
                    failures.remove(&key);
                }
                Err(e) => {
                    let n = failures.entry(key.clone()).or_default();
                    *n += 1;
                    let delay = backoff(*n);
                    match e {
                        Error::StaleCache(_) => {
                            tracing::debug!(controller = controller.name(), %key, ?delay, "{e}")
                        }
                        Error::Api { .. } => {
                            tracing::warn!(controller = controller.name(), %key, ?delay, "sync failed, retrying: {e}")
                        }
                    }
                    self.queue.push_after(key, delay);
                }
            }
        }
    }
}

/// The delay before retry number `failures` (1-based).
fn backoff(failures: u32) -> Duration {
    let ms = 5u64.saturating_mul(1u64 << failures.saturating_sub(1).min(20));
    Duration::from_millis(ms).min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_30s() {
        let cases = [
            (1, 5),
            (2, 10),
            (3, 20),
            (10, 2560),
            (13, 20480),
            (14, 30000),
            (100, 30000),
        ];
        for (n, ms) in cases {
            assert_eq!(backoff(n), Duration::from_millis(ms), "{n}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn duplicate_pushes_come_out_once() {
        let (queue, worker) = queue();
        let mut due = pin!(scheduler(worker.requests));
        let a = ObjectKey::new("default", "a");
        queue.push(a.clone());
        queue.push(a.clone());
        queue.push_after(ObjectKey::new("default", "b"), Duration::from_secs(1));
        assert_eq!(due.next().await, Some(a));
        assert_eq!(due.next().await, Some(ObjectKey::new("default", "b")));
    }
}
