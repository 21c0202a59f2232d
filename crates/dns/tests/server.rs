//! The DNS server in process on 127.0.0.1 against the real API server (in process, memory
//! store): Services and EndpointSlices go in through the API, and questions go over UDP and
//! TCP as a resolver would ask them. Upstreams are fakes on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use k8s_openapi::api::core::v1::{Endpoints, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::PostParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};
use kubelite_dns::{Config, Upstream};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

struct Cluster {
    client: Client,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

async fn cluster() -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let pki =
        kubelite_apiserver::pki::Pki::load_or_create(dir.path(), &["127.0.0.1".into()]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = kubelite_apiserver::Config {
        service_cidr: "10.43.0.0/16".parse().unwrap(),
        node_port_range: (30000, 32767),
        advertise_address: "127.0.0.1".parse().unwrap(),
        port,
        admin_token: pki.admin_token.clone(),
    };
    let store = Arc::new(kubelite_store::MemoryStore::new());
    let server = kubelite_apiserver::ApiServer::new(store, config)
        .await
        .unwrap();
    let stop = CancellationToken::new();
    server.spawn_controllers(stop.clone());
    tokio::spawn(kubelite_apiserver::serve(
        server,
        listener,
        pki.server_config().unwrap(),
        stop.clone(),
    ));
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let kubeconfig = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {
            "server": format!("https://127.0.0.1:{port}"),
            "certificate-authority": ca.to_str().unwrap(),
        }}],
        "users": [{"name": "admin", "user": {"token": pki.admin_token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin"}}],
    });
    let kubeconfig = Kubeconfig::from_yaml(&kubeconfig.to_string()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Cluster {
        client: Client::try_from(config).unwrap(),
        stop,
        _dir: dir,
    }
}

/// Starts a DNS server on 127.0.0.1 (any port) and waits until it answers.
async fn dns(cluster: &Cluster, config: Config) -> SocketAddr {
    let readiness = config.readiness.clone();
    let run = kubelite_dns::run(
        cluster.client.clone(),
        config,
        cluster.stop.clone().cancelled_owned(),
    );
    tokio::spawn(async move { run.await.expect("dns") });
    let addrs = tokio::time::timeout(Duration::from_secs(20), readiness.wait())
        .await
        .expect("DNS ready");
    addrs[0]
}

fn localhost_config(upstream: Vec<SocketAddr>) -> Config {
    let mut config = Config::new(vec!["127.0.0.1:0".parse().unwrap()]);
    config.upstream = Upstream::Servers(upstream);
    config
}

fn query(name: &str, qtype: RecordType, edns: Option<u16>) -> Vec<u8> {
    let mut m = Message::new(rand_id(), MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
    if let Some(size) = edns {
        let mut e = Edns::new();
        e.set_max_payload(size);
        m.set_edns(e);
    }
    m.to_vec().unwrap()
}

fn rand_id() -> u16 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        & 0xffff) as u16
}

async fn udp_raw(server: SocketAddr, packet: &[u8]) -> Vec<u8> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(packet, server).await.unwrap();
    let mut buf = vec![0u8; 65535];
    let n = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
        .await
        .expect("a reply within 5 s")
        .unwrap();
    buf.truncate(n);
    buf
}

async fn udp(server: SocketAddr, name: &str, qtype: RecordType) -> Message {
    let packet = query(name, qtype, Some(1232));
    let reply = Message::from_vec(&udp_raw(server, &packet).await).unwrap();
    assert_eq!(
        reply.metadata.id,
        u16::from_be_bytes([packet[0], packet[1]])
    );
    reply
}

async fn tcp(server: SocketAddr, packet: &[u8]) -> Message {
    let mut stream = TcpStream::connect(server).await.unwrap();
    stream
        .write_all(&(packet.len() as u16).to_be_bytes())
        .await
        .unwrap();
    stream.write_all(packet).await.unwrap();
    let len = stream.read_u16().await.unwrap();
    let mut body = vec![0u8; usize::from(len)];
    stream.read_exact(&mut body).await.unwrap();
    Message::from_vec(&body).unwrap()
}

