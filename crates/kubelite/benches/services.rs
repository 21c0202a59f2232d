//! Service routing benchmark (issue 4), three parts:
//!
//! - *data path*: wrk from the node to a whoami Pod (kubelite's built-in whoami server) through
//!   its ClusterIP, against the same Pod by its Pod IP; requests/s and latency percentiles.
//! - *network programming latency*: a Service created by kube-rs (a thread in the cluster's
//!   network namespace) until a TCP connection to its ClusterIP first succeeds, polled every
//!   millisecond; 100 Services, one after another.
//! - *scale*: the proxy crate driven directly in an isolated namespace without kubelite, with
//!   synthetic snapshots of 1,000 and 10,000 Services × 10 endpoints: full sync (first and
//!   periodic), one Service added by a partial sync, and connect() latency through one
//!   ClusterIP as the table grows.
//!
//! `cargo bench -p kubelite --bench services` (root; figures go to BENCHMARKS.md).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use kube::Api;
use kube::api::PostParams;
use kubelite_proxy::shared::SharedChains;
use kubelite_proxy::snapshot::{
    Endpoint, Protocol, ServiceInfo, ServiceName, ServicePort, ServiceState,
};
use kubelite_proxy::transaction::{self, ServiceChange};
use kubelite_proxy::{NodeInfo, Ruleset, Snapshot, nft, plan, render};
use support::{Cluster, ms, percentile};

/// wrk runs per path, alternating direct and ClusterIP.
const WRK_ROUNDS: usize = 3;
const WRK_ARGS: &str = "-t1 -c16 -d5s --latency";
/// Services created one after another for the programming latency.
const PROGRAMMED: usize = 100;
/// Endpoints per synthetic Service.
const ENDPOINTS: usize = 10;
/// One-Service partial syncs measured at each scale.
const PARTIALS: usize = 20;
/// connect() calls through the ClusterIP at each scale.
const CONNECTS: usize = 1000;

// ---------------------------------------------------------------------------------------------
// (a) data path

/// What one wrk run printed: requests/s and the latency percentiles it reports.
#[derive(Debug, Clone, Copy)]
struct WrkRun {
    rps: f64,
    p50: Duration,
    p99: Duration,
}

/// A wrk duration such as `215.00us`, `1.23ms` or `1.01s`.
fn wrk_duration(text: &str) -> Duration {
    let (number, scale) = if let Some(v) = text.strip_suffix("us") {
        (v, 1e-6)
    } else if let Some(v) = text.strip_suffix("ms") {
        (v, 1e-3)
    } else if let Some(v) = text.strip_suffix('s') {
        (v, 1.0)
    } else {
        panic!("not a wrk duration: {text:?}")
    };
    Duration::from_secs_f64(number.parse::<f64>().expect("wrk number") * scale)
}

fn parse_wrk(out: &str) -> WrkRun {
    let field = |prefix: &str| -> &str {
        out.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {prefix:?} in wrk output:\n{out}"))
    };
    WrkRun {
        rps: field("Requests/sec:").parse().expect("requests/s"),
        p50: wrk_duration(field("50%")),
        p99: wrk_duration(field("99%")),
    }
}

