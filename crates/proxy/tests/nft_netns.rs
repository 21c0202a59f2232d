//! The rendered ruleset in a real kernel: inside a fresh network namespace (the test re-runs
//! itself under `unshare --net --mount`), a full sync and partial syncs are applied with the
//! real `nft`, and TCP connections through them reach a listener or are refused at once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kubelite_proxy::model::Ruleset;
use kubelite_proxy::snapshot::{ServiceInfo, ServiceState, SliceInfo};
use kubelite_proxy::transaction::{self, Existing, ServiceChange};
use kubelite_proxy::{NodeInfo, Snapshot, nft, plan};
use serde_json::json;

const INSIDE: &str = "KUBELITE_PROXY_TEST_NETNS";

/// Runs `test` in a fresh network namespace: re-executes this test binary under unshare.
fn in_netns(name: &str, test: impl FnOnce()) {
    if std::env::var_os(INSIDE).is_some() {
        test();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("unshare")
        .args(["--net", "--mount", "--"])
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .expect("unshare (this test needs root)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "inner test failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
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

fn node() -> NodeInfo {
    NodeInfo {
        name: "node1".into(),
        ips: vec!["10.42.0.1".parse().unwrap()],
        cluster_cidr: "10.42.0.0/16".parse().unwrap(),
        service_cidr: "10.43.0.0/16".parse().unwrap(),
    }
}

/// A Service as the API server would hold it, with its EndpointSlice of `ips` on port 8080.
fn service(name: &str, spec: serde_json::Value, ips: &[&str]) -> ServiceState {
    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
        "status": {"loadBalancer": {"ingress": [{"ip": "10.42.0.1"}]}}
    }))
    .unwrap();
    let slice: EndpointSlice = serde_json::from_value(json!({
        "metadata": {"name": format!("{name}-abcde"), "namespace": "default",
                     "labels": {"kubernetes.io/service-name": name}},
        "addressType": "IPv4",
        "endpoints": ips.iter().map(|ip| json!({"addresses": [ip], "nodeName": "node1"})).collect::<Vec<_>>(),
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
    }))
    .unwrap();
    let info = ServiceInfo::from_service(&svc).unwrap();
    ServiceState::new(info, [&SliceInfo::from_slice(&slice).unwrap()])
}

fn cluster(empty_ips: &[&str]) -> Snapshot {
    let port = |p: u16, np: Option<u16>| {
        let mut v = json!({"name": "http", "port": p, "targetPort": 8080, "protocol": "TCP"});
        if let Some(np) = np {
            v["nodePort"] = json!(np);
        }
        v
    };
    [
        service(
            "web",
            json!({"clusterIP": "10.43.0.11", "ports": [port(80, None)]}),
            &["10.42.0.5"],
        ),
        service(
            "empty",
            json!({"clusterIP": "10.43.0.12", "ports": [port(80, None)]}),
            empty_ips,
        ),
        service(
            "np",
            json!({"type": "NodePort", "clusterIP": "10.43.0.13", "ports": [port(8011, Some(30010))]}),
            &["10.42.0.5"],
        ),
        service(
            "lb",
            json!({"type": "LoadBalancer", "clusterIP": "10.43.0.14", "ports": [port(8080, Some(31080))]}),
            &["10.42.0.5"],
        ),
    ]
    .into_iter()
    .map(|s| (s.service.name.clone(), s))
    .collect()
}

/// Connects and reads the listener's greeting, or returns the error.
fn get(addr: &str) -> std::io::Result<String> {
    let addr: SocketAddr = addr.parse().unwrap();
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    let mut out = String::new();
    stream.read_to_string(&mut out)?;
    Ok(out)
}

#[track_caller]
fn refused_at_once(addr: &str) {
    let start = Instant::now();
    let err = get(addr).expect_err(addr);
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::ConnectionRefused,
        "{addr}: {err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{addr} took {:?}",
        start.elapsed()
    );
}

fn full(ruleset: &Ruleset, existing: Existing) -> Vec<transaction::Op> {
    transaction::full(ruleset, &transaction::claims(ruleset), &existing, &[]).ops
}

