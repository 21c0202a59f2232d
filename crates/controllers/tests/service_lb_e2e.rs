//! The LoadBalancer controller against the real API server, in process: Nodes and Services go
//! in through the API (node addresses and readiness through `nodes/status`, standing in for the
//! node agent), and the Services' `status.loadBalancer` and Events are read back.

mod common;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Endpoints, Event, Node, Service};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::{Value, json};

use common::{eventually, start, start_with_service_lb};

/// Creates or updates node `name`: Ready as `ready` says, with `ips` as its InternalIPs.
async fn set_node(client: &Client, name: &str, ready: bool, ips: &[&str]) {
    let nodes: Api<Node> = Api::all(client.clone());
    if nodes.get_opt(name).await.unwrap().is_none() {
        let node = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        nodes.create(&PostParams::default(), &node).await.unwrap();
    }
    let mut addresses: Vec<Value> = ips
        .iter()
        .map(|ip| json!({"type": "InternalIP", "address": ip}))
        .collect();
    addresses.push(json!({"type": "Hostname", "address": name}));
    let status = json!({"status": {
        "addresses": addresses,
        "conditions": [{
            "type": "Ready", "status": if ready { "True" } else { "False" },
            "reason": "KubeletReady", "message": "kubelet is posting ready status",
            "lastHeartbeatTime": "2024-01-01T00:00:00Z",
            "lastTransitionTime": "2024-01-01T00:00:00Z",
        }],
    }});
    nodes
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
}

/// Creates LoadBalancer Service `name` selecting `app=web` with `ports` (`"80/TCP"`), and
/// `extra` merged into its spec.
async fn create_lb(client: &Client, name: &str, ports: &[&str], extra: Value) -> Service {
    let ports: Vec<Value> = ports
        .iter()
        .map(|p| {
            let (port, protocol) = p.split_once('/').unwrap();
            let port: u16 = port.parse().unwrap();
            json!({"name": format!("p{port}-{}", protocol.to_lowercase()),
                   "port": port, "protocol": protocol})
        })
        .collect();
    let mut spec = json!({"type": "LoadBalancer", "selector": {"app": "web"}, "ports": ports});
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let svc = serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).unwrap();
    services(client)
        .create(&PostParams::default(), &svc)
        .await
        .unwrap()
}

fn services(client: &Client) -> Api<Service> {
    Api::namespaced(client.clone(), "default")
}

/// The Service's `status.loadBalancer` as JSON.
async fn lb_status(client: &Client, name: &str) -> Value {
    let svc = services(client).get(name).await.unwrap();
    serde_json::to_value(&svc.status.unwrap().load_balancer).unwrap()
}

/// Waits until the Service's ingress is `ips`, each with `ipMode: VIP` (none: `{}`).
async fn wait_ingress(client: &Client, name: &str, ips: &[&str]) {
    let want = if ips.is_empty() {
        json!({})
    } else {
        let ingress: Vec<Value> = ips
            .iter()
            .map(|ip| json!({"ip": ip, "ipMode": "VIP"}))
            .collect();
        json!({"ingress": ingress})
    };
    eventually(&format!("{name} ingress {ips:?}"), || async {
        (lb_status(client, name).await == want).then_some(())
    })
    .await;
}

/// `type reason: message` of every Event about the Service `name`, oldest first, with
/// ` (xN)` when it happened N > 1 times.
async fn events(client: &Client, name: &str) -> Vec<String> {
    let api: Api<Event> = Api::namespaced(client.clone(), "default");
    let lp = ListParams::default().fields(&format!("involvedObject.name={name}"));
    let mut list = api.list(&lp).await.unwrap().items;
    list.sort_by_key(|e| e.metadata.name.clone());
    list.iter()
        .filter(|e| e.involved_object.kind.as_deref() == Some("Service"))
        .map(|e| {
            let count = match e.count.unwrap_or(1) {
                1 => String::new(),
                n => format!(" (x{n})"),
            };
            format!(
                "{} {}: {}{count}",
                e.type_.as_deref().unwrap_or_default(),
                e.reason.as_deref().unwrap_or_default(),
                e.message.as_deref().unwrap_or_default()
            )
        })
        .collect()
}

/// Waits until the Events about `name` are `want`.
async fn wait_events(client: &Client, name: &str, want: &[&str]) {
    let seen = std::sync::Mutex::new(Vec::new());
    let what = format!("events of {name}: {want:?}");
    let found = tokio::time::timeout(
        Duration::from_secs(15),
        eventually(&what, || async {
            let now = events(client, name).await;
            let matched = now == want;
            *seen.lock().unwrap() = now;
            matched.then_some(())
        }),
    )
    .await;
    assert!(
        found.is_ok(),
        "{what}; last seen: {:?}",
        seen.lock().unwrap()
    );
}

