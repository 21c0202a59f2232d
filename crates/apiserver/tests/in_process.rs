//! The in-process transport ([`kubelite_apiserver::InProcess`]) under the kube-rs client, as
//! `kubelite up`'s components use it: the same API as over a connection (writes, reads,
//! watches), authenticated the same way.

use std::sync::Arc;

use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kubelite_apiserver::{ApiServer, Config, InProcess};
use serde_json::json;

const TOKEN: &str = "in-process-test-token";

async fn server() -> Arc<ApiServer> {
    let config = Config {
        service_cidr: "10.43.0.0/16".parse().unwrap(),
        node_port_range: (30000, 32767),
        advertise_address: "127.0.0.1".parse().unwrap(),
        port: 6443,
        admin_token: TOKEN.into(),
    };
    ApiServer::new(Arc::new(kubelite_store::MemoryStore::new()), config)
        .await
        .unwrap()
}

fn accounts(server: Arc<ApiServer>, token: &str) -> Api<ServiceAccount> {
    let transport = InProcess::new(server, token).unwrap();
    Api::default_namespaced(kube::Client::new(transport, "default"))
}

#[tokio::test]
async fn a_kube_client_writes_reads_and_watches() {
    let accounts = accounts(server().await, TOKEN);
    let account = serde_json::from_value(json!({"metadata": {"name": "a", "labels": {"k": "v1"}}}));
    let created = accounts
        .create(&PostParams::default(), &account.unwrap())
        .await
        .unwrap();
    let version = created.metadata.resource_version.unwrap();
    let mut events = accounts
        .watch(&WatchParams::default(), &version)
        .await
        .unwrap()
        .boxed();
    let change = Patch::Merge(json!({"metadata": {"labels": {"k": "v2"}}}));
    accounts
        .patch("a", &PatchParams::default(), &change)
        .await
        .unwrap();
    match events.try_next().await.unwrap() {
        Some(WatchEvent::Modified(a)) => assert_eq!(a.metadata.labels.unwrap()["k"], "v2"),
        other => panic!("expected the change on the watch, got {other:?}"),
    }
    let account = accounts.get("a").await.unwrap();
    assert_eq!(account.metadata.labels.unwrap()["k"], "v2");
    let names: Vec<_> = accounts
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|a| a.metadata.name)
        .collect();
    assert!(names.contains(&"a".to_owned()), "{names:?}");
}

#[tokio::test]
async fn requests_carry_the_token_the_server_checks() {
    let accounts = accounts(server().await, "some-other-token");
    match accounts.list(&ListParams::default()).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 401, "{status:?}"),
        other => panic!("expected 401 Unauthorized, got {other:?}"),
    }
}