#[test]
fn rules_route_real_connections() {
    in_netns("rules_route_real_connections", || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // The node: a bridge-like kl0 with the gateway address and the service CIDR routed
        // onto it, and a "pod" address 10.42.0.5 with a listener on 8080.
        sh("ip link set lo up");
        sh("ip link add kl0 type veth peer name kl0p");
        sh("ip addr add 10.42.0.1/24 dev kl0 && ip link set kl0 up && ip link set kl0p up");
        sh("ip addr add 10.42.0.5/32 dev kl0p");
        sh("ip route add 10.43.0.0/16 dev kl0");
        sh("echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet");
        let listener = TcpListener::bind("10.42.0.5:8080").unwrap();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let _ = conn.write_all(b"hello from 10.42.0.5");
            }
        });

        let node = node();
        let before = cluster(&[]);
        let ruleset = plan(&before, &node);
        rt.block_on(async {
            assert_eq!(nft::existing().await.unwrap(), Existing::default());
            nft::apply(&full(&ruleset, Existing::default()))
                .await
                .unwrap();
        });
        let hello = "hello from 10.42.0.5";
        assert_eq!(get("10.43.0.11:80").unwrap(), hello, "ClusterIP");
        assert_eq!(
            get("127.0.0.1:30010").unwrap(),
            hello,
            "NodePort on localhost"
        );
        assert_eq!(
            get("10.42.0.1:30010").unwrap(),
            hello,
            "NodePort on the node IP"
        );
        assert_eq!(
            get("127.0.0.1:8080").unwrap(),
            hello,
            "LoadBalancer port on localhost"
        );
        assert_eq!(get("10.42.0.1:8080").unwrap(), hello, "LoadBalancer IP");
        refused_at_once("10.43.0.12:80");
        refused_at_once("10.43.0.12:443");
        refused_at_once("10.43.0.11:81");
        refused_at_once("10.43.9.9:80");

        // A partial sync on top: the empty Service gets an endpoint.
        let after = cluster(&["10.42.0.5"]);
        let next = plan(&after, &node);
        let name = after.keys().find(|n| n.name == "empty").unwrap();
        let mut elements = transaction::claims(&ruleset);
        let old = ruleset.services.get(name);
        let new = next.services.get(name);
        let element_changes =
            elements.replace(name, &old.unwrap().elements, &new.unwrap().elements);
        let tx = transaction::partial(&[ServiceChange { name, old, new }], &element_changes, &[]);
        rt.block_on(nft::apply(&tx.ops)).unwrap();
        assert_eq!(
            get("10.43.0.12:80").unwrap(),
            hello,
            "after the partial sync"
        );
        refused_at_once("10.43.0.12:443");

        // Drift: someone flushes the dispatch chain; a full sync repairs it and sweeps
        // nothing it should keep.
        sh("nft flush chain ip kubelite services");
        assert!(
            get("10.43.0.11:80").is_err(),
            "the flushed chain still routes"
        );
        rt.block_on(async {
            let existing = nft::existing().await.unwrap();
            assert!(existing.chains.len() > 15, "{existing:?}");
            let tx = transaction::full(&next, &transaction::claims(&next), &existing, &[]);
            assert_eq!(tx.stale_chains, Vec::<String>::new());
            nft::apply(&tx.ops).await.unwrap();
        });
        assert_eq!(get("10.43.0.11:80").unwrap(), hello, "after the repair");
        assert_eq!(get("10.43.0.12:80").unwrap(), hello);

        // A Service removed: its chains go stale (flushed now, deleted by a later sync).
        let mut gone = after.clone();
        gone.retain(|n, _| n.name != "web");
        let last = plan(&gone, &node);
        rt.block_on(async {
            let existing = nft::existing().await.unwrap();
            let tx = transaction::full(&last, &transaction::claims(&last), &existing, &[]);
            assert_eq!(tx.stale_chains.len(), 2, "{:?}", tx.stale_chains);
            nft::apply(&tx.ops).await.unwrap();
            let existing = nft::existing().await.unwrap();
            let tx = transaction::full(
                &last,
                &transaction::claims(&last),
                &existing,
                &tx.stale_chains,
            );
            nft::apply(&tx.ops).await.unwrap();
            let left = nft::existing().await.unwrap();
            assert!(left.chains.iter().all(|c| !c.contains("/web/")), "{left:?}");
        });
        refused_at_once("10.43.0.11:80");

        // Shutdown removes everything.
        rt.block_on(async {
            nft::delete_table().await.unwrap();
            assert_eq!(nft::existing().await.unwrap(), Existing::default());
            nft::delete_table().await.unwrap();
        });
    });
}
