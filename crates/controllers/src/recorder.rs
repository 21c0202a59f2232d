//! The event recorder: writes the core/v1 Events a controller reports, aggregating repeats as
//! the [`Correlator`] decides. Events are best effort and written in the background, as
//! upstream's broadcaster does: `record` only queues, one task per recorder writes in order, and
//! a failed write is logged, never failing the reconcile that reported it.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, ObjectReference};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;
use tokio::sync::mpsc;

use crate::error::is_not_found;
use crate::event::{Correlator, Write, new_event};

/// What the writer task is asked to do, in order.
enum Message {
    Record(Box<Event>),
    Forget(String),
}

/// The handle controllers hold; cheap to clone. Must be created inside a tokio runtime.
#[derive(Clone)]
pub struct Recorder {
    component: &'static str,
    tx: mpsc::UnboundedSender<Message>,
}

impl Recorder {
    /// A recorder whose Events come from `component` (`source.component` and
    /// `reportingComponent`); its writer task ends when the last handle is dropped.
    pub fn new(client: Client, component: &'static str) -> Recorder {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(
            Writer {
                client,
                correlator: Correlator::default(),
            }
            .run(rx),
        );
        Recorder { component, tx }
    }

    /// Records one occurrence of an Event about `involved`.
    pub fn record(&self, involved: &ObjectReference, type_: &str, reason: &str, message: &str) {
        let event = new_event(
            involved,
            type_,
            reason,
            message,
            self.component,
            Timestamp::now(),
        );
        // Sending fails only once the writer is gone, at shutdown.
        let _ = self.tx.send(Message::Record(Box::new(event)));
    }

    /// Forgets the Events about the object with this uid (it is gone or done with).
    pub fn forget(&self, uid: &str) {
        let _ = self.tx.send(Message::Forget(uid.to_string()));
    }
}

/// The writer task: owns the correlator, so aggregation sees every Event in order.
struct Writer {
    client: Client,
    correlator: Correlator,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Message>) {
        while let Some(message) = rx.recv().await {
            match message {
                Message::Record(event) => self.write(*event).await,
                Message::Forget(uid) => self.correlator.forget(&uid),
            }
        }
    }

    async fn write(&mut self, event: Event) {
        let reason = event.reason.clone().unwrap_or_default();
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
            tracing::warn!(%reason, "could not record an event: {e}");
        }
    }

    /// Creates `ev`; the answer (the stored Event) is not decoded: nothing reads it.
    async fn create(&self, ev: &Event) -> Result<(), kube::Error> {
        let ns = ev.metadata.namespace.as_deref().unwrap_or("default");
        let body = serde_json::to_vec(ev).map_err(kube::Error::SerdeError)?;
        let request = kube::core::Request::new(<Event as kube::Resource>::url_path(&(), Some(ns)))
            .create(&PostParams::default(), body)
            .map_err(kube::Error::BuildRequest)?;
        self.client.request_text(request).await.map(drop)
    }
}