/// Runs wrk on core 0 against `url`, from the node.
fn wrk(c: &Cluster, url: &str) -> WrkRun {
    let run = c.node_sh(&format!("taskset -c 0 wrk {WRK_ARGS} {url}"));
    assert_eq!(run.code, 0, "wrk: {}{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains("Non-2xx") && !run.stdout.contains("Socket errors"),
        "wrk saw errors:\n{}",
        run.stdout
    );
    parse_wrk(&run.stdout)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct DataPath {
    direct: Vec<WrkRun>,
    cluster_ip: Vec<WrkRun>,
}

/// Every process of the cluster on core 1 (kubelite, the whoami Pod), so wrk on core 0 does
/// not compete with the server.
fn pin_cluster_to_core_1(c: &Cluster) {
    let run = c.node_sh(
        "for p in /proc/[0-9]*; do taskset -a -p -c 1 ${p#/proc/} >/dev/null 2>&1; done; true",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn data_path(c: &Cluster, pod_ip: &str, cluster_ip: &str) -> DataPath {
    pin_cluster_to_core_1(c);
    let direct_url = format!("http://{pod_ip}:80/");
    let service_url = format!("http://{cluster_ip}:80/");
    // Warm both paths (conntrack, caches) before measuring.
    c.node_sh(&format!(
        "wrk -t1 -c4 -d1s {direct_url} >/dev/null; wrk -t1 -c4 -d1s {service_url} >/dev/null"
    ));
    let mut result = DataPath {
        direct: Vec::new(),
        cluster_ip: Vec::new(),
    };
    for _ in 0..WRK_ROUNDS {
        result.direct.push(wrk(c, &direct_url));
        result.cluster_ip.push(wrk(c, &service_url));
    }
    result
}

// ---------------------------------------------------------------------------------------------
// (b) network programming latency

fn whoami_service(name: &str) -> Service {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": "whoami"}, "ports": [{"port": 80, "targetPort": 80}]}
    }))
    .expect("service")
}

/// Polls `addr` with connect() every millisecond until one succeeds; returns when it did.
fn first_connect(addr: SocketAddr, deadline: Instant) -> Instant {
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "{addr} never connected");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Creates `PROGRAMMED` Services one at a time; each is timed from just before its create call
/// to the first successful connection to its ClusterIP.
fn programming_latency(c: &Cluster) -> Vec<Duration> {
    let kubeconfig = c.kubeconfig();
    c.in_netns(move || {
        let rt = support::runtime();
        let client = rt
            .block_on(support::admin_client(&kubeconfig))
            .expect("client");
        let services: Api<Service> = Api::namespaced(client, "default");
        let mut times = Vec::new();
        for i in 0..PROGRAMMED {
            let svc = whoami_service(&format!("prog-{i:03}"));
            let started = Instant::now();
            let created = rt
                .block_on(services.create(&PostParams::default(), &svc))
                .expect("create service");
            let ip: Ipv4Addr = created
                .spec
                .and_then(|s| s.cluster_ip)
                .expect("clusterIP")
                .parse()
                .expect("IPv4 clusterIP");
            let connected = first_connect(
                SocketAddr::from((ip, 80)),
                started + Duration::from_secs(10),
            );
            times.push(connected - started);
            // Services do not arrive in lockstep with the proxy's syncs.
            std::thread::sleep(Duration::from_millis(7 + (i as u64 * 13) % 20));
        }
        times
    })
}

// ---------------------------------------------------------------------------------------------
// (c) scale, with the proxy crate in an isolated namespace

/// The node the synthetic snapshots are planned for (the namespace's veth has its address).
fn node() -> NodeInfo {
    NodeInfo {
        name: "node1".into(),
        ips: vec![Ipv4Addr::new(10, 42, 0, 1)],
        cluster_cidr: "10.42.0.0/16".parse().expect("cidr"),
        service_cidr: "10.43.0.0/16".parse().expect("cidr"),
    }
}

/// The endpoint behind the measured ClusterIP: a listener in the namespace.
const LISTENER: Ipv4Addr = Ipv4Addr::new(10, 42, 0, 5);
/// The measured Service's ClusterIP (outside the synthetic range).
const TARGET_IP: Ipv4Addr = Ipv4Addr::new(10, 43, 255, 250);

