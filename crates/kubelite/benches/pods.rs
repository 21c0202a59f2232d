//! Node agent benchmark (issue 3): 100 Pods created at once, each timed from its create call to
//! the moment a watch sees it Running with a Pod IP (p50/p99/max), and the memory each running
//! Pod adds to the cluster, and the CPU the machine spent meanwhile (a steadier figure than
//! latency on a shared host). A real `kubelite up` runs in an isolated namespace; the client is
//! kube-rs on a thread moved into that namespace, and decodes only what it reads (the Pods'
//! names, phases and IPs): its CPU is taken from the cluster's two cores.
//!
//! `cargo bench -p kubelite --bench pods` (root; figures go to BENCHMARKS.md).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{ListParams, PostParams, WatchEvent, WatchParams};
use kube::{Api, Client, Resource as _};
use support::{Cluster, ms, percentile};

const PODS: usize = 100;

/// The first number on the line of `text` that starts with `field` (a `/proc` kB figure).
fn kib(text: &str, field: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Memory of every process the cluster's PID namespace sees: kubelite, the namespace holder,
/// and each Pod's init and containers (a Pod's own PID namespace is nested in the cluster's, so
/// its processes are listed too). Read through the cluster's own `/proc` mount, reached by the
/// holder's root. Returns (sum of VmRSS, sum of Pss) in KiB.
fn cluster_memory_kib(proc_dir: &Path) -> (u64, u64) {
    let mut rss = 0;
    let mut pss = 0;
    for entry in std::fs::read_dir(proc_dir).expect("cluster /proc") {
        let path = entry.expect("entry").path();
        let is_pid = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        rss += kib(&status, "VmRSS:");
        let rollup = std::fs::read_to_string(path.join("smaps_rollup")).unwrap_or_default();
        pss += kib(&rollup, "Pss:");
    }
    (rss, pss)
}

/// CPU time in ms of the cluster's processes so far: `kubelite up` (API server, controllers,
/// node agent, proxy, DNS; from its clock ticks, which count its ended threads too) and all the
/// others, the Pods' processes (from each thread's `schedstat` in ns: each of them uses less
/// than a tick, which their tick counts round away).
fn cluster_cpu_ms(proc_dir: &Path) -> (f64, f64) {
    let (mut up, mut others) = (0.0, 0.0);
    for entry in std::fs::read_dir(proc_dir).expect("cluster /proc") {
        let path = entry.expect("entry").path();
        let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
        let mut args = cmdline.split(|b| *b == 0);
        let is_up =
            args.next().is_some_and(|a| a.ends_with(b"kubelite")) && args.next() == Some(b"up");
        if is_up {
            let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
            // After the parenthesised command: the state letter, then 10 fields, then utime
            // and stime.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            let ticks = |i: usize| {
                fields
                    .get(i)
                    .and_then(|f| f.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            up += (ticks(11) + ticks(12)) as f64 * 10.0;
        } else if let Ok(tasks) = std::fs::read_dir(path.join("task")) {
            for task in tasks.flatten() {
                let sched =
                    std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
                let ns: u64 = sched
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                others += ns as f64 / 1e6;
            }
        }
    }
    (up, others)
}

/// The machine's busy CPU time so far (`/proc/stat`'s first line but idle, iowait and steal:
/// time another guest took is not ours), in clock ticks.
fn cpu_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .expect("cpu line")
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    fields.iter().take(7).sum::<u64>() - fields[3] - fields[4]
}

/// The machine's context switches so far (`/proc/stat`'s `ctxt`): a count of work (thread
/// hand-offs, each a wakeup) that depends far less on the host's speed than CPU time does.
fn context_switches() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    stat.lines()
        .find_map(|l| l.strip_prefix("ctxt "))
        .and_then(|n| n.trim().parse().ok())
        .expect("ctxt line")
}

fn pod(i: usize) -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("bench-{i:03}"), "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "app", "image": "sixeyed/whoami:21.04", "ports": [{"containerPort": 80}]}]}
    }))
    .expect("pod")
}

/// What the client reads of a watched Pod: decoding whole Pods (three events each) would be
/// client CPU taken from the cluster on this 2-core machine.
#[derive(Clone, serde::Deserialize)]
struct WatchedPod {
    metadata: WatchedMeta,
    status: Option<WatchedStatus>,
}

#[derive(Clone, serde::Deserialize)]
struct WatchedMeta {
    name: String,
}

#[derive(Clone, serde::Deserialize)]
struct WatchedStatus {
    phase: Option<String>,
    #[serde(rename = "podIP")]
    pod_ip: Option<String>,
}

fn running_with_ip(p: &WatchedPod) -> bool {
    p.status.as_ref().is_some_and(|s| {
        s.phase.as_deref() == Some("Running")
            && s.pod_ip.as_deref().is_some_and(|ip| !ip.is_empty())
    })
}

