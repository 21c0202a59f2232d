//! `run` end to end: the real API server in process (memory store) and the proxy against it,
//! inside a fresh network namespace (the test re-runs itself under `unshare --net --mount`).
//! Services, EndpointSlices and the Node are written through the API as the controllers and
//! the agent would; connections through the programmed rules reach a listener.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Client;
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

const INSIDE: &str = "KUBELITE_PROXY_TEST_NETNS";
const METRICS: &str = "127.0.0.1:10249";

fn in_netns(name: &str, test: impl FnOnce()) {
    if std::env::var_os(INSIDE).is_some() {
        test();
        return;
    }
    let out = Command::new("unshare")
        .args(["--net", "--mount", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .expect("unshare (this test needs root)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "inner test failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sh(cmd: &str) {
    let out = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn api_server(dir: &std::path::Path) -> Client {
    let pki = kubelite_apiserver::pki::Pki::load_or_create(dir, &["127.0.0.1".into()]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = kubelite_apiserver::Config {
        service_cidr: "10.43.0.0/16".parse().unwrap(),
        node_port_range: (30000, 32767),
        advertise_address: "127.0.0.1".parse().unwrap(),
        port,
        admin_token: pki.admin_token.clone(),
    };
    let server =
        kubelite_apiserver::ApiServer::new(Arc::new(kubelite_store::MemoryStore::new()), config)
            .await
            .unwrap();
    let tls = pki.server_config().unwrap();
    tokio::spawn(kubelite_apiserver::serve(
        server,
        listener,
        tls,
        Default::default(),
    ));
    let ca = dir.join("ca.crt");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let kubeconfig = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "t",
        "clusters": [{"name": "t", "cluster": {"server": format!("https://127.0.0.1:{port}"),
                                               "certificate-authority": ca.to_str().unwrap()}}],
        "users": [{"name": "a", "user": {"token": pki.admin_token}}],
        "contexts": [{"name": "t", "context": {"cluster": "t", "user": "a"}}],
    });
    let kubeconfig = Kubeconfig::from_yaml(&kubeconfig.to_string()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

async fn get(addr: String) -> std::io::Result<String> {
    tokio::task::spawn_blocking(move || {
        let addr: SocketAddr = addr.parse().unwrap();
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut out = String::new();
        stream.read_to_string(&mut out)?;
        Ok(out)
    })
    .await
    .unwrap()
}

async fn eventually(what: &str, mut ok: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if ok().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn slice(service: &str, ips: &[&str]) -> EndpointSlice {
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    serde_json::from_value(json!({
        "metadata": {"name": format!("{service}-x1"), "namespace": "default",
                     "labels": {"kubernetes.io/service-name": service},
                     "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": now}},
        "addressType": "IPv4",
        "endpoints": ips.iter().map(|ip| json!({"addresses": [ip], "nodeName": "node1"})).collect::<Vec<_>>(),
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
    }))
    .unwrap()
}

#[test]
fn the_proxy_programs_what_the_api_says() {
    in_netns("the_proxy_programs_what_the_api_says", || {
        sh("ip link set lo up");
        sh("ip link add kl0 type veth peer name kl0p");
        sh("ip addr add 10.42.0.1/24 dev kl0 && ip link set kl0 up && ip link set kl0p up");
        sh("ip addr add 10.42.0.5/32 dev kl0p && ip route add 10.43.0.0/16 dev kl0");
        let listener = TcpListener::bind("10.42.0.5:8080").unwrap();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let _ = conn.write_all(b"hello");
            }
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(scenario());
    });
}

async fn scenario() {
    let dir = tempfile::tempdir().unwrap();
    let client = api_server(dir.path()).await;
    let pp = PostParams::default();
    let nodes: Api<Node> = Api::all(client.clone());
    nodes
        .create(
            &pp,
            &serde_json::from_value(json!({
                "metadata": {"name": "node1"},
                "status": {"addresses": [{"type": "InternalIP", "address": "10.42.0.1"}]}
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    let web = services
        .create(&pp, &serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {"type": "NodePort", "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30010}]}
        })).unwrap())
        .await
        .unwrap();
    let empty = services
        .create(
            &pp,
            &serde_json::from_value(json!({
                "metadata": {"name": "empty"},
                "spec": {"ports": [{"name": "http", "port": 80}]}
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), "default");
    slices
        .create(&pp, &slice("web", &["10.42.0.5"]))
        .await
        .unwrap();
    let web_ip = web.spec.unwrap().cluster_ip.unwrap();
    let empty_ip = empty.spec.unwrap().cluster_ip.unwrap();

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut config = kubelite_proxy::Config::new(
        "node1",
        "10.43.0.0/16".parse().unwrap(),
        "10.42.0.0/16".parse().unwrap(),
    );
    config.metrics_addr = Some(METRICS.parse().unwrap());
    let proxy = tokio::spawn(kubelite_proxy::run(client.clone(), config, async {
        let _ = stop_rx.await;
    }));

    eventually("the ClusterIP", async || {
        get(format!("{web_ip}:80")).await.is_ok()
    })
    .await;
    assert_eq!(get(format!("{web_ip}:80")).await.unwrap(), "hello");
    eventually("the NodePort on localhost", async || {
        get("127.0.0.1:30010".into()).await.is_ok()
    })
    .await;
    assert_eq!(get("10.42.0.1:30010".into()).await.unwrap(), "hello");
    let refused = get(format!("{empty_ip}:80")).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

    // An EndpointSlice appears for the empty Service: it answers soon after.
    slices
        .create(&pp, &slice("empty", &["10.42.0.5"]))
        .await
        .unwrap();
    eventually("the new endpoint", async || {
        get(format!("{empty_ip}:80")).await.is_ok()
    })
    .await;

    // The rules are live as soon as `nft` returns; the sync records its metrics just after,
    // so a client can connect before they show.
    eventually("the programming latency metric", async || {
        get_metrics().await.lines().any(|l| {
            l.starts_with("kubelite_proxy_network_programming_duration_seconds_count ")
                && !l.ends_with(" 0")
        })
    })
    .await;
    let metrics = get_metrics().await;
    assert!(
        metrics.contains("kubelite_proxy_syncs_total{kind=\"partial\"}"),
        "{metrics}"
    );

    stop_tx.send(()).unwrap();
    proxy.await.unwrap().unwrap();
    let out = Command::new("nft")
        .args(["list", "table", "ip", "kubelite"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "the table outlived the proxy");
}

async fn get_metrics() -> String {
    tokio::task::spawn_blocking(|| {
        let mut s = TcpStream::connect(METRICS).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap()
}
