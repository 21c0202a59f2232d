//! Health probes of a running cluster, each through the path a user's traffic takes: the API
//! server's `/readyz`, the Node's Ready condition, the proxy's sync counter on its metrics
//! endpoint, and a DNS question to the kube-dns ClusterIP (which crosses the proxy's rules).
//! `up` prints its progress from them and `status` reports them.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use k8s_openapi::api::core::v1::Node;
use kube::{Api, Client};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// Where the proxy serves its metrics (kube-proxy's port).
pub const PROXY_METRICS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 10249);

/// `GET /readyz` answers `ok`.
pub async fn api_ready(client: &Client) -> Result<(), String> {
    let req = http::Request::get("/readyz")
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    match client.request_text(req).await {
        Ok(body) if body == "ok" => Ok(()),
        Ok(body) => Err(body),
        Err(e) => Err(e.to_string()),
    }
}

/// What `node_ready` found.
pub struct NodeSummary {
    pub ip: Option<String>,
    pub pod_cidr: Option<String>,
}

/// The Node is registered and Ready.
pub async fn node_ready(client: &Client, name: &str) -> Result<NodeSummary, String> {
    let nodes: Api<Node> = Api::all(client.clone());
    let node = nodes
        .get_opt(name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("Node {name} is not registered"))?;
    let status = node.status.unwrap_or_default();
    let ready = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Ready");
    match ready {
        Some(c) if c.status == "True" => Ok(NodeSummary {
            ip: status
                .addresses
                .iter()
                .flatten()
                .find(|a| a.type_ == "InternalIP")
                .map(|a| a.address.clone()),
            pod_cidr: node.spec.and_then(|s| s.pod_cidr),
        }),
        Some(c) => Err(format!(
            "Node {name} is not Ready: {}",
            c.message.clone().unwrap_or_default()
        )),
        None => Err(format!("Node {name} reports no Ready condition yet")),
    }
}

/// The proxy has programmed the rules at least once; returns its count of full syncs.
pub async fn proxy_synced(metrics: SocketAddr) -> Result<u64, String> {
    let text = http_get(metrics, "/metrics").await?;
    let full = text
        .lines()
        .find_map(|l| l.strip_prefix("kubelite_proxy_syncs_total{kind=\"full\"} "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or("no sync counter in the proxy's metrics")?;
    if full == 0 {
        return Err("the proxy has not programmed its rules yet".into());
    }
    Ok(full)
}

/// A plain HTTP/1.0 GET on loopback; the body.
async fn http_get(addr: SocketAddr, path: &str) -> Result<String, String> {
    let io = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await?;
        let mut text = String::new();
        stream.read_to_string(&mut text).await?;
        Ok::<_, std::io::Error>(text)
    };
    let text = tokio::time::timeout(Duration::from_secs(2), io)
        .await
        .map_err(|_| format!("{addr} did not answer"))?
        .map_err(|e| format!("{addr}: {e}"))?;
    text.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .ok_or_else(|| format!("{addr}: not HTTP"))
}

/// Asks `server` for the A record of `name`; returns the first address.
pub async fn dns_answers(server: SocketAddr, name: &str) -> Result<Ipv4Addr, String> {
    let mut query = Message::new(rand_id(), MessageType::Query, OpCode::Query);
    query.metadata.recursion_desired = true;
    let name = Name::from_ascii(name).map_err(|e| e.to_string())?;
    query.add_query(Query::query(name, RecordType::A));
    let bytes = query.to_vec().map_err(|e| e.to_string())?;
    let io = async {
        let socket = UdpSocket::bind("0.0.0.0:0").await?;
        socket.send_to(&bytes, server).await?;
        let mut buf = vec![0u8; 4096];
        let n = socket.recv(&mut buf).await?;
        buf.truncate(n);
        Ok::<_, std::io::Error>(buf)
    };
    let reply = tokio::time::timeout(Duration::from_millis(500), io)
        .await
        .map_err(|_| format!("no answer from {server}"))?
        .map_err(|e| format!("{server}: {e}"))?;
    let reply = Message::from_vec(&reply).map_err(|e| e.to_string())?;
    if reply.metadata.response_code != ResponseCode::NoError {
        return Err(format!(
            "{server} answered {}",
            reply.metadata.response_code
        ));
    }
    reply
        .answers
        .iter()
        .find_map(|r| match &r.data {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .ok_or_else(|| format!("{server} gave no address"))
}

fn rand_id() -> u16 {
    (std::process::id() as u16)
        ^ (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u16)
            .unwrap_or(0))
}
