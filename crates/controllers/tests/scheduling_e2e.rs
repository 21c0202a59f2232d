//! The scheduler and the node IPAM controller against the real API server, in process: Nodes
//! and Pods go in through the API (node status through `nodes/status`, standing in for the node
//! agent), and the bindings, Pod conditions, Events and Pod CIDRs are read back.

mod common;

use k8s_openapi::api::core::v1::{Event, Node, Pod, PodCondition};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use common::{eventually, start};

fn not_helpful() -> &'static str {
    "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
}

async fn create_node(client: &Client, name: &str) {
    let nodes: Api<Node> = Api::all(client.clone());
    let node = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    nodes.create(&PostParams::default(), &node).await.unwrap();
}

async fn set_ready(client: &Client, name: &str) {
    let nodes: Api<Node> = Api::all(client.clone());
    let status = json!({"status": {"conditions": [{
        "type": "Ready", "status": "True", "reason": "KubeletReady",
        "message": "kubelet is posting ready status",
        "lastHeartbeatTime": "2024-01-01T00:00:00Z", "lastTransitionTime": "2024-01-01T00:00:00Z",
    }]}});
    nodes
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
}

async fn label_node(client: &Client, name: &str, key: &str, value: &str) {
    let nodes: Api<Node> = Api::all(client.clone());
    let patch = json!({"metadata": {"labels": {key: value}}});
    nodes
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

async fn create_pod(client: &Client, name: &str, node_selector: serde_json::Value) -> Pod {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"nodeSelector": node_selector,
                 "containers": [{"name": "app", "image": "traefik/whoami"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap()
}

async fn pod(client: &Client, name: &str) -> Pod {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.get(name).await.unwrap()
}

fn scheduled_condition(pod: &Pod) -> Option<PodCondition> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "PodScheduled")
        .cloned()
}

/// Waits until the Pod is `PodScheduled=False`/`Unschedulable` with `message`.
async fn wait_unschedulable(client: &Client, name: &str, message: &str) -> PodCondition {
    eventually(&format!("{name} unschedulable: {message}"), || async {
        let c = scheduled_condition(&pod(client, name).await)?;
        (c.status == "False"
            && c.reason.as_deref() == Some("Unschedulable")
            && c.message.as_deref() == Some(message))
        .then_some(c)
    })
    .await
}

/// The Events about the Pod `name` with `reason`.
async fn events(client: &Client, name: &str, reason: &str) -> Vec<Event> {
    let api: Api<Event> = Api::namespaced(client.clone(), "default");
    let lp = ListParams::default().fields(&format!("involvedObject.name={name}"));
    let mut list = api.list(&lp).await.unwrap().items;
    list.retain(|e| e.reason.as_deref() == Some(reason));
    list
}

/// The FailedScheduling Event about `name` with `message`, once its count is at least `count`.
async fn failed_scheduling(client: &Client, name: &str, message: &str, count: i32) -> Event {
    eventually(&format!("FailedScheduling x{count} for {name}"), || async {
        events(client, name, "FailedScheduling")
            .await
            .into_iter()
            .find(|e| e.message.as_deref() == Some(message) && e.count.unwrap_or(0) >= count)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_are_scheduled_and_nodes_get_pod_cidrs() {
    let cluster = start().await;
    let client = &cluster.client;

    // Without nodes a Pod stays Pending, and says so.
    let whoami = create_pod(client, "whoami", json!({})).await;
    let no_nodes = "no nodes available to schedule pods";
    wait_unschedulable(client, "whoami", no_nodes).await;
    let ev = failed_scheduling(client, "whoami", no_nodes, 1).await;
    assert_eq!(ev.type_.as_deref(), Some("Warning"));
    assert_eq!(
        ev.source.as_ref().and_then(|s| s.component.as_deref()),
        Some("default-scheduler")
    );
    assert_eq!(ev.reporting_component.as_deref(), Some("default-scheduler"));
    assert_eq!(ev.involved_object.uid, whoami.uid());

    // A node that is not ready yet: the Pod waits for it, and the node gets a Pod CIDR.
    create_node(client, "kubelite").await;
    let not_ready = format!(
        "0/1 nodes are available: 1 node(s) had untolerated taint {{node.kubernetes.io/not-ready: }}. {}",
        not_helpful()
    );
    wait_unschedulable(client, "whoami", &not_ready).await;
    failed_scheduling(client, "whoami", &not_ready, 1).await;
    let nodes: Api<Node> = Api::all(client.clone());
    let node = eventually("a Pod CIDR for kubelite", || async {
        let n = nodes.get("kubelite").await.unwrap();
        n.spec.as_ref()?.pod_cidr.is_some().then_some(n)
    })
    .await;
    let spec = node.spec.unwrap();
    assert_eq!(spec.pod_cidr.as_deref(), Some("10.42.0.0/24"));
    assert_eq!(spec.pod_cidrs, Some(vec!["10.42.0.0/24".to_string()]));

    // Once the node is ready the Pod is bound to it, and a Scheduled event says so.
    set_ready(client, "kubelite").await;
    let bound = eventually("whoami bound", || async {
        let p = pod(client, "whoami").await;
        (p.spec.as_ref()?.node_name.as_deref() == Some("kubelite")).then_some(p)
    })
    .await;
    let cond = scheduled_condition(&bound).unwrap();
    assert_eq!(cond.status, "True");
    let scheduled = eventually("the Scheduled event", || async {
        events(client, "whoami", "Scheduled").await.pop()
    })
    .await;
    assert_eq!(
        (
            scheduled.type_.as_deref(),
            scheduled.message.as_deref(),
            scheduled.count,
        ),
        (
            Some("Normal"),
            Some("Successfully assigned default/whoami to kubelite"),
            Some(1)
        )
    );
    assert_eq!(
        scheduled
            .source
            .as_ref()
            .and_then(|s| s.component.as_deref()),
        Some("default-scheduler")
    );
    assert_eq!(
        scheduled.reporting_component.as_deref(),
        Some("default-scheduler")
    );
    let involved = &scheduled.involved_object;
    assert_eq!(
        (
            involved.kind.as_deref(),
            involved.api_version.as_deref(),
            involved.namespace.as_deref(),
            involved.uid.as_deref(),
        ),
        (
            Some("Pod"),
            Some("v1"),
            Some("default"),
            whoami.uid().as_deref()
        )
    );
    assert!(involved.resource_version.is_some());
    assert!(scheduled.first_timestamp.is_some());
    assert_eq!(scheduled.first_timestamp, scheduled.last_timestamp);
    assert!(
        scheduled
            .metadata
            .name
            .as_deref()
            .unwrap()
            .starts_with("whoami."),
        "{:?}",
        scheduled.metadata.name
    );
    assert_eq!(events(client, "whoami", "Scheduled").await.len(), 1);

    // A Pod no node matches stays Pending; every retry bumps the same event's count.
    create_pod(client, "picky", json!({"disk": "ssd"})).await;
    let mismatch = format!(
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. {}",
        not_helpful()
    );
    wait_unschedulable(client, "picky", &mismatch).await;
    let first = failed_scheduling(client, "picky", &mismatch, 1).await;
    label_node(client, "kubelite", "touched", "once").await;
    let second = failed_scheduling(client, "picky", &mismatch, 2).await;
    assert_eq!(second.metadata.name, first.metadata.name, "the same event");
    assert_eq!(second.first_timestamp, first.first_timestamp);
    assert_eq!(events(client, "picky", "FailedScheduling").await.len(), 1);
    let picky = pod(client, "picky").await;
    assert_eq!(picky.spec.unwrap().node_name, None);
    assert_eq!(picky.status.unwrap().phase.as_deref(), Some("Pending"));

    // A matching label lets it on.
    label_node(client, "kubelite", "disk", "ssd").await;
    eventually("picky bound", || async {
        let p = pod(client, "picky").await;
        (p.spec.as_ref()?.node_name.as_deref() == Some("kubelite")).then_some(())
    })
    .await;

    // A second node gets the next block.
    create_node(client, "other").await;
    let other = eventually("a Pod CIDR for other", || async {
        nodes.get("other").await.unwrap().spec?.pod_cidr
    })
    .await;
    assert_eq!(other, "10.42.1.0/24");
    cluster.stop.cancel();
}
