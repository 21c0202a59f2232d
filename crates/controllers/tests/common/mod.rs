//! The test cluster shared by the integration tests: the real API server in process on
//! 127.0.0.1 (any port) over a memory store, with the controllers running against it.

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;
use tokio_util::sync::CancellationToken;

pub struct Cluster {
    pub client: Client,
    pub stop: CancellationToken,
    _dir: tempfile::TempDir,
}

/// Starts the API server on 127.0.0.1 (any port) over a memory store, and the controllers.
pub async fn start() -> Cluster {
    start_with_service_lb(true).await
}

/// [`start`], with the LoadBalancer controller on or off.
pub async fn start_with_service_lb(service_lb: bool) -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let pki = kubelite_apiserver::pki::Pki::load_or_create(
        dir.path(),
        &["127.0.0.1".into(), "localhost".into()],
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = kubelite_apiserver::Config {
        service_cidr: "10.43.0.0/16".parse().unwrap(),
        node_port_range: (30000, 32767),
        advertise_address: "127.0.0.1".parse().unwrap(),
        port,
        admin_token: pki.admin_token.clone(),
    };
    let store = Arc::new(kubelite_store::MemoryStore::new());
    let server = kubelite_apiserver::ApiServer::new(store, config)
        .await
        .unwrap();
    let stop = CancellationToken::new();
    server.spawn_controllers(stop.clone());
    tokio::spawn(kubelite_apiserver::serve(
        server,
        listener,
        pki.server_config().unwrap(),
        stop.clone(),
    ));

    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let kubeconfig = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {
            "server": format!("https://127.0.0.1:{port}"),
            "certificate-authority": ca.to_str().unwrap(),
        }}],
        "users": [{"name": "admin", "user": {"token": pki.admin_token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin"}}],
    });
    let kubeconfig = Kubeconfig::from_yaml(&kubeconfig.to_string()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    let client = Client::try_from(config).unwrap();

    let config = kubelite_controllers::Config {
        cluster_cidr: "10.42.0.0/16".parse().unwrap(),
        node_cidr_mask: 24,
        service_lb,
    };
    let controllers =
        kubelite_controllers::run(client.clone(), config, stop.clone().cancelled_owned());
    tokio::spawn(async move { controllers.await.expect("controllers") });
    Cluster {
        client,
        stop,
        _dir: dir,
    }
}

/// Polls `check` until it returns `Some`, for up to 15 s.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..150 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}
