//! The rendered ruleset in a real kernel: inside a fresh network namespace (each test re-runs
//! itself under `unshare --net --mount`), full and partial syncs are applied with the real
//! `nft`, and TCP connections through them reach listeners or are refused at once.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kubelite_proxy::model::Ruleset;
use kubelite_proxy::shared::SharedChains;
use kubelite_proxy::snapshot::{ServiceInfo, ServiceState, SliceInfo};
use kubelite_proxy::transaction::{self, Existing, ServiceChange};
use kubelite_proxy::{NodeInfo, Snapshot, nft, plan};
use nix::sched::{CloneFlags, setns};
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
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

fn port(p: u16, node_port: Option<u16>) -> serde_json::Value {
    let mut v = json!({"name": "http", "port": p, "targetPort": 8080, "protocol": "TCP"});
    if let Some(np) = node_port {
        v["nodePort"] = json!(np);
    }
    v
}

fn snapshot(services: impl IntoIterator<Item = ServiceState>) -> Snapshot {
    services
        .into_iter()
        .map(|s| (s.service.name.clone(), s))
        .collect()
}

fn cluster(empty_ips: &[&str]) -> Snapshot {
    snapshot([
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
        service(
            "sticky",
            json!({"clusterIP": "10.43.0.15", "sessionAffinity": "ClientIP", "ports": [port(80, None)]}),
            &["10.42.0.6"],
        ),
    ])
}

/// Serves on `addr` with a greeting naming the listener and the peer it sees, from a thread
/// in the current thread's network namespace.
fn listen(addr: &str) {
    let listener = TcpListener::bind(addr).unwrap();
    let local = listener.local_addr().unwrap().ip();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let peer = conn.peer_addr().map(|a| a.ip().to_string());
            let _ = write!(conn, "hello from {local} to {}", peer.unwrap_or_default());
        }
    });
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

