//! Cluster DNS benchmark (issue 5), two parts:
//!
//! - *DNS programming latency*: a Service created by kube-rs (a thread in the cluster's network
//!   namespace) until its name resolves, polled with a UDP query every millisecond; 100
//!   Services, one after another.
//! - *throughput*: dnsperf against kubelite's DNS (in the kubelite process, pinned with every
//!   thread to one core) and against dnsmasq (one core) holding the same records; same query
//!   file, same settings, dnsperf on the other core. Queries per second at saturation, then
//!   latency percentiles at a fixed rate both servers sustain (dnsperf `-v` per-query lines).
//!
//! `cargo bench -p kubelite --bench dns` (root; figures go to BENCHMARKS.md).

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use kube::Api;
use kube::api::PostParams;
use support::{Cluster, ms, percentile};

/// kubelite's DNS: the node IP, port 53.
const DNS: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(10, 42, 0, 1)), 53);
/// dnsmasq listens on the same address, another port.
const DNSMASQ_PORT: u16 = 5353;
/// Services timed for the programming latency.
const PROGRAMMED: usize = 100;
/// Services (names) in the throughput test.
const NAMES: usize = 1000;
/// dnsperf settings shared by both servers.
const DNSPERF_MAX: &str = "-c 10 -q 100 -l 10";
/// The fixed rate of the latency runs (queries/s), and their length.
const DNSPERF_RATE: &str = "-c 10 -q 100 -l 5 -Q 10000 -v";
const ROUNDS: usize = 2;

// ---------------------------------------------------------------------------------------------
// A hand-built DNS client

/// An `A IN` query for `name` with recursion desired.
fn query(id: u16, name: &str) -> Vec<u8> {
    let mut q = Vec::with_capacity(32 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// Whether the server answers `name` with NOERROR and at least one record (`None` on timeout).
fn resolves(socket: &UdpSocket, id: u16, name: &str) -> Option<bool> {
    socket.send(&query(id, name)).expect("send query");
    let mut buf = [0u8; 1500];
    loop {
        let n = socket.recv(&mut buf).ok()?;
        if n >= 12 && buf[..2] == id.to_be_bytes() {
            let rcode = buf[3] & 0x0f;
            let answers = u16::from_be_bytes([buf[6], buf[7]]);
            return Some(rcode == 0 && answers > 0);
        }
    }
}

fn dns_socket(server: SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind("0.0.0.0:0").expect("bind");
    socket.connect(server).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    socket
}

fn fqdn(service: &str) -> String {
    format!("{service}.default.svc.cluster.local")
}

// ---------------------------------------------------------------------------------------------
// (e) DNS programming latency

/// A selectorless ClusterIP Service: its A record needs no endpoints.
fn service(name: &str) -> Service {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name},
        "spec": {"ports": [{"port": 80}]}
    }))
    .expect("service")
}