fn addresses(m: &Message) -> Vec<String> {
    let mut out: Vec<String> = m
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            RData::AAAA(a) => Some(a.to_string()),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// Polls `name` until the reply satisfies `done`, for up to 10 s.
async fn until(
    server: SocketAddr,
    name: &str,
    qtype: RecordType,
    done: impl Fn(&Message) -> bool,
) -> Message {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let m = udp(server, name, qtype).await;
        if done(&m) {
            return m;
        }
        assert!(Instant::now() < deadline, "timed out on {name}: {m}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A fake upstream on 127.0.0.1: `example.test.` A is 192.0.2.7, everything else NXDOMAIN.
async fn fake_upstream() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let q = Message::from_vec(&buf[..n]).unwrap();
            let mut r = Message::new(q.metadata.id, MessageType::Response, OpCode::Query);
            r.metadata.recursion_desired = true;
            r.metadata.recursion_available = true;
            r.add_queries(q.queries.clone());
            let question = &q.queries[0];
            if question
                .name()
                .to_ascii()
                .eq_ignore_ascii_case("example.test.")
                && question.query_type() == RecordType::A
            {
                r.add_answer(Record::from_rdata(
                    question.name().clone(),
                    60,
                    RData::A(A::new(192, 0, 2, 7)),
                ));
            } else {
                r.metadata.response_code = ResponseCode::NXDomain;
            }
            let _ = socket.send_to(&r.to_vec().unwrap(), peer).await;
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_names_follow_the_api() {
    let cluster = cluster().await;
    let server = dns(&cluster, localhost_config(vec![fake_upstream().await])).await;
    let services: Api<Service> = Api::namespaced(cluster.client.clone(), "default");

    // Before the Service exists: NXDOMAIN with the SOA.
    let m = udp(server, "whoami.default.svc.cluster.local.", RecordType::A).await;
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert!(m.metadata.authoritative);
    assert_eq!(m.authorities[0].record_type(), RecordType::SOA);
    let serial_before = match &m.authorities[0].data {
        RData::SOA(soa) => soa.serial,
        _ => unreachable!(),
    };

    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": "whoami"},
        "spec": {"selector": {"app": "whoami"},
                 "ports": [{"name": "http", "port": 80, "targetPort": 80}]},
    }))
    .unwrap();
    let created = Instant::now();
    let svc = services.create(&PostParams::default(), &svc).await.unwrap();
    let ip = svc.spec.unwrap().cluster_ip.unwrap();
    let m = until(
        server,
        "whoami.default.svc.cluster.local.",
        RecordType::A,
        |m| m.metadata.response_code == ResponseCode::NoError,
    )
    .await;
    let programming = created.elapsed();
    assert!(
        programming < Duration::from_secs(2),
        "programmed in {programming:?}"
    );
    assert_eq!(addresses(&m), vec![ip.clone()]);
    assert_eq!(m.answers[0].ttl, 5);

    // Case-insensitive, the question's case kept.
    let m = udp(server, "WhoAmI.Default.SVC.cluster.local.", RecordType::A).await;
    assert_eq!(addresses(&m), vec![ip.clone()]);
    assert_eq!(
        m.answers[0].name.to_ascii(),
        "WhoAmI.Default.SVC.cluster.local."
    );

    // AAAA of an IPv4-only Service is NODATA, with a newer serial.
    let m = udp(
        server,
        "whoami.default.svc.cluster.local.",
        RecordType::AAAA,
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
    let RData::SOA(soa) = &m.authorities[0].data else {
        panic!("no SOA: {m}");
    };
    assert!(soa.serial > serial_before);

    // SRV of the named port, and the reverse name of the ClusterIP.
    let m = udp(
        server,
        "_http._tcp.whoami.default.svc.cluster.local.",
        RecordType::SRV,
    )
    .await;
    let RData::SRV(srv) = &m.answers[0].data else {
        panic!("no SRV: {m}");
    };
    assert_eq!(srv.port, 80);
    assert_eq!(srv.target.to_ascii(), "whoami.default.svc.cluster.local.");
    let octets: Vec<&str> = ip.split('.').rev().collect();
    let reverse = format!("{}.in-addr.arpa.", octets.join("."));
    let m = udp(server, &reverse, RecordType::PTR).await;
    let RData::PTR(ptr) = &m.answers[0].data else {
        panic!("no PTR: {m}");
    };
    assert_eq!(ptr.0.to_ascii(), "whoami.default.svc.cluster.local.");

    // The API server's own Service.
    let m = udp(
        server,
        "kubernetes.default.svc.cluster.local.",
        RecordType::A,
    )
    .await;
    assert_eq!(addresses(&m), vec!["10.43.0.1".to_string()]);

    // ExternalName: the CNAME, then the target's address from upstream.
    let ext: Service = serde_json::from_value(json!({
        "metadata": {"name": "ext"},
        "spec": {"type": "ExternalName", "externalName": "example.test"},
    }))
    .unwrap();
    services.create(&PostParams::default(), &ext).await.unwrap();
    let m = until(
        server,
        "ext.default.svc.cluster.local.",
        RecordType::A,
        |m| !m.answers.is_empty(),
    )
    .await;
    let RData::CNAME(cname) = &m.answers[0].data else {
        panic!("no CNAME: {m}");
    };
    assert_eq!(cname.0.to_ascii(), "example.test.");
    assert_eq!(addresses(&m), vec!["192.0.2.7".to_string()]);

    // Deleting the Service removes the name.
    services
        .delete("whoami", &Default::default())
        .await
        .unwrap();
    until(
        server,
        "whoami.default.svc.cluster.local.",
        RecordType::A,
        |m| m.metadata.response_code == ResponseCode::NXDomain,
    )
    .await;
    cluster.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_answers_truncate_over_udp_and_complete_over_tcp() {
    let cluster = cluster().await;
    let server = dns(&cluster, localhost_config(vec![])).await;
    let services: Api<Service> = Api::namespaced(cluster.client.clone(), "default");
    let slices: Api<EndpointSlice> = Api::namespaced(cluster.client.clone(), "default");
    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": "many"},
        "spec": {"clusterIP": "None", "selector": {"app": "many"},
                 "ports": [{"name": "http", "port": 80}]},
    }))
    .unwrap();
    services.create(&PostParams::default(), &svc).await.unwrap();
    let endpoints: Vec<_> = (1..=100)
        .map(|i| json!({"addresses": [format!("10.42.0.{i}")], "conditions": {"ready": true}}))
        .collect();
    let slice: EndpointSlice = serde_json::from_value(json!({
        "metadata": {"name": "many-abc", "labels": {"kubernetes.io/service-name": "many"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        "endpoints": endpoints,
    }))
    .unwrap();
    slices.create(&PostParams::default(), &slice).await.unwrap();
    until(
        server,
        "many.default.svc.cluster.local.",
        RecordType::A,
        |m| !m.answers.is_empty(),
    )
    .await;

    // Without EDNS a UDP reply is at most 512 bytes: truncated.
    let packet = query("many.default.svc.cluster.local.", RecordType::A, None);
    let raw = udp_raw(server, &packet).await;
    assert!(raw.len() <= 512);
    let m = Message::from_vec(&raw).unwrap();
    assert!(m.metadata.truncation);
    assert!(m.answers.len() < 100);
    // The resolver retries over TCP and gets every address.
    let m = tcp(server, &packet).await;
    assert!(!m.metadata.truncation);
    assert_eq!(m.answers.len(), 100);
    // SRV: one per endpoint and port, each target with its address.
    let m = tcp(
        server,
        &query("many.default.svc.cluster.local.", RecordType::SRV, None),
    )
    .await;
    assert_eq!(m.answers.len(), 100);
    assert_eq!(m.additionals.len(), 100);
    cluster.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_packets_and_upstream_failures() {
    let cluster = cluster().await;
    // An upstream that never answers.
    let blackhole = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut config = localhost_config(vec![blackhole.local_addr().unwrap()]);
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    config.metrics_addr = Some(metrics_port);
    config.service_ip = Some("10.43.0.10".parse().unwrap());
    let server = dns(&cluster, config).await;

    // Garbage gets FORMERR with its ID; a NOTIFY (opcode 4) gets NOTIMP.
    let reply = udp_raw(
        server,
        &[
            0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 7, b'x',
        ],
    )
    .await;
    assert_eq!(&reply[..2], &[0x12, 0x34]);
    assert_eq!(reply[3] & 0x0f, 1, "FORMERR");
    let mut notify = query("cluster.local.", RecordType::SOA, None);
    notify[2] = (notify[2] & 0x87) | (4 << 3);
    let reply = udp_raw(server, &notify).await;
    assert_eq!(reply[3] & 0x0f, 4, "NOTIMP");
    // The server still answers after them.
    let m = udp(server, "dns-version.cluster.local.", RecordType::TXT).await;
    assert_eq!(m.answers[0].data.to_string(), "1.1.0");

    // An upstream that never answers: SERVFAIL within the 2 s budget.
    let start = Instant::now();
    let m = udp(server, "example.test.", RecordType::A).await;
    assert_eq!(m.metadata.response_code, ResponseCode::ServFail);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // Meanwhile cluster names kept answering (the wait runs in its own task).
    let m = udp(
        server,
        "kubernetes.default.svc.cluster.local.",
        RecordType::A,
    )
    .await;
    assert_eq!(addresses(&m), vec!["10.43.0.1".to_string()]);

    // The kube-dns Service and Endpoints point here.
    let svc = Api::<Service>::namespaced(cluster.client.clone(), "kube-system");
    let eps = Api::<Endpoints>::namespaced(cluster.client.clone(), "kube-system");
    let deadline = Instant::now() + Duration::from_secs(10);
    let ep = loop {
        if let (Ok(_), Ok(ep)) = (svc.get("kube-dns").await, eps.get("kube-dns").await) {
            break ep;
        }
        assert!(Instant::now() < deadline, "no kube-dns objects");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let subset = &ep.subsets.unwrap()[0];
    assert_eq!(subset.addresses.as_ref().unwrap()[0].ip, "127.0.0.1");
    assert_eq!(
        subset.ports.as_ref().unwrap()[0].port,
        i32::from(server.port())
    );
    let m = until(
        server,
        "kube-dns.kube-system.svc.cluster.local.",
        RecordType::A,
        |m| !m.answers.is_empty(),
    )
    .await;
    assert_eq!(addresses(&m), vec!["10.43.0.10".to_string()]);

    // A Service created now is answerable, and counted in the programming latency.
    let late: Service = serde_json::from_value(json!({
        "metadata": {"name": "late"}, "spec": {"ports": [{"port": 80}]},
    }))
    .unwrap();
    Api::<Service>::namespaced(cluster.client.clone(), "default")
        .create(&PostParams::default(), &late)
        .await
        .unwrap();
    until(
        server,
        "late.default.svc.cluster.local.",
        RecordType::A,
        |m| !m.answers.is_empty(),
    )
    .await;

    // The metrics count what was answered.
    let mut stream = TcpStream::connect(metrics_port).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    for want in [
        "kubelite_dns_requests_total{type=\"other\",rcode=\"FORMERR\"} 1",
        "kubelite_dns_requests_total{type=\"other\",rcode=\"NOTIMP\"} 1",
        "kubelite_dns_requests_total{type=\"A\",rcode=\"SERVFAIL\"} 1",
        "kubelite_dns_requests_total{type=\"TXT\",rcode=\"NOERROR\"} 1",
        "kubelite_dns_request_duration_seconds_count",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let programmed = text
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "kubelite_dns_programming_duration_seconds_count{service_kind=\"cluster_ip\"} ",
            )
        })
        .and_then(|n| n.parse::<u64>().ok());
    assert!(programmed >= Some(1), "{text}");
    cluster.stop.cancel();
}
