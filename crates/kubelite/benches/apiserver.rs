//! API server benchmark (issue 2): cold start to `/readyz`, create latency, listing 10,000 Pods,
//! and kubelite's memory with 10,000 Pods stored. Each run starts a real `kubelite up` in an
//! isolated namespace; the client is kube-rs on a thread moved into that namespace.
//!
//! `cargo bench -p kubelite --bench apiserver` (root; figures go to BENCHMARKS.md).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client, Config};
use support::{Cluster, ms, percentile};

const PODS: usize = 10_000;
const STARTS: usize = 7;

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A Pod bound to a node that does not exist: this measures the API, not running 10,000 Pods
/// (the scheduler and the node agent leave it alone).
fn pod(i: usize) -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("bench-{i:05}"), "labels": {"app": "bench", "kubernetes.courselabs.co": "services"}},
        "spec": {"nodeName": "bench-node", "containers": [{"name": "app", "image": "sixeyed/whoami:21.04", "ports": [{"containerPort": 80}]}]}
    }))
    .expect("pod")
}

fn main() {
    // 1. Cold start: fresh data dir each time (certificates, SQLite, bootstrap objects).
    let mut starts = Vec::new();
    for _ in 0..STARTS {
        let mut c = Cluster::start_idle();
        starts.push(c.time_to_ready());
    }
    starts.sort();
    println!(
        "cold start to /readyz: p50 {} max {} ({} starts)",
        ms(percentile(&starts, 0.5)),
        ms(*starts.last().unwrap()),
        STARTS
    );

    // 2-4. Creates, list and memory with 10,000 Pods.
    let c = Cluster::start();
    let kubeconfig = c.kubeconfig();
    let pid = c.server_pid();
    let (creates, lists, tables, rss_stored) = c.in_netns(move || {
        let rt = support::runtime();
        rt.block_on(async move {
            let kc = kube::config::Kubeconfig::read_from(&kubeconfig).unwrap();
            let config = Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .unwrap();
            let client = Client::try_from(config).unwrap();
            let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
            let mut creates = Vec::with_capacity(PODS);
            for i in 0..PODS {
                let p = pod(i);
                let t = Instant::now();
                pods.create(&PostParams::default(), &p)
                    .await
                    .expect("create");
                creates.push(t.elapsed());
            }
            let rss_stored = rss_kib(pid, "VmRSS:");
            let mut lists = Vec::new();
            let mut tables = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let req = http::Request::get("/api/v1/namespaces/default/pods")
                    .body(Vec::new())
                    .unwrap();
                let body = client.request_text(req).await.expect("list");
                lists.push(t.elapsed());
                assert!(body.len() > PODS * 100);
                let t = Instant::now();
                let req = http::Request::get("/api/v1/namespaces/default/pods")
                    .header(
                        "Accept",
                        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
                    )
                    .body(Vec::new())
                    .unwrap();
                let body = client.request_text(req).await.expect("table");
                tables.push(t.elapsed());
                assert!(body.contains("\"kind\":\"Table\""));
            }
            let n = pods.list(&ListParams::default()).await.unwrap().items.len();
            assert_eq!(n, PODS);
            (creates, lists, tables, rss_stored)
        })
    });
    let mut creates = creates;
    creates.sort();
    let mut lists = lists;
    lists.sort();
    let mut tables = tables;
    tables.sort();
    println!(
        "create ({PODS} Pods, one at a time): p50 {} p99 {} max {}",
        ms(percentile(&creates, 0.5)),
        ms(percentile(&creates, 0.99)),
        ms(*creates.last().unwrap())
    );
    println!(
        "list {PODS} Pods (JSON): p50 {} max {}",
        ms(percentile(&lists, 0.5)),
        ms(*lists.last().unwrap())
    );
    println!(
        "list {PODS} Pods (Table, as kubectl get): p50 {} max {}",
        ms(percentile(&tables, 0.5)),
        ms(*tables.last().unwrap())
    );
    println!(
        "kubelite memory with {PODS} Pods: RSS {} MiB once stored, {} MiB after the lists, peak {} MiB",
        rss_stored / 1024,
        rss_kib(pid, "VmRSS:") / 1024,
        rss_kib(pid, "VmHWM:") / 1024
    );
}