/// Waits until kubelite's DNS answers cluster names (its caches have synced).
fn wait_dns(c: &Cluster) {
    c.in_netns(|| {
        let socket = dns_socket(DNS);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut id = 0u16;
        while resolves(&socket, id, "kubernetes.default.svc.cluster.local") != Some(true) {
            assert!(Instant::now() < deadline, "kubelite's DNS never answered");
            id = id.wrapping_add(1);
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}

fn programming_latency(c: &Cluster) -> Vec<Duration> {
    let kubeconfig = c.kubeconfig();
    c.in_netns(move || {
        let rt = support::runtime();
        let client = rt
            .block_on(support::admin_client(&kubeconfig))
            .expect("client");
        let services: Api<Service> = Api::namespaced(client, "default");
        let socket = dns_socket(DNS);
        let mut id = 1000u16;
        let mut times = Vec::new();
        for i in 0..PROGRAMMED {
            let name = format!("prog-{i:03}");
            let fq = fqdn(&name);
            let started = Instant::now();
            rt.block_on(services.create(&PostParams::default(), &service(&name)))
                .expect("create service");
            loop {
                id = id.wrapping_add(1);
                if resolves(&socket, id, &fq) == Some(true) {
                    times.push(started.elapsed());
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "{fq} never resolved"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_millis(7 + (i as u64 * 13) % 20));
        }
        times.sort();
        times
    })
}

// ---------------------------------------------------------------------------------------------
// (d) throughput against dnsmasq

/// Creates `NAMES` selectorless Services; returns (name, ClusterIP) pairs.
fn create_names(c: &Cluster) -> Vec<(String, String)> {
    let kubeconfig = c.kubeconfig();
    c.in_netns(move || {
        let rt = support::runtime();
        rt.block_on(async move {
            let client = support::admin_client(&kubeconfig).await.expect("client");
            let services: Api<Service> = Api::namespaced(client, "default");
            let mut out = Vec::new();
            for chunk in (0..NAMES).collect::<Vec<_>>().chunks(50) {
                let creates = chunk.iter().map(|i| {
                    let services = services.clone();
                    async move {
                        let name = format!("dns-{i:04}");
                        let svc = services
                            .create(&PostParams::default(), &service(&name))
                            .await
                            .expect("create service");
                        let ip = svc.spec.and_then(|s| s.cluster_ip).expect("clusterIP");
                        (name, ip)
                    }
                });
                out.extend(futures::future::join_all(creates).await);
            }
            out
        })
    })
}

/// Waits until kubelite's DNS resolves every name.
fn wait_all_resolve(c: &Cluster, names: &[(String, String)]) {
    let names: Vec<String> = names.iter().map(|(n, _)| fqdn(n)).collect();
    c.in_netns(move || {
        let socket = dns_socket(DNS);
        let deadline = Instant::now() + Duration::from_secs(30);
        for (i, name) in names.iter().enumerate() {
            while resolves(&socket, i as u16, name) != Some(true) {
                assert!(Instant::now() < deadline, "{name} never resolved");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    });
}

#[derive(Debug, Clone, Copy)]
struct Perf {
    qps: f64,
    lost: u64,
    avg: Duration,
}

fn field<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(prefix))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {prefix:?} in dnsperf output:\n{out}"))
}

fn parse_dnsperf(out: &str) -> Perf {
    let first = |s: &str| s.split_whitespace().next().unwrap_or_default().to_string();
    Perf {
        qps: first(field(out, "Queries per second:"))
            .parse()
            .expect("QPS"),
        lost: first(field(out, "Queries lost:")).parse().expect("lost"),
        avg: Duration::from_secs_f64(
            first(field(out, "Average Latency (s):"))
                .parse()
                .expect("latency"),
        ),
    }
}

/// Per-query latencies of a `-v` run: lines `> NOERROR name A 0.000123`.
fn verbose_latencies(out: &str) -> Vec<Duration> {
    let mut all: Vec<Duration> = out
        .lines()
        .filter(|l| l.starts_with("> "))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .collect();
    all.sort();
    all
}

fn dnsperf(c: &Cluster, port: u16, settings: &str, queries: &Path) -> String {
    let run = c.node_sh(&format!(
        "taskset -c 0 dnsperf -s 10.42.0.1 -p {port} -d {} {settings}",
        queries.display()
    ));
    assert_eq!(run.code, 0, "dnsperf: {}{}", run.stdout, run.stderr);
    run.stdout
}

struct Throughput {
    kubelite: Vec<Perf>,
    dnsmasq: Vec<Perf>,
    kubelite_latency: Vec<Duration>,
    dnsmasq_latency: Vec<Duration>,
}

fn throughput(c: &Cluster, names: &[(String, String)]) -> Throughput {
    // Every name once, in a scrambled order.
    let order: Vec<usize> = (0..NAMES).map(|i| (i * 7919) % NAMES).collect();
    let query_file: String = order
        .iter()
        .map(|&i| format!("{} A\n", fqdn(&names[i].0)))
        .collect();
    let queries = c.write("queries.txt", &query_file);
    let records: String = names
        .iter()
        .map(|(n, ip)| format!("host-record={},{ip}\n", fqdn(n)))
        .collect();
    let conf = c.write("dnsmasq.conf", &records);

    // dnsmasq: the same records, no upstream, no caching of anything else; one core.
    let run = c.node_sh(&format!(
        "taskset -c 1 dnsmasq --keep-in-foreground --conf-file={} --no-resolv --no-hosts \
         --no-poll --local=/cluster.local/ --local-ttl=5 --listen-address=10.42.0.1 \
         --bind-interfaces --port={DNSMASQ_PORT} --user=root --pid-file= >/dev/null 2>&1 &",
        conf.display()
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    // kubelite: the whole process (DNS runs in it), every thread, on core 1.
    let pid = c.server_pid().to_string();
    let pin = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", "1", &pid])
        .output()
        .expect("taskset");
    assert!(pin.status.success(), "taskset kubelite");
    c.in_netns(|| {
        let socket = dns_socket(SocketAddr::from((
            Ipv4Addr::new(10, 42, 0, 1),
            DNSMASQ_PORT,
        )));
        let deadline = Instant::now() + Duration::from_secs(10);
        while resolves(&socket, 1, &fqdn("dns-0000")) != Some(true) {
            assert!(Instant::now() < deadline, "dnsmasq never answered");
            std::thread::sleep(Duration::from_millis(20));
        }
    });

    let mut result = Throughput {
        kubelite: Vec::new(),
        dnsmasq: Vec::new(),
        kubelite_latency: Vec::new(),
        dnsmasq_latency: Vec::new(),
    };
    for _ in 0..ROUNDS {
        result
            .kubelite
            .push(parse_dnsperf(&dnsperf(c, 53, DNSPERF_MAX, &queries)));
        result.dnsmasq.push(parse_dnsperf(&dnsperf(
            c,
            DNSMASQ_PORT,
            DNSPERF_MAX,
            &queries,
        )));
    }
    result.kubelite_latency = verbose_latencies(&dnsperf(c, 53, DNSPERF_RATE, &queries));
    result.dnsmasq_latency = verbose_latencies(&dnsperf(c, DNSMASQ_PORT, DNSPERF_RATE, &queries));
    result
}

// ---------------------------------------------------------------------------------------------

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn print_programming(times: &[Duration]) {
    println!(
        "(e) Service create -> its name resolves ({} Services, one at a time): p50 {} p99 {} max {} (target p99 < 50 ms)",
        times.len(),
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.99)),
        ms(*times.last().expect("times"))
    );
}

fn print_throughput(t: &Throughput) {
    println!(
        "(d) dnsperf {DNSPERF_MAX}, {NAMES} Service names (A), server on core 1, dnsperf on core 0"
    );
    let best = |runs: &[Perf]| runs.iter().map(|p| p.qps).fold(0.0, f64::max);
    for (label, runs) in [("kubelite", &t.kubelite), ("dnsmasq ", &t.dnsmasq)] {
        let each: Vec<String> = runs
            .iter()
            .map(|p| format!("{:.0} q/s avg {} lost {}", p.qps, us(p.avg), p.lost))
            .collect();
        println!(
            "  {label}: best {:.0} q/s ({})",
            best(runs),
            each.join("; ")
        );
    }
    println!(
        "  kubelite ÷ dnsmasq QPS: {:.2} (target ≥ 1.5)",
        best(&t.kubelite) / best(&t.dnsmasq)
    );
    println!("  latency at a fixed rate (dnsperf {DNSPERF_RATE}), per query:");
    for (label, l) in [
        ("kubelite", &t.kubelite_latency),
        ("dnsmasq ", &t.dnsmasq_latency),
    ] {
        println!(
            "    {label}: p50 {} p99 {} max {} ({} answers)",
            us(percentile(l, 0.5)),
            us(percentile(l, 0.99)),
            us(*l.last().expect("answers")),
            l.len()
        );
    }
}

fn main() {
    let c = Cluster::start();
    wait_dns(&c);
    let programming = programming_latency(&c);
    print_programming(&programming);
    let names = create_names(&c);
    wait_all_resolve(&c, &names);
    let t = throughput(&c, &names);
    print_throughput(&t);
    println!("\nSummary");
    print_programming(&programming);
    print_throughput(&t);
}
