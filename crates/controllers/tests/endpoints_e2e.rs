//! The controllers against the real API server, in process: Services and Pods go in through the
//! API, and the EndpointSlices and Endpoints the controllers write are read back. Pod status is
//! set through `pods/status`, standing in for the node agent.

mod common;

use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use common::{eventually, start};

const SERVICE_NAME: &str = "kubernetes.io/service-name";
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";

/// The slices of `svc` managed by `controller`.
async fn slices(client: &Client, svc: &str, controller: &str) -> Vec<EndpointSlice> {
    let api: Api<EndpointSlice> = Api::namespaced(client.clone(), "default");
    let lp =
        ListParams::default().labels(&format!("{SERVICE_NAME}={svc},{MANAGED_BY}={controller}"));
    api.list(&lp).await.unwrap().items
}

/// `pod@ip[RST]` per endpoint (lowercase = false), sorted.
fn endpoints_of(slice: &EndpointSlice) -> Vec<String> {
    let mut out: Vec<String> = slice
        .endpoints
        .iter()
        .map(|e| {
            let c = e.conditions.clone().unwrap_or_default();
            let f = |v: Option<bool>, t: char| {
                if v == Some(true) {
                    t
                } else {
                    t.to_ascii_lowercase()
                }
            };
            format!(
                "{}@{}[{}{}{}]",
                e.target_ref
                    .as_ref()
                    .and_then(|t| t.name.clone())
                    .unwrap_or_default(),
                e.addresses.join(","),
                f(c.ready, 'R'),
                f(c.serving, 'S'),
                f(c.terminating, 'T')
            )
        })
        .collect();
    out.sort();
    out
}

