//! The Services lab benchmark (issue 6): the wall time of the whole lab — `kubelite up` to the
//! end of its cleanup, every STEPS.md command in order with the stock kubectl, waiting where a
//! person would wait for Pods to run — and kubelite's peak RSS (`VmHWM`) over it.
//!
//! `cargo bench -p kubelite --bench lab` (root; figures go to BENCHMARKS.md). Each run starts
//! from a fresh data dir in a fresh isolated namespace; 3 runs.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::{Cluster, Table, eventually, ms};

/// STEPS.md's commands, in order. `wait:` lines stand for the learner watching
/// `kubectl get pods` until the named Pods run.
const STEPS: &[&str] = &[
    "kubectl apply -f labs/services/specs/pods",
    "wait: sleep whoami",
    "kubectl get pods -o wide --show-labels",
    "kubectl exec sleep -- nslookup whoami",
    "kubectl apply -f labs/services/specs/services/whoami-clusterip.yaml",
    "kubectl get service whoami",
    "kubectl describe svc whoami",
    "kubectl exec sleep -- nslookup whoami",
    "kubectl exec sleep -- curl -s http://whoami",
    "kubectl get pods -o wide -l app=whoami",
    "kubectl delete pods -l app=whoami",
    "kubectl apply -f labs/services/specs/pods",
    "wait: whoami",
    "kubectl get pods -o wide -l app=whoami",
    "kubectl exec sleep -- nslookup whoami",
    "kubectl exec sleep -- curl -s http://whoami",
    "kubectl apply -f labs/services/specs/services/whoami-nodeport.yaml -f labs/services/specs/services/whoami-loadbalancer.yaml",
    "kubectl get svc -l app=whoami",
    "kubectl exec sleep -- curl -s http://whoami-lb:8080",
    "kubectl exec sleep -- curl -s http://whoami-np:8010",
    "curl http://localhost:8080",
    "curl http://localhost:30010",
    "kubectl apply -f labs/services/solution/whoami-svc-zeromatches.yaml",
    "kubectl get endpoints whoami-zero-matches",
    "kubectl exec sleep -- nslookup whoami-zero-matches",
    "kubectl exec sleep -- curl -v -m 5 http://whoami-zero-matches",
    "kubectl apply -f labs/services/solution/whoami-pod-2.yaml",
    "wait: whoami-2",
    "kubectl get po -o wide -l app=whoami",
    "kubectl get endpoints whoami",
    "kubectl exec sleep -- curl -v http://whoami",
    "kubectl delete pod,svc -l kubernetes.courselabs.co=services",
];

/// Commands a person expects to fail (the lookup before the Service exists, and the Service
/// without endpoints).
fn expected_to_fail(step_index: usize, line: &str) -> bool {
    (step_index == 3 && line.contains("nslookup"))
        || line.contains("whoami-zero-matches") && line.contains("curl")
}

/// `VmHWM` of `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One run: returns (wall time, peak RSS in KiB).
fn run() -> (Duration, u64) {
    let started = Instant::now();
    let c = Cluster::start();
    for (i, line) in STEPS.iter().enumerate() {
        if let Some(pods) = line.strip_prefix("wait: ") {
            let pods: Vec<&str> = pods.split(' ').collect();
            eventually(30, || {
                let t = Table::parse(&c.kubectl(&["get", "pods"]).ok().stdout);
                pods.iter()
                    .all(|p| t.cell(p, "STATUS") == "Running" && t.cell(p, "READY") == "1/1")
                    .then_some(())
            });
            continue;
        }
        let words: Vec<&str> = line.split(' ').collect();
        let run = match words[0] {
            "kubectl" => c.kubectl(&words[1..]),
            _ => c.exec(words[0], &words[1..], &[]),
        };
        assert_eq!(
            run.code != 0,
            expected_to_fail(i, line),
            "{line}: exit {}\n{}{}",
            run.code,
            run.stdout,
            run.stderr
        );
    }
    let elapsed = started.elapsed();
    (elapsed, peak_rss_kib(c.server_pid()))
}

fn main() {
    let mut runs = Vec::new();
    for i in 1..=3 {
        let (wall, peak) = run();
        println!(
            "run {i}: lab wall time {}, kubelite peak RSS {:.1} MiB",
            ms(wall),
            peak as f64 / 1024.0
        );
        runs.push((wall, peak));
    }
    let worst_wall = runs.iter().map(|r| r.0).max().expect("runs");
    let worst_peak = runs.iter().map(|r| r.1).max().expect("runs");
    println!(
        "Services lab, kubelite up to cleanup (worst of 3): {} (target < 15 s); peak RSS {:.1} MiB (target < 50 MB)",
        ms(worst_wall),
        worst_peak as f64 / 1024.0
    );
}
