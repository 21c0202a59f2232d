//! The scheduler (kube-scheduler's visible behaviour): places each pending Pod on a node, as
//! planned by [`crate::schedule_plan`], through `POST pods/{name}/binding`, and reports it with a
//! `Scheduled` event. A Pod no node fits stays Pending with `PodScheduled=False`
//! (`Unschedulable`, upstream's message) and a `FailedScheduling` event whose count grows with
//! every failed attempt.
//!
//! Retries follow upstream's queue: a failed Pod is tried again when a Node changes (see `wake`),
//! but no sooner than its backoff (1 s doubling to 10 s per failed attempt), and after 5 minutes
//! regardless. A Pod just bound is remembered until the watch shows it bound, so it is neither
//! bound twice nor missing from the node's Pod count.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Pod, PodCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use tokio::time::Instant;

use crate::cache::Cache;
use crate::error::{Error, is_not_found};
use crate::event::pod_ref;
use crate::key::ObjectKey;
use crate::names::{DEFAULT_SCHEDULER, SCHEDULER_FIELD_MANAGER};
use crate::queue::{Queue, Reconcile};
use crate::recorder::Recorder;
use crate::schedule_plan::{Decision, needs_scheduling, plan_scheduling};

/// How long an unschedulable Pod waits for a retry when nothing changes (upstream's
/// `podMaxInUnschedulablePodsDuration`).
const RETRY_UNSCHEDULABLE: Duration = Duration::from_secs(5 * 60);

pub struct Scheduler {
    client: Client,
    cache: Cache,
    queue: Queue,
    recorder: Recorder,
    /// Pods bound (or being bound) by this scheduler that the cache still shows unbound:
    /// key → (uid, node). Shared with the binding tasks, which drop a failed assumption.
    assumed: Arc<Mutex<HashMap<ObjectKey, (String, String)>>>,
    /// Failed attempts of pending Pods, for backoff.
    failures: HashMap<ObjectKey, Failures>,
}

struct Failures {
    uid: String,
    count: u32,
    last: Instant,
}

impl Scheduler {
    /// A scheduler reading `cache` that requeues its own retries on `queue`.
    pub fn new(client: Client, cache: Cache, queue: Queue) -> Self {
        Scheduler {
            recorder: Recorder::new(client.clone(), DEFAULT_SCHEDULER),
            client,
            cache,
            queue,
            assumed: Arc::default(),
            failures: HashMap::new(),
        }
    }

    async fn sync(&mut self, key: &ObjectKey) -> Result<(), Error> {
        let Some(pod) = self.cache.pod(key).filter(|p| needs_scheduling(p)) else {
            self.forget(key);
            return Ok(());
        };
        let uid = pod.uid().unwrap_or_default();
        let assumed = self.assumed.lock().expect("assumed lock").get(key).cloned();
        match assumed {
            Some((assumed_uid, _)) if assumed_uid == uid => return Ok(()),
            Some(_) => self.forget(key),
            None => {}
        }
        if let Some(f) = self.failures.get(key).filter(|f| f.uid == uid) {
            let due = f.last + backoff(f.count);
            let now = Instant::now();
            if now < due {
                self.queue.push_after(key.clone(), due - now);
                return Ok(());
            }
        }
        let nodes = self.cache.nodes.state();
        let nodes: Vec<_> = nodes.iter().map(|n| n.as_ref()).collect();
        match plan_scheduling(&pod, &nodes, &self.pods_per_node()) {
            Decision::Bind(node) => self.bind(key, &pod, &node).await,
            Decision::Unschedulable(message) => self.unschedulable(key, &pod, &message).await,
        }
    }

    /// The cache's Pod count per node, plus the Pods bound here that it does not show yet.
    fn pods_per_node(&self) -> BTreeMap<String, usize> {
        let mut counts = self.cache.pods_per_node();
        for (key, (_, node)) in self.assumed.lock().expect("assumed lock").iter() {
            if self.cache.pod(key).is_some_and(|p| needs_scheduling(&p)) {
                *counts.entry(node.clone()).or_default() += 1;
            }
        }
        counts
    }

