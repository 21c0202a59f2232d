//! The request path (`kubelite_dns::respond`) on arbitrary packets over a small cluster: it
//! must never panic, and every reply must be a well-formed answer to the packet's ID that fits
//! the transport. Run (stable Rust is enough):
//! `cargo fuzz run request --sanitizer none -- -max_total_time=60`.

#![no_main]

use std::sync::LazyLock;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kubelite_dns::{Options, Outcome, Records, Transport, respond};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

static RECORDS: LazyLock<Records> = LazyLock::new(|| {
    let services: Vec<Service> = [
        json!({"metadata": {"namespace": "default", "name": "web"},
               "spec": {"clusterIP": "10.43.0.5", "ports": [{"name": "http", "port": 80}]}}),
        json!({"metadata": {"namespace": "default", "name": "db"},
               "spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}]}}),
        json!({"metadata": {"namespace": "default", "name": "ext"},
               "spec": {"type": "ExternalName", "externalName": "example.com"}}),
        json!({"metadata": {"namespace": "default", "name": "loop"},
               "spec": {"type": "ExternalName", "externalName": "loop.default.svc.cluster.local"}}),
    ]
    .into_iter()
    .map(|v| serde_json::from_value(v).unwrap())
    .collect();
    let endpoints: Vec<_> = (1..=60)
        .map(|i| json!({"addresses": [format!("10.42.0.{i}")], "hostname": format!("db-{i}")}))
        .collect();
    let slices: Vec<EndpointSlice> = vec![
        serde_json::from_value(json!({
            "metadata": {"namespace": "default", "name": "db-a",
                         "labels": {"kubernetes.io/service-name": "db"}},
            "addressType": "IPv4",
            "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
            "endpoints": endpoints,
        }))
        .unwrap(),
    ];
    Records::from_objects(
        &Options::default(),
        1,
        &services,
        &slices,
        &["default"],
        &[],
    )
});

fuzz_target!(|data: &[u8]| {
    let Some((&first, packet)) = data.split_first() else {
        return;
    };
    let transport = if first & 1 == 0 {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    let mut out = Vec::new();
    let replied = match respond(&RECORDS, packet, transport, &mut out) {
        Outcome::Dropped => return,
        Outcome::Replied { .. } => true,
        Outcome::Pending(p) => {
            p.fail(&mut out);
            true
        }
    };
    if replied {
        assert!(out.len() >= 12, "a reply has a header");
        assert_eq!(&out[..2], &packet[..2], "the reply carries the query's ID");
        assert!(out[2] & 0x80 != 0, "QR is set");
        if transport == Transport::Udp {
            assert!(out.len() <= 4096, "UDP replies fit the largest payload");
        }
    }
});
