//! The event recorder: writes the core/v1 Events a controller reports, aggregating repeats as
//! the [`Correlator`] decides. Events are best effort, as upstream's: a failed write is logged
//! and never fails the reconcile that reported it.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, ObjectReference};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

use crate::error::is_not_found;
use crate::event::{Correlator, Write, new_event};

pub struct Recorder {
    client: Client,
    component: &'static str,
    correlator: Correlator,
}

impl Recorder {
    /// A recorder whose Events come from `component` (`source.component` and
    /// `reportingComponent`).
    pub fn new(client: Client, component: &'static str) -> Recorder {
        Recorder {
            client,
            component,
            correlator: Correlator::default(),
        }
    }

    /// Records one occurrence of an Event about `involved`.
    pub async fn record(
        &mut self,
        involved: &ObjectReference,
        type_: &str,
        reason: &str,
        message: &str,
    ) {
        let event = new_event(
            involved,
            type_,
            reason,
            message,
            self.component,
            Timestamp::now(),
        );
        let write = self.correlator.observe(event.clone());
        let written = match &write {
            Write::Create(ev) => self.create(ev).await,
            Write::Bump {
                namespace,
                name,
                count,
                last_timestamp,
            } => {
                let api: Api<Event> = Api::namespaced(self.client.clone(), namespace);
                let patch = json!({"count": count, "lastTimestamp": last_timestamp.to_string()});
                match api
                    .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    Err(e) if is_not_found(&e) => {
                        // The Event expired or was deleted: start a new one.
                        let ev = self.correlator.replace_lost(namespace, name, event);
                        self.create(&ev).await
                    }
                    other => other.map(drop),
                }
            }
        };
        if let Err(e) = written {
            tracing::warn!(reason, "could not record an event: {e}");
        }
    }

    /// Forgets the Events about the object with this uid (it is gone or done with).
    pub fn forget(&mut self, uid: &str) {
        self.correlator.forget(uid);
    }

    async fn create(&self, ev: &Event) -> Result<(), kube::Error> {
        let ns = ev.metadata.namespace.as_deref().unwrap_or("default");
        let api: Api<Event> = Api::namespaced(self.client.clone(), ns);
        api.create(&PostParams::default(), ev).await.map(drop)
    }
}
