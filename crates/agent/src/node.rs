//! The agent's Node object: registration (create, or adopt an existing Node and refresh its
//! labels), the status the kubelet posts (conditions with heartbeat and transition times,
//! addresses, capacity/allocatable, nodeInfo, daemonEndpoints), and waiting for the node IPAM
//! controller to assign `spec.podCIDR`. [`node_status`] is pure.

use std::collections::BTreeMap;
use std::time::Duration;

use ipnet::Ipv4Net;
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

use crate::error::{Error, Result};
use crate::host::HostFacts;

/// The kubelet version the Node reports.
pub const KUBELET_VERSION: &str = "v1.33.0-kubelite";
/// Pods per node (kubelet's `--max-pods` default).
pub const MAX_PODS: u32 = 110;
/// The field manager of the agent's writes.
pub const FIELD_MANAGER: &str = "kubelet";

/// The labels the kubelet puts on its Node.
pub fn node_labels(name: &str, arch: &str, control_plane: bool) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("beta.kubernetes.io/arch".to_owned(), arch.to_owned()),
        ("beta.kubernetes.io/os".to_owned(), "linux".to_owned()),
        ("kubernetes.io/arch".to_owned(), arch.to_owned()),
        ("kubernetes.io/hostname".to_owned(), name.to_owned()),
        ("kubernetes.io/os".to_owned(), "linux".to_owned()),
    ]);
    if control_plane {
        labels.insert(
            "node-role.kubernetes.io/control-plane".into(),
            String::new(),
        );
    }
    labels
}

/// What the status is computed from.
pub struct NodeView<'a> {
    /// Host facts.
    pub facts: &'a HostFacts,
    /// The node name (the Hostname address).
    pub name: &'a str,
    /// The InternalIP, once known.
    pub node_ip: Option<String>,
    /// Whether the pod network is set up.
    pub network_ready: bool,
    /// The agent's streaming port.
    pub kubelet_port: i32,
    /// kubelite's version.
    pub version: &'a str,
    /// The status as stored (for transition times).
    pub old: Option<&'a NodeStatus>,
    /// Now.
    pub now: Timestamp,
}