/// `ready|notReady|ports` per subset.
fn subsets_of(ep: &Endpoints) -> Vec<String> {
    ep.subsets
        .iter()
        .flatten()
        .map(|s| {
            let ips = |l: &Option<Vec<k8s_openapi::api::core::v1::EndpointAddress>>| {
                l.iter()
                    .flatten()
                    .map(|a| a.ip.clone())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let ports: Vec<String> = s
                .ports
                .iter()
                .flatten()
                .map(|p| {
                    format!(
                        "{}:{}/{}",
                        p.name.as_deref().unwrap_or(""),
                        p.port,
                        p.protocol.as_deref().unwrap_or("")
                    )
                })
                .collect();
            format!(
                "{}|{}|{}",
                ips(&s.addresses),
                ips(&s.not_ready_addresses),
                ports.join(",")
            )
        })
        .collect()
}

async fn create_pod(client: &Client, name: &str) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"nodeName": "node1", "containers": [{"name": "app", "image": "busybox",
                 "ports": [{"name": "http", "containerPort": 8080}]}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
}

async fn set_status(client: &Client, name: &str, ip: &str, ready: bool) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let status = json!({"status": {
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                        "lastTransitionTime": "2024-01-01T00:00:00Z"}],
    }});
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controllers_follow_services_and_pods() {
    let cluster = start().await;
    let client = &cluster.client;
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    let endpoints: Api<Endpoints> = Api::namespaced(client.clone(), "default");
    let slice_ctl = "endpointslice-controller.k8s.io";
    let mirror_ctl = "endpointslicemirroring-controller.k8s.io";

    // A Service that selects nothing yet gets an empty placeholder slice and empty Endpoints.
    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": "web", "labels": {"team": "x"}},
        "spec": {"selector": {"app": "web"},
                 "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }))
    .unwrap();
    let svc = services.create(&PostParams::default(), &svc).await.unwrap();
    let placeholder = eventually("the placeholder slice", || async {
        let s = slices(client, "web", slice_ctl).await;
        (s.len() == 1).then(|| s[0].clone())
    })
    .await;
    assert!(
        placeholder.name_any().starts_with("web-"),
        "{}",
        placeholder.name_any()
    );
    assert!(placeholder.endpoints.is_empty());
    assert_eq!(placeholder.address_type, "IPv4");
    assert_eq!(placeholder.labels()["team"], "x");
    let owner = &placeholder.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str()),
        ("Service", svc.uid().unwrap().as_str())
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
    let ep = eventually("empty Endpoints", || async {
        endpoints.get_opt("web").await.unwrap()
    })
    .await;
    assert_eq!(subsets_of(&ep), Vec::<String>::new());
    assert_eq!(ep.labels()["team"], "x");

    // Pods get IPs and readiness: the placeholder is reused for their endpoints.
    create_pod(client, "a").await;
    create_pod(client, "b").await;
    create_pod(client, "no-ip").await;
    set_status(client, "a", "10.42.0.11", true).await;
    set_status(client, "b", "10.42.0.12", false).await;
    let slice = eventually("both pods in the slice", || async {
        let s = slices(client, "web", slice_ctl).await;
        (s.len() == 1 && s[0].endpoints.len() == 2).then(|| s[0].clone())
    })
    .await;
    assert_eq!(
        slice.name_any(),
        placeholder.name_any(),
        "the placeholder is reused"
    );
    assert_eq!(
        endpoints_of(&slice),
        vec!["a@10.42.0.11[RSt]", "b@10.42.0.12[rst]"]
    );
    let port = &slice.ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.port, port.protocol.as_deref()),
        (Some("http"), Some(8080), Some("TCP"))
    );
    assert!(
        slice
            .annotations()
            .contains_key("endpoints.kubernetes.io/last-change-trigger-time")
    );
    let target = slice.endpoints[0].target_ref.clone().unwrap();
    assert_eq!(target.kind.as_deref(), Some("Pod"));
    assert!(target.uid.is_some());
    assert_eq!(slice.endpoints[0].node_name.as_deref(), Some("node1"));
    eventually("Endpoints with a ready and a not-ready address", || async {
        let ep = endpoints.get("web").await.unwrap();
        (subsets_of(&ep) == vec!["10.42.0.11|10.42.0.12|http:8080/TCP"]).then_some(())
    })
    .await;

    // Readiness changes update the same slice.
    set_status(client, "b", "10.42.0.12", true).await;
    let updated = eventually("b ready", || async {
        let s = slices(client, "web", slice_ctl).await;
        (s.len() == 1 && endpoints_of(&s[0]) == vec!["a@10.42.0.11[RSt]", "b@10.42.0.12[RSt]"])
            .then(|| s[0].clone())
    })
    .await;
    assert_eq!(updated.name_any(), placeholder.name_any());

    // A Pod being deleted is terminating in the slice and gone from Endpoints.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.delete("a", &DeleteParams::default()).await.unwrap();
    eventually("a terminating", || async {
        let s = slices(client, "web", slice_ctl).await;
        (s.len() == 1 && endpoints_of(&s[0]) == vec!["a@10.42.0.11[rST]", "b@10.42.0.12[RSt]"])
            .then_some(())
    })
    .await;
    eventually("a out of Endpoints", || async {
        let ep = endpoints.get("web").await.unwrap();
        (subsets_of(&ep) == vec!["10.42.0.12||http:8080/TCP"]).then_some(())
    })
    .await;
    pods.delete("a", &DeleteParams::default().grace_period(0))
        .await
        .unwrap();
    eventually("a gone", || async {
        let s = slices(client, "web", slice_ctl).await;
        (s.len() == 1 && endpoints_of(&s[0]) == vec!["b@10.42.0.12[RSt]"]).then_some(())
    })
    .await;

    // A Service without a selector: the user's Endpoints are left alone and mirrored.
    let ext: Service = serde_json::from_value(json!({
        "metadata": {"name": "ext"},
        "spec": {"ports": [{"port": 5432}]},
    }))
    .unwrap();
    services.create(&PostParams::default(), &ext).await.unwrap();
    let user_ep: Endpoints = serde_json::from_value(json!({
        "metadata": {"name": "ext", "labels": {"owner": "me"}},
        "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "notReadyAddresses": [{"ip": "192.0.2.11"}],
                     "ports": [{"port": 5432, "protocol": "TCP"}]}],
    }))
    .unwrap();
    endpoints
        .create(&PostParams::default(), &user_ep)
        .await
        .unwrap();
    let mirrored = eventually("the mirrored slice", || async {
        let s = slices(client, "ext", mirror_ctl).await;
        (s.len() == 1).then(|| s[0].clone())
    })
    .await;
    assert_eq!(
        endpoints_of(&mirrored),
        vec!["@192.0.2.10[Rst]", "@192.0.2.11[rst]"]
    );
    assert_eq!(mirrored.labels()["owner"], "me");
    let port = &mirrored.ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.port),
        (Some(""), Some(5432)),
        "the empty name is kept"
    );
    assert_eq!(slices(client, "ext", slice_ctl).await.len(), 0);
    let ep = endpoints.get("ext").await.unwrap();
    assert_eq!(subsets_of(&ep), vec!["192.0.2.10|192.0.2.11|:5432/TCP"]);

    // The API server's own Endpoints opt out of mirroring.
    assert_eq!(slices(client, "kubernetes", mirror_ctl).await.len(), 0);

    // Deleting the Services removes what the controllers made for them.
    services
        .delete("web", &DeleteParams::default())
        .await
        .unwrap();
    services
        .delete("ext", &DeleteParams::default())
        .await
        .unwrap();
    eventually("web's slices and Endpoints gone", || async {
        let gone = slices(client, "web", slice_ctl).await.is_empty()
            && endpoints.get_opt("web").await.unwrap().is_none();
        gone.then_some(())
    })
    .await;
    eventually("ext's mirrored slices gone", || async {
        slices(client, "ext", mirror_ctl)
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    cluster.stop.cancel();
}