const ENSURING: &str = "Normal EnsuringLoadBalancer: Ensuring load balancer";
const ENSURED: &str = "Normal EnsuredLoadBalancer: Ensured load balancer";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancers_get_node_ips_one_service_per_port() {
    let cluster = start().await;
    let client = &cluster.client;
    set_node(client, "kubelite", true, &["10.0.0.5"]).await;
    // The controller sees the Node through a watch of its own, which may lag the Service's: a
    // throwaway Service shows when it has (its ingress is the node's IP), so `first` is not told
    // that there are no available nodes.
    create_lb(client, "probe", &["9/TCP"], json!({})).await;
    wait_ingress(client, "probe", &["10.0.0.5"]).await;
    services(client)
        .delete("probe", &DeleteParams::default())
        .await
        .unwrap();

    // A LoadBalancer Service gets the node's IP, and Events say so.
    let first = create_lb(client, "first", &["80/TCP"], json!({})).await;
    wait_ingress(client, "first", &["10.0.0.5"]).await;
    wait_events(client, "first", &[ENSURING, ENSURED]).await;
    let api: Api<Event> = Api::namespaced(client.clone(), "default");
    let lp = ListParams::default().fields("involvedObject.name=first");
    let ev = api.list(&lp).await.unwrap().items.pop().unwrap();
    assert_eq!(
        (
            ev.source.and_then(|s| s.component),
            ev.reporting_component,
            ev.involved_object.uid,
            ev.involved_object.api_version,
        ),
        (
            Some("service-lb-controller".into()),
            Some("service-lb-controller".into()),
            first.uid(),
            Some("v1".into()),
        )
    );

    // Another implementation's Service is not ours: no ingress, no Events, no port held.
    create_lb(
        client,
        "classed",
        &["81/TCP"],
        json!({"loadBalancerClass": "example.com/lb"}),
    )
    .await;

    // A second claim on port 80 stays pending, and a Warning names the port and its holder.
    create_lb(client, "second", &["80/TCP", "443/TCP"], json!({})).await;
    let failed = "Warning SyncLoadBalancerFailed: Error syncing load balancer: failed to \
                  ensure load balancer: port 80/TCP is already in use by LoadBalancer Service \
                  default/first";
    wait_events(client, "second", &[ENSURING, failed]).await;
    assert_eq!(lb_status(client, "second").await, json!({}));

    // Ports are per Service: 81 is free, whatever the classed Service asks for.
    create_lb(client, "third", &["81/TCP"], json!({})).await;
    wait_ingress(client, "third", &["10.0.0.5"]).await;
    assert_eq!(lb_status(client, "classed").await, json!({}));
    assert_eq!(events(client, "classed").await, Vec::<String>::new());

    // Node changes move every ingress: a second node, a changed IP, a node no longer Ready.
    set_node(client, "other", true, &["10.0.0.7"]).await;
    wait_ingress(client, "first", &["10.0.0.5", "10.0.0.7"]).await;
    wait_ingress(client, "third", &["10.0.0.5", "10.0.0.7"]).await;
    set_node(client, "kubelite", true, &["10.0.0.6"]).await;
    wait_ingress(client, "first", &["10.0.0.6", "10.0.0.7"]).await;
    wait_ingress(client, "third", &["10.0.0.6", "10.0.0.7"]).await;
    set_node(client, "other", false, &["10.0.0.7"]).await;
    wait_ingress(client, "first", &["10.0.0.6"]).await;
    wait_ingress(client, "third", &["10.0.0.6"]).await;
    // One Event per change, aggregated.
    let updated = "Normal UpdatedLoadBalancer: Updated load balancer with new hosts (x3)";
    wait_events(client, "first", &[ENSURING, ENSURED, updated]).await;
    assert_eq!(lb_status(client, "second").await, json!({}));

    // The holder goes: the waiting Service gets the port.
    services(client)
        .delete("first", &DeleteParams::default())
        .await
        .unwrap();
    wait_ingress(client, "second", &["10.0.0.6"]).await;
    let ensuring_twice = format!("{ENSURING} (x2)");
    wait_events(client, "second", &[&ensuring_twice, failed, ENSURED]).await;

    // A Service that stops being a LoadBalancer loses the ingress we published (the API server
    // drops it with the type-dependent fields, as kube-apiserver does) and is told so.
    services(client)
        .patch(
            "third",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"type": "ClusterIP"}})),
        )
        .await
        .unwrap();
    wait_ingress(client, "third", &[]).await;
    wait_events(
        client,
        "third",
        &[
            ENSURING,
            ENSURED,
            updated,
            "Normal DeletingLoadBalancer: Deleting load balancer",
            "Normal DeletedLoadBalancer: Deleted load balancer",
        ],
    )
    .await;
    cluster.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_service_lb_load_balancers_stay_pending() {
    let cluster = start_with_service_lb(false).await;
    let client = &cluster.client;
    set_node(client, "kubelite", true, &["10.0.0.5"]).await;
    create_lb(client, "web", &["80/TCP"], json!({})).await;

    // The other controllers run: the Service's Endpoints are written.
    let endpoints: Api<Endpoints> = Api::namespaced(client.clone(), "default");
    eventually("the Endpoints of web", || async {
        endpoints.get_opt("web").await.unwrap()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lb_status(client, "web").await, json!({}));
    assert_eq!(events(client, "web").await, Vec::<String>::new());
    cluster.stop.cancel();
}