/// The Node status the agent posts.
pub fn node_status(view: &NodeView<'_>) -> NodeStatus {
    let old: Vec<NodeCondition> = view
        .old
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let condition = |type_: &str, status: &str, reason: &str, message: &str| {
        let since = old
            .iter()
            .find(|c| c.type_ == type_ && c.status == status)
            .and_then(|c| c.last_transition_time.clone())
            .unwrap_or(Time(view.now));
        NodeCondition {
            type_: type_.into(),
            status: status.into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_heartbeat_time: Some(Time(view.now)),
            last_transition_time: Some(since),
        }
    };
    let ready = if view.network_ready {
        condition(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        )
    } else {
        condition(
            "Ready",
            "False",
            "KubeletNotReady",
            "container runtime network not ready: NetworkReady=false \
             reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
        )
    };
    let facts = view.facts;
    let mut addresses = Vec::new();
    if let Some(ip) = &view.node_ip {
        addresses.push(NodeAddress {
            type_: "InternalIP".into(),
            address: ip.clone(),
        });
    }
    addresses.push(NodeAddress {
        type_: "Hostname".into(),
        address: view.name.to_owned(),
    });
    let q = |s: String| Quantity(s);
    let capacity = BTreeMap::from([
        ("cpu".to_owned(), q(facts.cpus.to_string())),
        (
            "ephemeral-storage".to_owned(),
            q(format!("{}Ki", facts.storage_kib)),
        ),
        ("memory".to_owned(), q(format!("{}Ki", facts.memory_kib))),
        ("pods".to_owned(), q(MAX_PODS.to_string())),
    ]);
    let mut allocatable = capacity.clone();
    // kubelet's default hard eviction thresholds: memory.available<100Mi, nodefs.available<10%.
    allocatable.insert(
        "memory".into(),
        q(format!("{}Ki", facts.memory_kib.saturating_sub(100 * 1024))),
    );
    allocatable.insert(
        "ephemeral-storage".into(),
        q((facts.storage_kib * 1024 / 10 * 9).to_string()),
    );
    NodeStatus {
        conditions: Some(vec![
            condition(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            condition(
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            ),
            condition(
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            ready,
        ]),
        addresses: Some(addresses),
        capacity: Some(capacity),
        allocatable: Some(allocatable),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint {
                port: view.kubelet_port,
            }),
        }),
        node_info: Some(NodeSystemInfo {
            architecture: facts.architecture.into(),
            boot_id: facts.boot_id.clone(),
            container_runtime_version: format!("kubelite://{}", view.version),
            kernel_version: facts.kernel_version.clone(),
            kube_proxy_version: String::new(),
            kubelet_version: KUBELET_VERSION.into(),
            machine_id: facts.machine_id.clone(),
            operating_system: "linux".into(),
            os_image: facts.os_image.clone(),
            system_uuid: facts.machine_id.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Creates the Node, or adopts an existing one and merges the agent's labels into it.
pub async fn register(
    api: &Api<Node>,
    name: &str,
    labels: BTreeMap<String, String>,
) -> Result<Node> {
    let node = Node {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    match api.create(&PostParams::default(), &node).await {
        Ok(node) => Ok(node),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            let patch = json!({"metadata": {"labels": labels}});
            Ok(api
                .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes `status` through `nodes/status`.
pub async fn post_status(api: &Api<Node>, name: &str, status: &NodeStatus) -> Result<Node> {
    let patch = json!({ "status": status });
    Ok(api
        .patch_status(
            name,
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Merge(&patch),
        )
        .await?)
}

/// Polls the Node until it has `spec.podCIDR`.
pub async fn wait_for_pod_cidr(api: &Api<Node>, name: &str) -> Result<Ipv4Net> {
    loop {
        let node = api.get(name).await?;
        if let Some(cidr) = node.spec.and_then(|s| s.pod_cidr) {
            return cidr
                .parse()
                .map_err(|_| Error::Config(format!("node {name} has a bad podCIDR {cidr:?}")));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_labels() {
        let facts = HostFacts {
            hostname: "h".into(),
            kernel_version: "6.18.0".into(),
            os_image: "Debian GNU/Linux 12 (bookworm)".into(),
            cpus: 2,
            memory_kib: 1024 * 1024,
            storage_kib: 1000,
            architecture: "amd64",
            ..Default::default()
        };
        let now: Timestamp = "2026-01-01T00:00:10Z".parse().unwrap();
        let old = NodeStatus {
            conditions: Some(vec![NodeCondition {
                type_: "Ready".into(),
                status: "False".into(),
                last_transition_time: Some(Time("2026-01-01T00:00:00Z".parse().unwrap())),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let status = node_status(&NodeView {
            facts: &facts,
            name: "h",
            node_ip: Some("10.42.0.1".into()),
            network_ready: true,
            kubelet_port: 10250,
            version: "0.1.0",
            old: Some(&old),
            now,
        });
        let v = serde_json::to_value(&status).unwrap();
        assert_eq!(v["conditions"][3]["type"], "Ready");
        assert_eq!(v["conditions"][3]["status"], "True");
        assert_eq!(
            v["conditions"][3]["lastTransitionTime"],
            "2026-01-01T00:00:10Z"
        );
        assert_eq!(
            v["addresses"],
            json!([{"type": "InternalIP", "address": "10.42.0.1"}, {"type": "Hostname", "address": "h"}])
        );
        assert_eq!(v["capacity"]["memory"], "1048576Ki");
        assert_eq!(v["allocatable"]["memory"], "946176Ki");
        assert_eq!(v["capacity"]["pods"], "110");
        assert_eq!(v["nodeInfo"]["containerRuntimeVersion"], "kubelite://0.1.0");
        assert_eq!(v["daemonEndpoints"]["kubeletEndpoint"]["Port"], 10250);
        let labels = node_labels("h", "amd64", true);
        assert_eq!(labels["kubernetes.io/hostname"], "h");
        assert!(labels.contains_key("node-role.kubernetes.io/control-plane"));
        assert!(
            !node_labels("h", "amd64", false).contains_key("node-role.kubernetes.io/control-plane")
        );
    }
}
