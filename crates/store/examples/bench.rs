//! Measures the SQLite store on this machine: create/update latency, listing 10,000 objects of
//! about 2 KB, reopening, and write latency with hundreds of live watchers.
//!
//! Run with `cargo run -p kubelite-store --example bench [--release]`.

use std::time::{Duration, Instant};

use futures::StreamExt;
use kubelite_store::{MemoryStore, SqliteStore, Store};

const OBJECTS: usize = 10_000;
const VALUE_SIZE: usize = 2048;
const WATCHERS: usize = 300;

fn object(i: usize) -> Vec<u8> {
    let mut value =
        format!("{{\"kind\":\"Pod\",\"metadata\":{{\"name\":\"pod-{i}\"}},\"x\":\"").into_bytes();
    value.resize(VALUE_SIZE - 2, b'x');
    value.extend_from_slice(b"\"}");
    value
}

fn key(i: usize) -> String {
    format!("/registry/pods/ns{}/pod-{i:05}", i % 10)
}

fn percentiles(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "{label:<28} n={:<6} p50={:>9.3?} p99={:>9.3?} max={:>9.3?}",
        samples.len(),
        at(0.50),
        at(0.99),
        samples[samples.len() - 1]
    );
}

async fn time_lists(label: &str, store: &dyn Store) {
    let mut samples = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        let page = store.list("/registry/pods/", None, None).await.unwrap();
        samples.push(start.elapsed());
        assert_eq!(page.items.len(), OBJECTS);
    }
    percentiles(label, samples);
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let store = SqliteStore::open(&path).unwrap();

    let mut creates = Vec::with_capacity(OBJECTS);
    for i in 0..OBJECTS {
        let start = Instant::now();
        store.create(&key(i), object(i)).await.unwrap();
        creates.push(start.elapsed());
    }
    percentiles("sqlite create (2 KB)", creates);

    let mut updates = Vec::new();
    for i in 0..1000 {
        let current = store.get(&key(i)).await.unwrap().unwrap();
        let start = Instant::now();
        store
            .update(&key(i), object(i + 1), current.mod_revision)
            .await
            .unwrap();
        updates.push(start.elapsed());
    }
    percentiles("sqlite update (CAS)", updates);

    time_lists("sqlite list 10k", &store).await;

    let mut watchers = Vec::new();
    for i in 0..WATCHERS {
        let mut watch = store
            .watch(&format!("/registry/pods/ns{}/", i % 10), 0)
            .await
            .unwrap();
        watchers.push(tokio::spawn(async move {
            let mut seen = 0usize;
            while watch.next().await.is_some() {
                seen += 1;
            }
            seen
        }));
    }
    let mut watched = Vec::new();
    for i in 0..1000 {
        let current = store.get(&key(i)).await.unwrap().unwrap();
        let start = Instant::now();
        store
            .update(&key(i), object(i + 2), current.mod_revision)
            .await
            .unwrap();
        watched.push(start.elapsed());
    }
    percentiles(&format!("sqlite update, {WATCHERS} watchers"), watched);
    drop(store);
    let delivered: usize = futures::future::join_all(watchers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    println!(
        "{:<28} {delivered} events (expected {})",
        "watch deliveries",
        1000 * WATCHERS / 10
    );

    let start = Instant::now();
    let store = SqliteStore::open(&path).unwrap();
    println!("{:<28} {:.3?}", "sqlite reopen (load 10k)", start.elapsed());
    time_lists("sqlite list 10k (reopened)", &store).await;

    let memory = MemoryStore::new();
    for i in 0..OBJECTS {
        memory.create(&key(i), object(i)).await.unwrap();
    }
    time_lists("memory list 10k", &memory).await;
}
