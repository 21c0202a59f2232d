//! Port-forward (`portforward.k8s.io`) on a SPDY connection, raw or tunnelled in WebSocket:
//! per `requestid` the client opens an `error` and a `data` stream naming the pod `port`; the
//! server dials the port through the runtime and copies bytes both ways, or writes the dial
//! error as text on the error stream. Pairs run concurrently.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kubelite_spdy::{Connection, Incoming, Stream};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::oneshot;

use crate::runtime::PodRuntime;

/// kubelet's limit for the second stream of a pair to arrive.
const PAIR_TIMEOUT: Duration = Duration::from_secs(30);

/// The pod a connection forwards to.
#[derive(Debug, Clone)]
pub struct Target {
    pub namespace: String,
    pub pod: String,
}

/// One half of a pair waiting for the other.
enum Waiting {
    Error(Stream),
    Data(Stream),
}

/// Serves port-forward streams until the client closes the connection.
pub async fn serve(
    runtime: Arc<dyn PodRuntime>,
    target: Target,
    conn: Connection,
    mut incoming: Incoming,
) {
    let target = Arc::new(target);
    // Each waiting half is handed over through a oneshot, so the timeout task can give up.
    let mut pending: HashMap<String, oneshot::Sender<Waiting>> = HashMap::new();
    while let Some(stream) = incoming.accept().await {
        pending.retain(|_, tx| !tx.is_closed());
        let headers = stream.headers();
        let request_id = headers.get("requestid").unwrap_or("").to_owned();
        let half = match headers.get("streamtype") {
            Some("error") => Waiting::Error(stream),
            Some("data") => Waiting::Data(stream),
            other => {
                tracing::debug!(?other, "port-forward: ignoring stream of unknown type");
                continue;
            }
        };
        match pending.remove(&request_id) {
            Some(first) => {
                if let Err(half) = first.send(half) {
                    // The first half timed out meanwhile: start over with this one.
                    pending.insert(
                        request_id,
                        wait_for_pair(runtime.clone(), target.clone(), half),
                    );
                }
            }
            None => {
                pending.insert(
                    request_id,
                    wait_for_pair(runtime.clone(), target.clone(), half),
                );
            }
        }
    }
    let _ = conn.closed().await;
}

/// Holds `first` until its partner arrives, then forwards.
fn wait_for_pair(
    runtime: Arc<dyn PodRuntime>,
    target: Arc<Target>,
    first: Waiting,
) -> oneshot::Sender<Waiting> {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let second = match tokio::time::timeout(PAIR_TIMEOUT, rx).await {
            Ok(Ok(second)) => second,
            _ => {
                if let Waiting::Error(mut error) = first {
                    let _ = error
                        .write_all(b"timed out waiting for the data stream")
                        .await;
                    let _ = error.shutdown().await;
                }
                return;
            }
        };
        let (error, data) = match (first, second) {
            (Waiting::Error(e), Waiting::Data(d)) | (Waiting::Data(d), Waiting::Error(e)) => (e, d),
            _ => {
                tracing::debug!("port-forward: two streams of the same type for one request");
                return;
            }
        };
        forward(runtime, &target, error, data).await;
    });
    tx
}

async fn forward(
    runtime: Arc<dyn PodRuntime>,
    target: &Target,
    mut error: Stream,
    mut data: Stream,
) {
    let port = data
        .headers()
        .get("port")
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|p| *p != 0);
    let result = match port {
        None => Err(format!(
            "invalid port {:?}",
            data.headers().get("port").unwrap_or("")
        )),
        Some(port) => match runtime
            .port_forward(&target.namespace, &target.pod, port)
            .await
        {
            Ok(mut tcp) => {
                let _ = tcp.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut data, &mut tcp).await;
                Ok(())
            }
            Err(e) => Err(format!(
                "error forwarding port {port} to pod {}, uid : {e}",
                target.pod
            )),
        },
    };
    if let Err(message) = result {
        tracing::debug!("port-forward: {message}");
        let _ = error.write_all(message.as_bytes()).await;
    }
    let _ = data.shutdown().await;
    let _ = error.shutdown().await;
}