fn service_state(name: &str, cluster_ip: Ipv4Addr, endpoints: Vec<Ipv4Addr>) -> ServiceState {
    let service = ServiceInfo {
        name: ServiceName::new("bench", name),
        cluster_ip,
        ports: vec![ServicePort {
            name: "http".into(),
            protocol: Protocol::Tcp,
            port: 80,
            node_port: None,
        }],
        external_ips: Vec::new(),
        load_balancer_ips: Vec::new(),
        load_balancer: false,
        affinity_timeout: None,
        internal_local: false,
        external_local: false,
    };
    let mut eps: Vec<Endpoint> = endpoints
        .into_iter()
        .map(|ip| Endpoint {
            ip,
            port: 8080,
            ready: true,
            serving: true,
            terminating: false,
            node_name: Some("node1".into()),
        })
        .collect();
    eps.sort();
    ServiceState {
        service,
        endpoints: BTreeMap::from([(("http".to_string(), Protocol::Tcp), eps)]),
    }
}

/// Synthetic Service `i`: ClusterIP 10.43.0.0/16 + 11 + i, `ENDPOINTS` Pod IPs in 10.42.0.0/16.
fn synthetic(i: usize) -> ServiceState {
    let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 43, 0, 11)) + i as u32);
    let endpoints = (0..ENDPOINTS)
        .map(|j| {
            let n = ((i * ENDPOINTS + j) % 65000) as u32;
            Ipv4Addr::new(10, 42, 1 + (n / 250) as u8, 2 + (n % 250) as u8)
        })
        .collect();
    service_state(&format!("svc-{i:05}"), ip, endpoints)
}

/// `services` synthetic Services plus the measured one.
fn snapshot(services: usize) -> Snapshot {
    (0..services)
        .map(synthetic)
        .chain([service_state("target", TARGET_IP, vec![LISTENER])])
        .map(|s| (s.service.name.clone(), s))
        .collect()
}

struct FullSync {
    /// plan + transaction + render (pure, in process).
    compute: Duration,
    /// `nft -j list chains` and `nft -j -t list sets` (the proxier lists the names of the
    /// table's chains and sets before every full sync).
    list: Duration,
    /// `nft -f -` of the whole script.
    apply: Duration,
    script_bytes: usize,
}

impl FullSync {
    fn total(&self) -> Duration {
        self.compute + self.list + self.apply
    }
}

/// One full sync as the proxier does it: plan, list the table's chains and sets, build and
/// apply the transaction.
async fn full_sync(snapshot: &Snapshot) -> (FullSync, Ruleset) {
    let start = Instant::now();
    let ruleset = plan(snapshot, &node());
    let elements = transaction::claims(&ruleset);
    let planned = start.elapsed();
    let listed = Instant::now();
    let existing = nft::existing().await.expect("nft list");
    let list = listed.elapsed();
    let start = Instant::now();
    let tx = transaction::full(&ruleset, &elements, &existing, &[]);
    let script_bytes = render(&tx.ops).len();
    let compute = planned + start.elapsed();
    let applied = Instant::now();
    nft::apply(&tx.ops).await.expect("nft apply (full)");
    let apply = applied.elapsed();
    (
        FullSync {
            compute,
            list,
            apply,
            script_bytes,
        },
        ruleset,
    )
}

/// Adds `PARTIALS` Services one at a time by partial syncs (plan the Service, element claims,
/// shared chains, transaction, `nft -f -`), as the proxier does for one created Service.
async fn partial_adds(services: usize, applied: &Ruleset) -> Vec<Duration> {
    let node = node();
    let mut elements = transaction::claims(applied);
    let mut shared = SharedChains::of(applied);
    let mut times = Vec::new();
    for k in 0..PARTIALS {
        let state = synthetic(services + k);
        let name = state.service.name.clone();
        let start = Instant::now();
        let rules = kubelite_proxy::plan::plan_service(&state, &node);
        let changes = elements.replace(&name, &BTreeMap::new(), &rules.elements);
        let shared_change = shared.update([(None, Some(&rules))], &node);
        let tx = transaction::partial(
            &[ServiceChange {
                name: &name,
                old: None,
                new: Some(&rules),
            }],
            &changes,
            &shared_change,
            &[],
        );
        nft::apply(&tx.ops).await.expect("nft apply (partial)");
        times.push(start.elapsed());
    }
    times
}

