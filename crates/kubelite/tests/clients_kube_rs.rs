//! kube-rs, the Rust client, drives kubelite: it creates, lists, patches (JSON merge, strategic
//! merge and server-side apply) and watches Pods and Services.
//!
//! The client runs on its own thread that first joins the cluster's network namespace with
//! `setns`, then builds a current-thread tokio runtime there, so every socket it opens lives in
//! the isolated namespace, exactly where `kubectl` in the other tests talks to the server.

mod support;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, ResourceExt};
use serde_json::json;
use support::Cluster;

/// Runs `scenario` with a kube-rs client on a thread inside the cluster's network namespace.
fn with_client<F, Fut>(c: &Cluster, scenario: F)
where
    F: FnOnce(Client) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let kubeconfig: PathBuf = c.kubeconfig();
    c.in_netns(move || {
        let runtime = support::runtime();
        runtime.block_on(async move {
            let kc = Kubeconfig::read_from(&kubeconfig).expect("read kubeconfig");
            let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .expect("kube config");
            let client = Client::try_from(config).expect("kube client");
            scenario(client).await;
        });
    });
}

/// The next watch event, failing the test after 10 seconds of silence.
async fn next_event<K, S>(stream: &mut S) -> WatchEvent<K>
where
    S: Stream<Item = kube::Result<WatchEvent<K>>> + Unpin,
{
    match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(e))) => panic!("watch stream failed: {e}"),
        Ok(None) => panic!("watch stream ended early"),
        Err(_) => panic!("no watch event within 10s"),
    }
}

/// A short label for an event: `ADDED name`, `MODIFIED name`, ...
fn describe<K: kube::Resource>(event: &WatchEvent<K>) -> String {
    match event {
        WatchEvent::Added(o) => format!("ADDED {}", o.meta().name.clone().unwrap_or_default()),
        WatchEvent::Modified(o) => {
            format!("MODIFIED {}", o.meta().name.clone().unwrap_or_default())
        }
        WatchEvent::Deleted(o) => format!("DELETED {}", o.meta().name.clone().unwrap_or_default()),
        WatchEvent::Bookmark(_) => "BOOKMARK".into(),
        WatchEvent::Error(e) => format!("ERROR {e}"),
    }
}

/// Reads events until `name` is deleted; returns the event labels for that name, in order.
async fn events_until_deleted<K, S>(stream: &mut S, name: &str) -> Vec<String>
where
    K: kube::Resource,
    S: Stream<Item = kube::Result<WatchEvent<K>>> + Unpin,
{
    let mut seen = Vec::new();
    loop {
        let label = describe(&next_event(stream).await);
        if label.ends_with(&format!(" {name}")) {
            let done = label.starts_with("DELETED ");
            seen.push(label);
            if done {
                return seen;
            }
        } else {
            assert!(!label.starts_with("ERROR"), "watch error: {label}");
        }
    }
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]}
    }))
    .expect("pod")
}

fn service(name: &str) -> Service {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
    }))
    .expect("service")
}

#[test]
fn kube_rs_creates_lists_patches_and_watches_pods() {
    let c = Cluster::start();
    with_client(&c, |client| async move {
        let pods: Api<Pod> = Api::namespaced(client, "default");
        let before = pods.list(&ListParams::default()).await.expect("list pods");
        let start_rv = before
            .metadata
            .resource_version
            .clone()
            .expect("list resourceVersion");

        let mut events = pods
            .watch(&WatchParams::default().timeout(60), &start_rv)
            .await
            .expect("watch")
            .boxed();

        let created = pods
            .create(&PostParams::default(), &pod("kr-web"))
            .await
            .expect("create pod");
        assert!(created.uid().is_some(), "created pod has a uid");
        assert_eq!(
            created.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Pending")
        );

        let listed = pods
            .list(&ListParams::default().labels("app=kr-web"))
            .await
            .expect("list by label");
        let names: Vec<String> = listed.items.iter().map(|p| p.name_any()).collect();
        assert_eq!(names, vec!["kr-web".to_string()]);

        // JSON merge patch: labels merge key by key.
        let merged = pods
            .patch(
                "kr-web",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"tier": "front"}}})),
            )
            .await
            .expect("merge patch");
        assert_eq!(
            merged.labels().get("tier").map(String::as_str),
            Some("front")
        );
        assert_eq!(
            merged.labels().get("app").map(String::as_str),
            Some("kr-web")
        );

        // Strategic merge patch: containers merge by name, so the one container keeps its ports.
        let patch = json!({"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}});
        let smp = pods
            .patch("kr-web", &PatchParams::default(), &Patch::Strategic(patch))
            .await
            .expect("strategic patch");
        let containers = &smp.spec.as_ref().expect("spec").containers;
        assert_eq!(containers.len(), 1, "{containers:?}");
        assert_eq!(containers[0].image.as_deref(), Some("nginx:1.27"));
        assert_eq!(containers[0].ports.as_ref().map(Vec::len), Some(1));

        // Server-side apply: the field manager owns what it applied.
        let apply = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "kr-web", "labels": {"owner": "kube-rs"}},
        });
        let applied = pods
            .patch(
                "kr-web",
                &PatchParams::apply("kube-rs-test").force(),
                &Patch::Apply(apply),
            )
            .await
            .expect("server-side apply");
        assert_eq!(
            applied.labels().get("owner").map(String::as_str),
            Some("kube-rs")
        );
        let managers: Vec<(String, String)> = applied
            .managed_fields()
            .iter()
            .map(|m| {
                (
                    m.manager.clone().unwrap_or_default(),
                    m.operation.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert!(
            managers.contains(&("kube-rs-test".to_string(), "Apply".to_string())),
            "{managers:?}"
        );
        let rv_created: u64 = created
            .resource_version()
            .expect("rv")
            .parse()
            .expect("numeric rv");
        let rv_applied: u64 = applied
            .resource_version()
            .expect("rv")
            .parse()
            .expect("numeric rv");
        assert!(rv_applied > rv_created, "{rv_applied} > {rv_created}");

        pods.delete("kr-web", &DeleteParams::default())
            .await
            .expect("delete pod");

        let seen = events_until_deleted(&mut events, "kr-web").await;
        assert_eq!(
            seen.first().map(String::as_str),
            Some("ADDED kr-web"),
            "{seen:?}"
        );
        let modified = seen.iter().filter(|e| e.starts_with("MODIFIED ")).count();
        assert!(
            modified >= 3,
            "merge, strategic and apply each produce MODIFIED: {seen:?}"
        );

        let gone = pods.get_opt("kr-web").await.expect("get after delete");
        assert!(gone.is_none(), "pod still present after delete");
    });
}

