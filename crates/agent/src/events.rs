//! kubelet-style Events about Pods (`source.component: kubelet`, `source.host: <node>`,
//! `involvedObject.fieldPath: spec.containers{<name>}`), written in the background so a slow
//! API server never holds a pod back. One task writes them in order, one at a time (as
//! client-go's event broadcaster does): a burst of Pods makes a queue of Events, not hundreds of
//! concurrent requests (and API connections) competing with the Pods' own status writes, and
//! at kubelet's rate (`rate`).

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::PostParams;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::rate::{EVENT_BURST, EVENT_QPS, TokenBucket};

/// Writes Events as the node's kubelet.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::UnboundedSender<Event>,
    node: String,
}

impl Recorder {
    /// A recorder for node `node`; its writer task ends when every clone is dropped.
    pub fn new(client: Client, node: String) -> Recorder {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_all(client, rx));
        Recorder { tx, node }
    }

    /// Records `reason`/`message` about `pod` (and its container `container`), type `Normal`
    /// unless `warning`.
    pub fn pod_event(
        &self,
        pod: &Pod,
        container: Option<&str>,
        warning: bool,
        reason: &str,
        message: String,
    ) {
        let now = Timestamp::now();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{name}.{:x}", now.as_nanosecond())),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: Some(name),
                namespace: Some(namespace),
                uid: pod.metadata.uid.clone(),
                resource_version: pod.metadata.resource_version.clone(),
                field_path: container.map(|c| format!("spec.containers{{{c}}}")),
            },
            reason: Some(reason.into()),
            message: Some(message),
            type_: Some(if warning { "Warning" } else { "Normal" }.into()),
            source: Some(EventSource {
                component: Some("kubelet".into()),
                host: Some(self.node.clone()),
            }),
            reporting_component: Some("kubelet".into()),
            reporting_instance: Some(self.node.clone()),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            event_time: None::<MicroTime>,
            count: Some(1),
            ..Default::default()
        };
        // The writer only stops once every recorder is gone.
        let _ = self.tx.send(event);
    }
}

/// Creates each Event received, in order, at most [`EVENT_QPS`] a second after a burst of
/// [`EVENT_BURST`] (kubelet's defaults).
async fn write_all(client: Client, mut rx: mpsc::UnboundedReceiver<Event>) {
    let mut bucket = TokenBucket::new(EVENT_QPS, EVENT_BURST, Instant::now());
    while let Some(event) = rx.recv().await {
        tokio::time::sleep(bucket.take(Instant::now())).await;
        if let Err(e) = create(&client, &event).await {
            tracing::debug!("event: {e}");
        }
    }
}

/// Creates `event`; the answer (the stored Event) is not decoded: nothing reads it.
async fn create(client: &Client, event: &Event) -> kube::Result<()> {
    let namespace = event.metadata.namespace.as_deref().unwrap_or_default();
    let body = serde_json::to_vec(event).map_err(kube::Error::SerdeError)?;
    let request =
        kube::core::Request::new(<Event as kube::Resource>::url_path(&(), Some(namespace)))
            .create(&PostParams::default(), body)
            .map_err(kube::Error::BuildRequest)?;
    client.request_text(request).await.map(drop)
}