/// Which listener answered `addr`.
#[track_caller]
fn answered_by(addr: &str) -> String {
    let greeting = get(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    greeting
        .strip_prefix("hello from ")
        .and_then(|g| g.split(' ').next())
        .unwrap_or_else(|| panic!("{addr}: {greeting:?}"))
        .to_string()
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
        let rt = runtime();
        // The node: a bridge-like kl0 with the gateway address and the service CIDR routed
        // onto it, and "pod" addresses 10.42.0.5 and 10.42.0.6 with listeners on 8080.
        sh("ip link set lo up");
        sh("ip link add kl0 type veth peer name kl0p");
        sh("ip addr add 10.42.0.1/24 dev kl0 && ip link set kl0 up && ip link set kl0p up");
        sh("ip addr add 10.42.0.5/32 dev kl0p && ip addr add 10.42.0.6/32 dev kl0p");
        sh("ip route add 10.43.0.0/16 dev kl0");
        sh("echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet");
        listen("10.42.0.5:8080");
        listen("10.42.0.6:8080");
        // Another table's chain with a name like ours must be left alone.
        sh("nft add table ip other && nft add chain ip other cluster-endpoints-9");

        let node = node();
        let before = cluster(&[]);
        let ruleset = plan(&before, &node);
        rt.block_on(async {
            assert_eq!(nft::existing().await.unwrap(), Existing::default());
            nft::apply(&full(&ruleset, Existing::default()))
                .await
                .unwrap();
        });
        let five = "10.42.0.5";
        assert_eq!(answered_by("10.43.0.11:80"), five, "ClusterIP");
        assert_eq!(
            answered_by("127.0.0.1:30010"),
            five,
            "NodePort on localhost"
        );
        assert_eq!(
            answered_by("10.42.0.1:30010"),
            five,
            "NodePort on the node IP"
        );
        assert_eq!(
            answered_by("127.0.0.1:8080"),
            five,
            "LoadBalancer on localhost"
        );
        assert_eq!(answered_by("10.42.0.1:8080"), five, "LoadBalancer IP");
        assert_eq!(
            answered_by("10.43.0.15:80"),
            "10.42.0.6",
            "ClientIP affinity"
        );
        refused_at_once("10.43.0.12:80");
        refused_at_once("10.43.0.12:443");
        refused_at_once("10.43.0.11:81");
        refused_at_once("10.43.9.9:80");

        // A partial sync on top: the empty Service gets two endpoints, which needs a shared
        // chain nobody used yet (a rule using the data maps, added in a later transaction).
        let after = cluster(&["10.42.0.5", "10.42.0.6"]);
        let next = plan(&after, &node);
        let name = after.keys().find(|n| n.name == "empty").unwrap();
        let mut elements = transaction::claims(&ruleset);
        let old = ruleset.services.get(name);
        let new = next.services.get(name);
        let element_changes =
            elements.replace(name, &old.unwrap().elements, &new.unwrap().elements);
        let shared = SharedChains::of(&ruleset).update([(old, new)], &node);
        assert_eq!(
            shared.added.keys().collect::<Vec<_>>(),
            ["cluster-endpoints-2"]
        );
        let tx = transaction::partial(
            &[ServiceChange { name, old, new }],
            &element_changes,
            &shared,
            &[],
        );
        rt.block_on(nft::apply(&tx.ops)).unwrap();
        let mut seen = BTreeMap::new();
        for _ in 0..200 {
            *seen.entry(answered_by("10.43.0.12:80")).or_insert(0) += 1;
        }
        assert_eq!(
            seen.keys().collect::<Vec<_>>(),
            ["10.42.0.5", "10.42.0.6"],
            "after the partial sync: {seen:?}"
        );
        refused_at_once("10.43.0.12:443");

        // Drift: someone flushes the dispatch chain and an endpoint map; a full sync repairs
        // them and sweeps nothing it should keep.
        sh("nft flush chain ip kubelite services");
        sh("nft flush map ip kubelite service-endpoints-tcp");
        assert!(
            get("10.43.0.11:80").is_err(),
            "the flushed chain still routes"
        );
        rt.block_on(async {
            let existing = nft::existing().await.unwrap();
            for chain in ["services", "cluster-endpoints-2", "nodeport-endpoints-1"] {
                assert!(existing.chains.contains(chain), "{chain}: {existing:?}");
            }
            assert!(
                !existing.chains.contains("cluster-endpoints-9"),
                "{existing:?}"
            );
            assert!(
                existing.sets.iter().any(|s| s.contains("/sticky/")),
                "{existing:?}"
            );
            let tx = transaction::full(&next, &transaction::claims(&next), &existing, &[]);
            assert_eq!(tx.stale_chains, Vec::<String>::new());
            nft::apply(&tx.ops).await.unwrap();
        });
        assert_eq!(answered_by("10.43.0.11:80"), five, "after the repair");
        assert_eq!(answered_by("10.42.0.1:30010"), five);

        // Services removed: their own chains and the shared chain nobody uses any more go
        // stale (flushed now, deleted by a later sync); the affinity sets go at once.
        let gone: Snapshot = after
            .clone()
            .into_iter()
            .filter(|(n, _)| !["web", "sticky", "empty"].contains(&n.name.as_str()))
            .collect();
        let last = plan(&gone, &node);
        rt.block_on(async {
            let existing = nft::existing().await.unwrap();
            let tx = transaction::full(&last, &transaction::claims(&last), &existing, &[]);
            assert_eq!(tx.stale_chains.len(), 3, "{:?}", tx.stale_chains);
            assert!(tx.stale_chains.contains(&"cluster-endpoints-2".to_string()));
            nft::apply(&tx.ops).await.unwrap();
            let existing = nft::existing().await.unwrap();
            assert!(
                !existing.sets.iter().any(|s| s.contains("/sticky/")),
                "{existing:?}"
            );
            let tx = transaction::full(
                &last,
                &transaction::claims(&last),
                &existing,
                &tx.stale_chains,
            );
            nft::apply(&tx.ops).await.unwrap();
            let left = nft::existing().await.unwrap();
            assert!(
                left.chains
                    .iter()
                    .all(|c| !c.contains("/sticky/") && c != "cluster-endpoints-2"),
                "{left:?}"
            );
            assert!(left.chains.contains("cluster-endpoints-1"), "{left:?}");
        });
        refused_at_once("10.43.0.11:80");
        refused_at_once("10.43.0.12:80");
        assert_eq!(answered_by("10.42.0.1:30010"), five, "the rest still works");

        // Shutdown removes everything.
        rt.block_on(async {
            nft::delete_table().await.unwrap();
            assert_eq!(nft::existing().await.unwrap(), Existing::default());
            nft::delete_table().await.unwrap();
        });
    });
}