#[test]
fn kube_rs_creates_lists_patches_and_watches_services() {
    let c = Cluster::start();
    with_client(&c, |client| async move {
        let services: Api<Service> = Api::namespaced(client, "default");
        let before = services
            .list(&ListParams::default())
            .await
            .expect("list services");
        let start_rv = before
            .metadata
            .resource_version
            .clone()
            .expect("list resourceVersion");
        let mut events = services
            .watch(&WatchParams::default().timeout(60), &start_rv)
            .await
            .expect("watch")
            .boxed();

        let created = services
            .create(&PostParams::default(), &service("kr-svc"))
            .await
            .expect("create service");
        let spec = created.spec.clone().expect("spec");
        let cluster_ip = spec.cluster_ip.clone().expect("clusterIP allocated");
        assert!(
            cluster_ip.parse::<std::net::IpAddr>().is_ok(),
            "clusterIP {cluster_ip}"
        );
        assert_eq!(spec.cluster_ips.clone(), Some(vec![cluster_ip.clone()]));
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));

        let listed = services
            .list(&ListParams::default().fields("metadata.name=kr-svc"))
            .await
            .expect("list");
        assert_eq!(listed.items.len(), 1);
        assert_eq!(
            listed.items[0]
                .spec
                .as_ref()
                .and_then(|s| s.cluster_ip.clone()),
            Some(cluster_ip.clone())
        );

        let merged = services
            .patch(
                "kr-svc",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"annotations": {"note": "merged"}}})),
            )
            .await
            .expect("merge patch");
        assert_eq!(
            merged.annotations().get("note").map(String::as_str),
            Some("merged")
        );

        // Strategic merge patch: service ports merge by `port`, so the new port is added; without
        // `$setElementOrder`, upstream's mergeSortedSlice puts patch items before server-only ones.
        let patch =
            json!({"spec": {"ports": [{"name": "metrics", "port": 9090, "targetPort": 9090}]}});
        let smp = services
            .patch("kr-svc", &PatchParams::default(), &Patch::Strategic(patch))
            .await
            .expect("smp");
        let ports: Vec<i32> = smp
            .spec
            .as_ref()
            .expect("spec")
            .ports
            .iter()
            .flatten()
            .map(|p| p.port)
            .collect();
        assert_eq!(ports, vec![9090, 80]);

        // Server-side apply turns it into a NodePort service; the ClusterIP stays.
        let apply = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kr-svc"},
            "spec": {"type": "NodePort", "selector": {"app": "kr-svc"},
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
        });
        let applied = services
            .patch(
                "kr-svc",
                &PatchParams::apply("kube-rs-test").force(),
                &Patch::Apply(apply),
            )
            .await
            .expect("server-side apply");
        let spec = applied.spec.expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("NodePort"));
        assert_eq!(spec.cluster_ip.as_deref(), Some(cluster_ip.as_str()));
        let node_ports: Vec<i32> = spec
            .ports
            .iter()
            .flatten()
            .filter_map(|p| p.node_port)
            .collect();
        assert!(
            !node_ports.is_empty(),
            "a nodePort is allocated: {:?}",
            spec.ports
        );
        for port in node_ports {
            assert!(
                (30000..=32767).contains(&port),
                "nodePort {port} in the default range"
            );
        }

        services
            .delete("kr-svc", &DeleteParams::default())
            .await
            .expect("delete service");
        let seen = events_until_deleted(&mut events, "kr-svc").await;
        assert_eq!(
            seen.first().map(String::as_str),
            Some("ADDED kr-svc"),
            "{seen:?}"
        );
        let modified = seen.iter().filter(|e| e.starts_with("MODIFIED ")).count();
        assert!(
            modified >= 3,
            "merge, strategic and apply each produce MODIFIED: {seen:?}"
        );
        assert!(services.get_opt("kr-svc").await.expect("get").is_none());
    });
}