/// `CONNECTS` connect() calls to `addr` (each closed at once); sorted.
fn connect_latency(addr: SocketAddr) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..CONNECTS)
        .map(|_| {
            let start = Instant::now();
            let s = TcpStream::connect(addr).expect("connect");
            let t = start.elapsed();
            drop(s);
            t
        })
        .collect();
    times.sort();
    times
}

struct Scale {
    services: usize,
    first: FullSync,
    resync: FullSync,
    partial: Vec<Duration>,
    connect: Vec<Duration>,
}

struct ScaleRun {
    baseline_direct: Vec<Duration>,
    baseline_one_service: Vec<Duration>,
    scales: Vec<Scale>,
}

/// A fresh namespace per scale: a veth `kl0` with the node IP, the service CIDR routed onto
/// it, and a listener on 10.42.0.5:8080 answering connections.
fn scale_namespace() -> Cluster {
    let ns = Cluster::start_idle();
    let run = ns.node_sh(
        "set -e
         ip link add kl0 type veth peer name kl0p
         ip addr add 10.42.0.1/24 dev kl0 && ip link set kl0 up && ip link set kl0p up
         ip addr add 10.42.0.5/32 dev kl0p
         ip route add 10.43.0.0/16 dev kl0
         echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet",
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    ns
}

/// Runs `f` with a listener on `LISTENER:8080` that accepts and closes connections; the
/// listener is closed before returning, so nothing keeps the namespace alive.
fn with_listener<T>(f: impl FnOnce() -> T) -> T {
    let addr = SocketAddr::from((LISTENER, 8080));
    let listener = TcpListener::bind(addr).expect("listener");
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                if let Ok(mut c) = conn {
                    let _ = c.write_all(b"hello");
                }
            }
        })
    };
    let out = f();
    stop.store(true, Ordering::Relaxed);
    let _ = TcpStream::connect(addr);
    server.join().expect("listener thread");
    out
}

fn scale_at(services: usize) -> (Vec<Duration>, Scale) {
    let ns = scale_namespace();
    ns.in_netns(move || {
        with_listener(|| {
            let rt = support::runtime();
            let direct = connect_latency(SocketAddr::from((LISTENER, 8080)));
            let snap = snapshot(services);
            let (first, _) = rt.block_on(full_sync(&snap));
            let (resync, applied) = rt.block_on(full_sync(&snap));
            let partial = rt.block_on(partial_adds(services, &applied));
            let connect = connect_latency(SocketAddr::from((TARGET_IP, 80)));
            let mut partial = partial;
            partial.sort();
            (
                direct,
                Scale {
                    services,
                    first,
                    resync,
                    partial,
                    connect,
                },
            )
        })
    })
}

fn scale() -> ScaleRun {
    let (baseline_direct, one) = scale_at(0);
    let mut scales = Vec::new();
    for services in [1_000, 10_000] {
        scales.push(scale_at(services).1);
    }
    ScaleRun {
        baseline_direct,
        baseline_one_service: one.connect,
        scales,
    }
}

// ---------------------------------------------------------------------------------------------

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn print_data_path(d: &DataPath) {
    println!("(a) data path: wrk {WRK_ARGS} from the node (wrk on core 0, cluster on core 1)");
    for (label, runs) in [("Pod IP   ", &d.direct), ("ClusterIP", &d.cluster_ip)] {
        let each: Vec<String> = runs.iter().map(|r| format!("{:.0}", r.rps)).collect();
        println!(
            "  {label}: {:.0} req/s (median of {}), p50 {} p99 {} (runs: {})",
            median(runs.iter().map(|r| r.rps).collect()),
            runs.len(),
            ms(Duration::from_secs_f64(median(
                runs.iter().map(|r| r.p50.as_secs_f64()).collect()
            ))),
            ms(Duration::from_secs_f64(median(
                runs.iter().map(|r| r.p99.as_secs_f64()).collect()
            ))),
            each.join(", ")
        );
    }
    let ratio = median(d.cluster_ip.iter().map(|r| r.rps).collect())
        / median(d.direct.iter().map(|r| r.rps).collect());
    println!("  ClusterIP ÷ Pod IP throughput: {ratio:.3} (target ≥ 0.95)");
}