    /// Assumes `pod` on `node` at once and binds it in the background, as upstream's binding
    /// cycle does: the next Pod is placed meanwhile, counting this one as on `node`. A failed
    /// binding forgets the assumption and tries the Pod again after a second.
    async fn bind(&mut self, key: &ObjectKey, pod: &Pod, node: &str) -> Result<(), Error> {
        let uid = pod.uid().unwrap_or_default();
        self.failures.remove(key);
        self.assumed
            .lock()
            .expect("assumed lock")
            .insert(key.clone(), (uid.clone(), node.to_string()));
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &key.namespace);
        let binding = json!({
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": key.name, "namespace": key.namespace, "uid": uid},
            "target": {"kind": "Node", "name": node},
        });
        let (key, node) = (key.clone(), node.to_string());
        let (assumed, queue, recorder) = (
            self.assumed.clone(),
            self.queue.clone(),
            self.recorder.clone(),
        );
        let involved = pod_ref(pod);
        tokio::spawn(async move {
            let pp = PostParams {
                field_manager: Some(SCHEDULER_FIELD_MANAGER.into()),
                ..Default::default()
            };
            let failed = match api
                .create_subresource::<_, serde_json::Value>("binding", &key.name, &pp, &binding)
                .await
            {
                Ok(_) => {
                    tracing::debug!(%key, node, "bound Pod");
                    let message = format!("Successfully assigned {key} to {node}");
                    recorder.record(&involved, "Normal", "Scheduled", &message);
                    return;
                }
                // Bound by someone else, being deleted, or gone: the watch will say which.
                Err(kube::Error::Api(s)) if s.code == 409 => false,
                Err(e) if is_not_found(&e) => false,
                Err(e) => {
                    tracing::warn!(%key, node, "binding Pod: {e}");
                    true
                }
            };
            let mut assumed = assumed.lock().expect("assumed lock");
            if assumed.get(&key).is_some_and(|(u, _)| *u == uid) {
                assumed.remove(&key);
            }
            if failed {
                queue.push_after(key, Duration::from_secs(1));
            }
        });
        Ok(())
    }

    async fn unschedulable(
        &mut self,
        key: &ObjectKey,
        pod: &Pod,
        message: &str,
    ) -> Result<(), Error> {
        let uid = pod.uid().unwrap_or_default();
        let failures = self.failures.entry(key.clone()).or_insert(Failures {
            uid: uid.clone(),
            count: 0,
            last: Instant::now(),
        });
        if failures.uid != uid {
            failures.uid = uid;
            failures.count = 0;
        }
        failures.count += 1;
        failures.last = Instant::now();
        tracing::debug!(%key, "{message}");
        self.recorder
            .record(&pod_ref(pod), "Warning", "FailedScheduling", message);
        if let Some(condition) = unschedulable_condition(pod, message, Timestamp::now()) {
            let api: Api<Pod> = Api::namespaced(self.client.clone(), &key.namespace);
            let patch = json!({"status": {"conditions": [condition]}});
            let pp = PatchParams {
                field_manager: Some(SCHEDULER_FIELD_MANAGER.into()),
                ..Default::default()
            };
            match api
                .patch_status(&key.name, &pp, &Patch::Strategic(&patch))
                .await
            {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => return Ok(()),
                Err(e) => return Err(Error::api("updating the status of Pod", key.to_string(), e)),
            }
        }
        self.queue.push_after(key.clone(), RETRY_UNSCHEDULABLE);
        Ok(())
    }

    /// Drops what is kept about a Pod that no longer needs scheduling.
    fn forget(&mut self, key: &ObjectKey) {
        self.assumed.lock().expect("assumed lock").remove(key);
        if let Some(f) = self.failures.remove(key) {
            self.recorder.forget(&f.uid);
        }
        if let Some(pod) = self.cache.pod(key) {
            self.recorder.forget(&pod.uid().unwrap_or_default());
        }
    }
}

impl Reconcile for Scheduler {
    fn name(&self) -> &'static str {
        "scheduler"
    }

    fn reconcile(&mut self, key: &ObjectKey) -> impl Future<Output = Result<(), Error>> + Send {
        self.sync(key)
    }
}

/// The wait after `failures` failed attempts before the next (upstream's per-Pod backoff:
/// 1 s, doubling, at most 10 s).
fn backoff(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(4);
    Duration::from_secs(secs).min(Duration::from_secs(10))
}

/// The `PodScheduled` condition to write for an unschedulable Pod, or `None` when the Pod
/// already has it. Its transition time is kept while the status stays `False`.
fn unschedulable_condition(pod: &Pod, message: &str, now: Timestamp) -> Option<PodCondition> {
    let current = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"));
    let same = current.is_some_and(|c| {
        c.status == "False"
            && c.reason.as_deref() == Some("Unschedulable")
            && c.message.as_deref() == Some(message)
    });
    if same {
        return None;
    }
    let since = current
        .filter(|c| c.status == "False")
        .and_then(|c| c.last_transition_time.clone())
        .unwrap_or(Time(now));
    Some(PodCondition {
        type_: "PodScheduled".into(),
        status: "False".into(),
        reason: Some("Unschedulable".into()),
        message: Some(message.into()),
        last_transition_time: Some(since),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodStatus;

    use crate::fixtures::time;

    #[test]
    fn backoff_doubles_up_to_10s() {
        let cases = [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (50, 10)];
        for (n, secs) in cases {
            assert_eq!(backoff(n), Duration::from_secs(secs), "{n}");
        }
    }

    #[test]
    fn condition_is_written_only_when_it_changes() {
        let now = "2024-01-01T00:05:00Z".parse().unwrap();
        let with = |status: &str, message: &str| Pod {
            status: Some(PodStatus {
                conditions: Some(vec![PodCondition {
                    type_: "PodScheduled".into(),
                    status: status.into(),
                    reason: (status == "False").then(|| "Unschedulable".into()),
                    message: (!message.is_empty()).then(|| message.into()),
                    last_transition_time: Some(time("2024-01-01T00:00:00Z")),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let since =
            |c: Option<PodCondition>| c.map(|c| c.last_transition_time.unwrap().0.to_string());
        let cases = [
            ("none yet", Pod::default(), Some("2024-01-01T00:05:00Z")),
            ("same", with("False", "m"), None),
            (
                "new message",
                with("False", "old"),
                Some("2024-01-01T00:00:00Z"),
            ),
            ("was True", with("True", ""), Some("2024-01-01T00:05:00Z")),
        ];
        for (what, pod, want) in cases {
            assert_eq!(
                since(unschedulable_condition(&pod, "m", now)).as_deref(),
                want,
                "{what}"
            );
        }
        let c = unschedulable_condition(&Pod::default(), "m", now).unwrap();
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                   "message": "m", "lastTransitionTime": "2024-01-01T00:05:00Z"})
        );
    }
}
