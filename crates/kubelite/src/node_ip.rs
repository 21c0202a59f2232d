//! The node's IP as the agent reports it (the Node's InternalIP), for the components `up` runs
//! that must name it: the API server's advertise address (when it listens on every address, so
//! the `kubernetes` Service routes Pods to it) and the cluster DNS endpoint.

use std::net::Ipv4Addr;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use kubelite_apiserver::ApiServer;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The Node's first IPv4 InternalIP.
fn internal_ip(node: &Node) -> Option<Ipv4Addr> {
    node.status
        .as_ref()?
        .addresses
        .as_ref()?
        .iter()
        .filter(|a| a.type_ == "InternalIP")
        .find_map(|a| a.address.parse().ok())
}

/// Watches Node `node_name` until `stop`; the receiver holds its InternalIP once known.
pub fn watch_node_ip(
    client: Client,
    node_name: String,
    stop: CancellationToken,
) -> watch::Receiver<Option<Ipv4Addr>> {
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        let nodes: Api<Node> = Api::all(client);
        let config = watcher::Config::default().fields(&format!("metadata.name={node_name}"));
        let mut stream = std::pin::pin!(watcher(nodes, config).default_backoff().applied_objects());
        loop {
            let node = tokio::select! {
                node = stream.next() => node,
                _ = stop.cancelled() => return,
            };
            match node {
                Some(Ok(node)) => {
                    if let Some(ip) = internal_ip(&node) {
                        tx.send_if_modified(|old| old.replace(ip) != Some(ip));
                    }
                }
                Some(Err(e)) => tracing::warn!("watching Node {node_name}: {e}"),
                None => return,
            }
        }
    });
    rx
}

/// Advertises the node IP as the API server's address whenever it changes, until the watch ends.
pub async fn advertise(server: Arc<ApiServer>, mut node_ip: watch::Receiver<Option<Ipv4Addr>>) {
    loop {
        let ip = *node_ip.borrow_and_update();
        if let Some(ip) = ip
            && let Err(e) = server.advertise(ip).await
        {
            tracing::warn!("{e:#}");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            node_ip.mark_changed();
        }
        if node_ip.changed().await.is_err() {
            return;
        }
    }
}