/// Waits until a Node reports Ready, so the scheduler can place the Pods at once.
async fn wait_node_ready(client: &Client) {
    let nodes: Api<Node> = Api::all(client.clone());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = nodes.list(&ListParams::default()).await.expect("nodes");
        let ready = list.items.iter().any(|n| {
            n.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        });
        if ready {
            return;
        }
        assert!(Instant::now() < deadline, "no Ready node");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What one burst took: each Pod's create-to-Running-with-IP time, and CPU ticks from the first
/// create to the last Pod Running: the machine's, `kubelite up`'s and the other cluster
/// processes'; the cluster's memory before and a second after (see [`cluster_memory_kib`]).
struct Burst {
    times: Vec<Duration>,
    busy: u64,
    switches: u64,
    up_ms: f64,
    others_ms: f64,
    memory_before: (u64, u64),
    memory_after: (u64, u64),
}

/// Creates the Pods concurrently and times them (`proc_dir`: the cluster's `/proc`).
async fn create_and_time(client: Client, proc_dir: &Path) -> Burst {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let url = Pod::url_path(&(), Some("default"));
    let rv = pods
        .list(&ListParams::default().labels("app=bench"))
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("resourceVersion");
    let request = kube::core::Request::new(&url)
        .watch(
            &WatchParams::default().labels("app=bench").timeout(120),
            &rv,
        )
        .expect("watch request");
    let watch = client
        .request_events::<WatchedPod>(request)
        .await
        .expect("watch");
    let watcher = tokio::spawn(async move {
        let mut seen: HashMap<String, Instant> = HashMap::new();
        let mut watch = watch.boxed();
        while seen.len() < PODS {
            let event = watch
                .try_next()
                .await
                .expect("watch event")
                .expect("watch ended before every Pod ran");
            if let WatchEvent::Added(p) | WatchEvent::Modified(p) = event
                && running_with_ip(&p)
            {
                seen.entry(p.metadata.name).or_insert_with(Instant::now);
            }
        }
        seen
    });
    // The client opens its connections first (kube-rs speaks HTTP/1.1, a connection per
    // concurrent request), as kubectl has its connection from discovery before it creates
    // anything: TLS handshakes are not part of starting a Pod.
    let warm = (0..PODS).map(|_| {
        let pods = pods.clone();
        async move {
            pods.list(&ListParams::default().limit(1))
                .await
                .expect("list")
        }
    });
    futures::future::join_all(warm).await;
    // Memory is measured with the client's connections open, before and after: the server's
    // buffers for a hundred client connections are not what a Pod costs.
    let memory_before = cluster_memory_kib(proc_dir);
    // The answers (whole Pods) are not decoded: only their status code is read.
    let creates = (0..PODS).map(|i| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let p = pod(i);
            let started = Instant::now();
            let body = serde_json::to_vec(&p).expect("pod JSON");
            let request = kube::core::Request::new(&url)
                .create(&PostParams::default(), body)
                .expect("create request");
            client.request_text(request).await.expect("create");
            (format!("bench-{i:03}"), started)
        }
    });
    let busy_before = cpu_busy_ticks();
    let switches_before = context_switches();
    let (up_before, others_before) = cluster_cpu_ms(proc_dir);
    let started: Vec<(String, Instant)> = futures::future::join_all(creates).await;
    let running = tokio::time::timeout(Duration::from_secs(120), watcher)
        .await
        .expect("Pods did not all run within 120 s")
        .expect("watcher");
    let busy = cpu_busy_ticks() - busy_before;
    let switches = context_switches() - switches_before;
    let (up, others) = cluster_cpu_ms(proc_dir);
    let times = started
        .into_iter()
        .map(|(name, t)| running[&name].duration_since(t))
        .collect();
    Burst {
        times,
        busy,
        switches,
        up_ms: up - up_before,
        others_ms: others - others_before,
        memory_before,
        memory_after: {
            tokio::time::sleep(Duration::from_secs(1)).await;
            cluster_memory_kib(proc_dir)
        },
    }
}

fn main() {
    let c = Cluster::start();
    let kubeconfig = c.kubeconfig();
    // `/proc/<holder>/ns/net` -> `/proc/<holder>/root/proc`: the cluster's own /proc mount.
    let proc_dir: PathBuf = c
        .netns_path()
        .parent()
        .and_then(|ns| ns.parent())
        .map(|holder| holder.join("root/proc"))
        .expect("holder /proc");

    let burst = c.in_netns(move || {
        let rt = support::runtime();
        rt.block_on(async move {
            let client = support::admin_client(&kubeconfig).await.expect("client");
            wait_node_ready(&client).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            create_and_time(client, &proc_dir).await
        })
    });
    let (before, after) = (burst.memory_before, burst.memory_after);

    let mut times = burst.times;
    times.sort();
    println!(
        "Pod create -> Running with IP ({PODS} Pods at once): p50 {} p99 {} max {}",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().expect("times"))
    );
    // USER_HZ is 100 on Linux.
    let per_pod_ms = |ticks: u64| ticks as f64 * 10.0 / PODS as f64;
    println!(
        "CPU busy from the first create to the last Running (whole machine, both cores): {} ms, {:.1} ms per Pod",
        burst.busy * 10,
        per_pod_ms(burst.busy)
    );
    println!(
        "of which per Pod: kubelite up {:.1} ms, the Pods' processes {:.1} ms",
        burst.up_ms / PODS as f64,
        burst.others_ms / PODS as f64
    );
    println!(
        "context switches from the first create to the last Running (whole machine): {}, {} per Pod",
        burst.switches,
        burst.switches / PODS as u64
    );
    let per_pod = |b: u64, a: u64| a.saturating_sub(b) as f64 / PODS as f64 / 1024.0;
    println!(
        "memory per running Pod (sum of VmRSS in the cluster's PID namespace): {:.2} MiB ({} MiB before, {} MiB with {PODS} Pods)",
        per_pod(before.0, after.0),
        before.0 / 1024,
        after.0 / 1024
    );
    println!(
        "memory per running Pod (sum of Pss, shared pages split): {:.2} MiB ({} MiB before, {} MiB with {PODS} Pods)",
        per_pod(before.1, after.1),
        before.1 / 1024,
        after.1 / 1024
    );
}
