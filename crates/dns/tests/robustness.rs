//! The request path on mutated and random packets (a seeded, bounded version of the fuzz
//! target in `fuzz/`, so every `cargo test` runs it): no panic, and every reply carries the
//! query's ID, has QR set and fits the transport.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kubelite_dns::{Options, Outcome, Records, Transport, respond};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

fn records() -> Records {
    let services: Vec<Service> = [
        json!({"metadata": {"namespace": "default", "name": "web"},
               "spec": {"clusterIP": "10.43.0.5", "ports": [{"name": "http", "port": 80}]}}),
        json!({"metadata": {"namespace": "default", "name": "db"},
               "spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}]}}),
        json!({"metadata": {"namespace": "default", "name": "ext"},
               "spec": {"type": "ExternalName", "externalName": "example.com"}}),
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
}

fn seeds() -> Vec<Vec<u8>> {
    let names = [
        "web.default.svc.cluster.local.",
        "db.default.svc.cluster.local.",
        "_pg._tcp.db.default.svc.cluster.local.",
        "db-7.db.default.svc.cluster.local.",
        "ext.default.svc.cluster.local.",
        "5.0.43.10.in-addr.arpa.",
        "10-42-0-1.default.pod.cluster.local.",
        "dns-version.cluster.local.",
        "example.com.",
    ];
    let types = [
        RecordType::A,
        RecordType::AAAA,
        RecordType::SRV,
        RecordType::PTR,
        RecordType::TXT,
        RecordType::ANY,
    ];
    let mut out = Vec::new();
    for name in names {
        for qtype in types {
            for edns in [None, Some(512), Some(4096)] {
                let mut m = Message::new(7, MessageType::Query, OpCode::Query);
                m.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
                if let Some(size) = edns {
                    let mut e = Edns::new();
                    e.set_max_payload(size);
                    m.set_edns(e);
                }
                out.push(m.to_vec().unwrap());
            }
        }
    }
    out
}

fn check(records: &Records, packet: &[u8], transport: Transport) {
    let mut out = Vec::new();
    match respond(records, packet, transport, &mut out) {
        Outcome::Dropped => return,
        Outcome::Replied { .. } => {}
        Outcome::Pending(p) => {
            p.fail(&mut out);
        }
    }
    assert!(out.len() >= 12, "{packet:?}");
    assert_eq!(&out[..2], &packet[..2], "{packet:?}");
    assert!(out[2] & 0x80 != 0, "{packet:?}");
    if transport == Transport::Udp {
        assert!(out.len() <= 4096, "{packet:?}");
    }
    // Whatever was sent, the reply parses.
    Message::from_vec(&out).unwrap_or_else(|e| panic!("{e}: {packet:?} -> {out:?}"));
}

#[test]
fn mutated_and_random_packets() {
    let records = records();
    let seeds = seeds();
    let mut rng = StdRng::seed_from_u64(0x6b75_6265);
    for seed in &seeds {
        check(&records, seed, Transport::Udp);
        check(&records, seed, Transport::Tcp);
    }
    for _ in 0..20_000 {
        let mut packet = seeds[rng.random_range(0..seeds.len())].clone();
        for _ in 0..rng.random_range(1..6) {
            match rng.random_range(0..4) {
                0 => {
                    let i = rng.random_range(0..packet.len());
                    packet[i] = rng.random();
                }
                1 => {
                    let n = rng.random_range(0..packet.len());
                    packet.truncate(n);
                }
                2 => packet.push(rng.random()),
                _ => {
                    let i = rng.random_range(0..packet.len().max(1));
                    if i < packet.len() {
                        packet[i] ^= 1 << rng.random_range(0..8);
                    }
                }
            }
            if packet.is_empty() {
                break;
            }
        }
        let transport = if rng.random() {
            Transport::Udp
        } else {
            Transport::Tcp
        };
        check(&records, &packet, transport);
    }
    for _ in 0..5_000 {
        let len = rng.random_range(0..600);
        let packet: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        check(&records, &packet, Transport::Udp);
    }
}