/// Runs `f` on a thread in the network namespace `/run/netns/<name>`.
fn in_pod<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let ns = std::fs::File::open(format!("/run/netns/{name}")).unwrap();
    std::thread::spawn(move || {
        setns(&ns, CloneFlags::CLONE_NEWNET).unwrap();
        f()
    })
    .join()
    .unwrap()
}

#[test]
fn endpoints_are_spread_and_hairpin_is_masqueraded() {
    in_netns("endpoints_are_spread_and_hairpin_is_masqueraded", || {
        let rt = runtime();
        // A real Pod network namespace behind a veth: eth0 with 10.42.0.5 (primary), .6 and
        // .7, default route to the node's 10.42.0.1 on kl0. /run is a tmpfs of this mount
        // namespace, so the named namespace never reaches the host.
        sh("mount -t tmpfs tmpfs /run && ip netns add pod");
        sh("ip link set lo up && ip link add kl0 type veth peer name eth0 netns pod");
        sh("ip addr add 10.42.0.1/24 dev kl0 && ip link set kl0 up");
        sh("ip route add 10.43.0.0/16 dev kl0");
        sh("echo 1 > /proc/sys/net/ipv4/ip_forward");
        sh("echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet");
        sh("ip -n pod link set lo up && ip -n pod link set eth0 up");
        sh("ip -n pod addr add 10.42.0.5/24 dev eth0");
        sh("ip -n pod addr add 10.42.0.6/24 dev eth0 && ip -n pod addr add 10.42.0.7/24 dev eth0");
        sh("ip -n pod route add default via 10.42.0.1");
        in_pod("pod", || {
            for ip in ["10.42.0.5", "10.42.0.6", "10.42.0.7"] {
                listen(&format!("{ip}:8080"));
            }
        });

        let node = node();
        let cluster = snapshot([
            service(
                "three",
                json!({"type": "NodePort", "clusterIP": "10.43.0.50", "ports": [port(80, Some(30050))]}),
                &["10.42.0.5", "10.42.0.6", "10.42.0.7"],
            ),
            service(
                "self",
                json!({"clusterIP": "10.43.0.51", "ports": [port(80, None)]}),
                &["10.42.0.5"],
            ),
        ]);
        let ruleset = plan(&cluster, &node);
        rt.block_on(nft::apply(&full(&ruleset, Existing::default())))
            .unwrap();

        // 300 connections through a three-endpoint Service: every endpoint answers, each
        // about a third of the time (six standard deviations below that still passes).
        for addr in ["10.43.0.50:80", "127.0.0.1:30050", "10.42.0.1:30050"] {
            let mut seen: BTreeMap<String, u32> = BTreeMap::new();
            for _ in 0..300 {
                *seen.entry(answered_by(addr)).or_default() += 1;
            }
            assert_eq!(seen.len(), 3, "{addr}: {seen:?}");
            assert!(seen.values().all(|n| *n >= 50), "{addr}: {seen:?}");
        }

        // Hairpin: the Pod reaches itself through its Service. The packet comes back into
        // the Pod, so without masquerade it would arrive from the Pod's own address and be
        // dropped; masqueraded, the Pod sees the node's address.
        let greeting = in_pod("pod", || {
            let addr: SocketAddr = "10.43.0.51:80".parse().unwrap();
            let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
                .expect("hairpin connection");
            assert_eq!(stream.local_addr().unwrap().ip().to_string(), "10.42.0.5");
            let mut out = String::new();
            stream.read_to_string(&mut out).unwrap();
            out
        });
        assert_eq!(greeting, "hello from 10.42.0.5 to 10.42.0.1");
    });
}