fn print_programming(times: &[Duration]) {
    println!(
        "(b) Service create -> first TCP connect to its ClusterIP ({} Services, one at a time): p50 {} p99 {} max {} (target p99 < 100 ms)",
        times.len(),
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.99)),
        ms(*times.last().expect("times"))
    );
}

fn print_scale(s: &ScaleRun) {
    println!(
        "(c) scale: synthetic Services × {ENDPOINTS} endpoints, proxy crate in an isolated namespace"
    );
    for sc in &s.scales {
        for (label, f) in [
            ("first full sync", &sc.first),
            ("periodic full sync", &sc.resync),
        ] {
            println!(
                "  {} Services, {label}: {} (plan+render {}, nft list {}, nft -f {}; script {} KiB)",
                sc.services,
                ms(f.total()),
                ms(f.compute),
                ms(f.list),
                ms(f.apply),
                f.script_bytes / 1024
            );
        }
        println!(
            "  {} Services, add one Service (partial sync, {} times): p50 {} max {}",
            sc.services,
            sc.partial.len(),
            ms(percentile(&sc.partial, 0.5)),
            ms(*sc.partial.last().expect("partials"))
        );
    }
    println!("  connect() latency, {CONNECTS} connections each (p50 / p99):");
    println!(
        "    direct to the endpoint: {} / {}",
        us(percentile(&s.baseline_direct, 0.5)),
        us(percentile(&s.baseline_direct, 0.99))
    );
    println!(
        "    via ClusterIP, 1 Service: {} / {}",
        us(percentile(&s.baseline_one_service, 0.5)),
        us(percentile(&s.baseline_one_service, 0.99))
    );
    for sc in &s.scales {
        println!(
            "    via ClusterIP, {} Services: {} / {}",
            sc.services + 1,
            us(percentile(&sc.connect, 0.5)),
            us(percentile(&sc.connect, 0.99))
        );
    }
    println!(
        "  targets at 10k: full sync < 2 s, one Service < 20 ms (kube-proxy nftables: ≈141 ms)"
    );
}

fn main() {
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);

    let mut report: Vec<Box<dyn FnOnce()>> = Vec::new();
    if wants("datapath") || wants("programming") {
        let c = Cluster::start();
        let manifest = c.write(
            "whoami.yaml",
            r#"apiVersion: v1
kind: Pod
metadata: {name: whoami, labels: {app: whoami}}
spec:
  containers: [{name: app, image: sixeyed/whoami:21.04, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: whoami}
spec:
  selector: {app: whoami}
  ports: [{port: 80, targetPort: 80}]
"#,
        );
        c.kubectl(&["apply", "-f", &manifest.display().to_string()])
            .ok();
        c.kubectl(&[
            "wait",
            "--for=condition=Ready",
            "--timeout=60s",
            "pod/whoami",
        ])
        .ok();
        let get = |args: &[&str]| c.kubectl(args).ok().stdout.trim().to_string();
        let pod_ip = get(&["get", "pod", "whoami", "-o", "jsonpath={.status.podIP}"]);
        let cluster_ip = get(&["get", "svc", "whoami", "-o", "jsonpath={.spec.clusterIP}"]);
        if wants("programming") {
            let mut times = programming_latency(&c);
            times.sort();
            print_programming(&times);
            report.push(Box::new(move || print_programming(&times)));
        }
        if wants("datapath") {
            let d = data_path(&c, &pod_ip, &cluster_ip);
            print_data_path(&d);
            report.push(Box::new(move || print_data_path(&d)));
        }
    }
    if wants("scale") {
        let s = scale();
        print_scale(&s);
        report.push(Box::new(move || print_scale(&s)));
    }
    println!("\nSummary");
    for r in report {
        r();
    }
}
