//! `answer` over a fixed cluster, question by question, rendered in zone-file text and compared
//! with `tests/data/answers__*.snap` (rewrite with `INSTA_UPDATE=always`). The cases follow
//! CoreDNS's `plugin/kubernetes/handler_test.go`.

use std::fmt::Write;

use hickory_proto::rr::{Name, RecordType};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kubelite_dns::{Options, PodMode, Question, Records, Response, answer};
use serde_json::{Value, json};

fn service(ns: &str, name: &str, spec: Value) -> Service {
    serde_json::from_value(json!({"metadata": {"namespace": ns, "name": name}, "spec": spec}))
        .unwrap()
}

fn slice(ns: &str, name: &str, svc: &str, ports: Value, endpoints: Value) -> EndpointSlice {
    serde_json::from_value(json!({
        "metadata": {"namespace": ns, "name": name,
                     "labels": {"kubernetes.io/service-name": svc}},
        "addressType": "IPv4", "ports": ports, "endpoints": endpoints,
    }))
    .unwrap()
}

fn cluster(pods: PodMode) -> Records {
    let http = json!([{"name": "http", "port": 80, "protocol": "TCP"}]);
    let services = vec![
        service(
            "testns",
            "svc1",
            json!({"clusterIP": "10.0.0.1", "ports": http}),
        ),
        service(
            "testns",
            "svc6",
            json!({"clusterIP": "1234:abcd::1", "ports": http}),
        ),
        service(
            "testns",
            "dual",
            json!({"clusterIP": "10.0.0.3", "clusterIPs": ["10.0.0.3", "fd00::3"], "ports": http}),
        ),
        service(
            "testns",
            "multi",
            json!({"clusterIP": "10.0.0.9", "ports": [
                {"name": "http", "port": 80}, {"name": "https", "port": 443},
                {"name": "dns", "port": 53, "protocol": "UDP"}]}),
        ),
        service("testns", "hdls1", json!({"clusterIP": "None"})),
        service("testns", "hdlsprtls", json!({"clusterIP": "None"})),
        service("testns", "hdlsempty", json!({"clusterIP": "None"})),
        service(
            "testns",
            "external",
            json!({"type": "ExternalName", "externalName": "ext.interwebs.test"}),
        ),
        service(
            "testns",
            "external-to-service",
            json!({"type": "ExternalName", "externalName": "svc1.testns.svc.cluster.local"}),
        ),
        service(
            "testns",
            "external-ip",
            json!({"type": "ExternalName", "externalName": "1.2.3.4"}),
        ),
        service(
            "kube-system",
            "kube-dns",
            json!({"clusterIP": "10.43.0.10", "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}),
        ),
    ];
    let slices = vec![
        slice(
            "testns",
            "hdls1-a",
            "hdls1",
            json!([{"name": "http", "port": 80, "protocol": "TCP"}]),
            json!([
                {"addresses": ["172.0.0.2"], "hostname": "dup-name"},
                {"addresses": ["172.0.0.3"], "conditions": {"ready": true}},
                {"addresses": ["172.0.0.4"], "conditions": {"ready": false}},
                {"addresses": ["172.0.0.5"], "hostname": "web-0"},
            ]),
        ),
        slice(
            "testns",
            "hdlsprtls-a",
            "hdlsprtls",
            json!(null),
            json!([{"addresses": ["172.0.0.20"]}]),
        ),
        slice(
            "testns",
            "hdlsempty-a",
            "hdlsempty",
            json!([{"name": "http", "port": 80}]),
            json!([{"addresses": ["172.0.0.30"], "conditions": {"ready": false}}]),
        ),
        slice(
            "testns",
            "svc1-a",
            "svc1",
            json!([{"name": "http", "port": 8080, "protocol": "TCP"}]),
            json!([{"addresses": ["172.0.1.1"]}]),
        ),
        slice(
            "kube-system",
            "kube-dns-a",
            "kube-dns",
            json!([{"name": "dns", "port": 53, "protocol": "UDP"},
                   {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]),
            json!([{"addresses": ["10.0.2.15"]}]),
        ),
    ];
    let options = Options {
        zone: "cluster.local".into(),
        ttl: 5,
        pods,
        local_ips: vec!["10.0.2.15".parse().unwrap()],
    };
    let pods = vec![
        serde_json::from_value(json!({
            "metadata": {"namespace": "testns", "name": "p"},
            "status": {"podIP": "10.0.0.1"}
        }))
        .unwrap(),
    ];
    Records::from_objects(
        &options,
        1499347823,
        &services,
        &slices,
        &["testns", "default", "kube-system"],
        &pods,
    )
}

/// Each question and its response, in zone-file text.
fn render(records: &Records, questions: &[(&str, RecordType)]) -> String {
    let mut out = String::new();
    for (name, qtype) in questions {
        let q = Question {
            name: Name::from_ascii(name).unwrap(),
            qtype: *qtype,
        };
        writeln!(out, ";; {name} {qtype}").unwrap();
        match answer(records, &q) {
            Response::Forward => writeln!(out, ";; -> forward").unwrap(),
            Response::Zone(reply) => {
                let aa = if reply.authoritative { " aa" } else { "" };
                writeln!(out, ";; -> {}{aa}", reply.rcode).unwrap();
                if let Some(chase) = &reply.chase {
                    writeln!(out, ";; chase {chase}").unwrap();
                }
                for r in &reply.answers {
                    writeln!(out, "{r}").unwrap();
                }
                for (section, records) in [
                    ("AUTHORITY", &reply.authorities),
                    ("ADDITIONAL", &reply.additionals),
                ] {
                    if !records.is_empty() {
                        writeln!(out, ";; {section}").unwrap();
                    }
                    for r in records {
                        writeln!(out, "{r}").unwrap();
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

fn check(name: &str, records: &Records, questions: &[(&str, RecordType)]) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("data");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, render(records, questions)));
}

use RecordType::*;

#[test]
fn services() {
    check(
        "services",
        &cluster(PodMode::Insecure),
        &[
            ("svc1.testns.svc.cluster.local.", A),
            ("SVC1.TestNS.svc.Cluster.Local.", A),
            ("svc1.testns.svc.cluster.local.", AAAA),
            ("svc1.testns.svc.cluster.local.", SRV),
            ("svc1.testns.svc.cluster.local.", TXT),
            ("svc1.testns.svc.cluster.local.", MX),
            ("svc1.testns.svc.cluster.local.", CNAME),
            ("svc1.testns.svc.cluster.local.", PTR),
            ("svc1.testns.svc.cluster.local.", NS),
            ("svc1.testns.svc.cluster.local.", SOA),
            ("svc1.testns.svc.cluster.local.", HINFO),
            ("svc1.testns.svc.cluster.local.", AXFR),
            ("svc0.testns.svc.cluster.local.", A),
            ("svc0.testns.svc.cluster.local.", TXT),
            ("svc0.testns.svc.cluster.local.", HINFO),
            ("svc1.nons.svc.cluster.local.", A),
            ("_http._tcp.svc1.testns.svc.cluster.local.", SRV),
            ("_http._tcp.svc1.testns.svc.cluster.local.", A),
            ("_HTTP._TCP.svc1.testns.svc.cluster.local.", SRV),
            ("_https._tcp.svc1.testns.svc.cluster.local.", SRV),
            ("_http._udp.svc1.testns.svc.cluster.local.", SRV),
            ("172-0-1-1.svc1.testns.svc.cluster.local.", A),
            ("svc6.testns.svc.cluster.local.", A),
            ("svc6.testns.svc.cluster.local.", AAAA),
            ("svc6.testns.svc.cluster.local.", SRV),
            ("dual.testns.svc.cluster.local.", A),
            ("dual.testns.svc.cluster.local.", AAAA),
            ("dual.testns.svc.cluster.local.", SRV),
            ("multi.testns.svc.cluster.local.", SRV),
            ("_dns._udp.multi.testns.svc.cluster.local.", SRV),
            ("x.y.z.svc1.testns.svc.cluster.local.", A),
        ],
    );
}

#[test]
fn headless() {
    check(
        "headless",
        &cluster(PodMode::Insecure),
        &[
            ("hdls1.testns.svc.cluster.local.", A),
            ("hdls1.testns.svc.cluster.local.", AAAA),
            ("hdls1.testns.svc.cluster.local.", SRV),
            ("_http._tcp.hdls1.testns.svc.cluster.local.", SRV),
            ("_http._udp.hdls1.testns.svc.cluster.local.", SRV),
            ("web-0.hdls1.testns.svc.cluster.local.", A),
            ("dup-name.hdls1.testns.svc.cluster.local.", A),
            ("172-0-0-3.hdls1.testns.svc.cluster.local.", A),
            ("172-0-0-4.hdls1.testns.svc.cluster.local.", A),
            ("nope.hdls1.testns.svc.cluster.local.", A),
            ("hdlsprtls.testns.svc.cluster.local.", A),
            ("hdlsprtls.testns.svc.cluster.local.", SRV),
            ("hdlsempty.testns.svc.cluster.local.", A),
            ("hdlsempty.testns.svc.cluster.local.", SRV),
        ],
    );
}

#[test]
fn external_names() {
    check(
        "external_names",
        &cluster(PodMode::Insecure),
        &[
            ("external.testns.svc.cluster.local.", A),
            ("external.testns.svc.cluster.local.", AAAA),
            ("external.testns.svc.cluster.local.", CNAME),
            ("external.testns.svc.cluster.local.", SRV),
            ("external.testns.svc.cluster.local.", TXT),
            ("_http._tcp.external.testns.svc.cluster.local.", SRV),
            ("external-to-service.testns.svc.cluster.local.", A),
            ("external-to-service.testns.svc.cluster.local.", AAAA),
            ("external-ip.testns.svc.cluster.local.", A),
        ],
    );
}

#[test]
fn zone_names() {
    check(
        "zone_names",
        &cluster(PodMode::Insecure),
        &[
            ("cluster.local.", A),
            ("cluster.local.", SOA),
            ("Cluster.Local.", SOA),
            ("cluster.local.", NS),
            ("ns.dns.cluster.local.", A),
            ("ns.dns.cluster.local.", AAAA),
            ("dns-version.cluster.local.", TXT),
            ("svc.cluster.local.", A),
            ("pod.cluster.local.", A),
            ("testns.svc.cluster.local.", A),
            ("testns.svc.cluster.local.", TXT),
            ("nons.svc.cluster.local.", A),
            ("whoami.cluster.local.", A),
            ("a.b.c.d.e.svc.cluster.local.", A),
            ("*.testns.svc.cluster.local.", A),
            ("example.com.", A),
            ("whoami.", A),
        ],
    );
}

#[test]
fn pods() {
    let questions = [
        ("10-0-0-1.testns.pod.cluster.local.", A),
        ("10-0-0-2.testns.pod.cluster.local.", A),
        ("10-0-0-1.testns.pod.cluster.local.", AAAA),
        ("fd00--1.testns.pod.cluster.local.", AAAA),
        ("10-0-0-1.nons.pod.cluster.local.", A),
        ("bad.testns.pod.cluster.local.", A),
        ("testns.pod.cluster.local.", A),
    ];
    check("pods_insecure", &cluster(PodMode::Insecure), &questions);
    check("pods_verified", &cluster(PodMode::Verified), &questions);
    check("pods_disabled", &cluster(PodMode::Disabled), &questions);
}

#[test]
fn reverse() {
    check(
        "reverse",
        &cluster(PodMode::Insecure),
        &[
            ("1.0.0.10.in-addr.arpa.", PTR),
            ("10.0.43.10.in-addr.arpa.", PTR),
            ("2.0.0.172.in-addr.arpa.", PTR),
            ("3.0.0.172.in-addr.arpa.", PTR),
            ("4.0.0.172.in-addr.arpa.", PTR),
            (
                "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.",
                PTR,
            ),
            ("8.8.8.8.in-addr.arpa.", PTR),
            ("1.0.0.10.in-addr.arpa.", A),
            ("0.10.in-addr.arpa.", PTR),
        ],
    );
}

#[test]
fn unsynced() {
    let records = Records::unsynced(&Options::default());
    check(
        "unsynced",
        &records,
        &[
            ("kubernetes.default.svc.cluster.local.", A),
            ("dns-version.cluster.local.", TXT),
            ("1.0.43.10.in-addr.arpa.", PTR),
            ("example.com.", A),
        ],
    );
}
