//! A Pod's streaming subresources — `exec`, `attach`, `portforward` and `log` — proxied to the
//! node agent that runs it, as kube-apiserver proxies them to the kubelet: the container is
//! resolved and checked here, the agent is found through the Pod's Node
//! (`status.addresses` and `status.daemonEndpoints.kubeletEndpoint.Port`), and the request is
//! forwarded over HTTPS with the admin token. Upgrades (WebSocket, SPDY) are forwarded too:
//! once both sides switched protocols the bytes are copied both ways, so the client talks to
//! the agent's streaming server unchanged.
//!
//! The agent's certificate must chain to the CA given to [`ApiServer::trust_agent_ca`]; its
//! names are not checked (a node's address is not known when its certificate is issued).

use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::{BodyExt as _, Empty};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use kubelite_api::resources::ResourceInfo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::ApiServer;
use crate::http::{Body, Query, bytes_response};
use crate::status::ApiError;

/// The kubelet's default port, used when a Node does not advertise one.
const DEFAULT_AGENT_PORT: u16 = 10250;
/// How long dialing the agent (TCP and TLS) may take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(10);

impl ApiServer {
    /// Trusts node agents whose serving certificate is signed by the CA in `ca_pem`. Until
    /// this is called, streaming subresources fail with an internal error.
    pub fn trust_agent_ca(&self, ca_pem: &str) -> anyhow::Result<()> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert?)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(CaOnly(webpki)))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        self.agent_tls
            .set(Arc::new(config))
            .map_err(|_| anyhow::anyhow!("the agent CA was already set"))
    }
}

/// Verifies the chain to the CA but accepts any name in the certificate.
#[derive(Debug)]
struct CaOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for CaOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The parts of the client's request the proxy needs.
pub struct Incoming {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    /// The client's side of an upgrade, if the request asked for one.
    pub on_upgrade: Option<OnUpgrade>,
}

/// Serves `pods/<name>/<subresource>` for a streaming subresource.
pub async fn pod_subresource(
    server: &Arc<ApiServer>,
    pods: &ResourceInfo,
    namespace: &str,
    name: &str,
    subresource: &str,
    req: Incoming,
) -> Result<Response<Body>, ApiError> {
    let pod = server.objects.get(pods, Some(namespace), name).await?;
    let query = Query::parse(req.uri.query());
    let container = match subresource {
        "portforward" => None,
        _ => Some(resolve_container(
            &pod,
            name,
            query.get("container"),
            subresource == "log",
        )?),
    };
    let node_name = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if node_name.is_empty() {
        // kube-apiserver answers an empty log for a Pod no node runs yet.
        if subresource == "log" {
            return Ok(bytes_response(200, "text/plain", Bytes::new()));
        }
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let nodes = kubelite_api::resources::lookup("", "v1", "nodes")
        .ok_or_else(|| ApiError::internal("nodes are not served"))?;
    let node = server.objects.get(nodes, None, node_name).await?;
    let (ip, port) = agent_address(&node)
        .ok_or_else(|| ApiError::internal(format!("node {node_name} has no usable address")))?;
    let path = agent_path(namespace, name, subresource, container.as_deref());
    let path_and_query = match req.uri.query() {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path,
    };
    let tls = server.agent_tls.get().cloned().ok_or_else(|| {
        ApiError::internal("no certificate authority is configured for node agents")
    })?;
    forward(
        tls,
        ip,
        port,
        &server.config.admin_token,
        &path_and_query,
        req,
    )
    .await
}

/// The container a request addresses, defaulted and checked as kube-apiserver does.
fn resolve_container(
    pod: &Value,
    pod_name: &str,
    requested: Option<&str>,
    logs: bool,
) -> Result<String, ApiError> {
    let names = |field: &str| -> Vec<String> {
        pod.pointer(&format!("/spec/{field}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect()
    };
    let containers = names("containers");
    let init = names("initContainers");
    let ephemeral = names("ephemeralContainers");
    match requested.filter(|c| !c.is_empty()) {
        Some(c) => {
            if containers
                .iter()
                .chain(&init)
                .chain(&ephemeral)
                .any(|n| n == c)
            {
                Ok(c.to_owned())
            } else {
                Err(ApiError::bad_request(format!(
                    "container {c} is not valid for pod {pod_name}"
                )))
            }
        }
        None => match containers.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}"
            ))),
            _ if logs => {
                let all: Vec<String> = init
                    .iter()
                    .chain(&containers)
                    .chain(&ephemeral)
                    .cloned()
                    .collect();
                Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    all.join(" ")
                )))
            }
            _ => {
                let mut message = format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    containers.join(" ")
                );
                if !init.is_empty() {
                    message.push_str(&format!(
                        " or one of the init containers: [{}]",
                        init.join(" ")
                    ));
                }
                Err(ApiError::bad_request(message))
            }
        },
    }
}

/// The agent's address: the Node's InternalIP (else ExternalIP) and its advertised port.
fn agent_address(node: &Value) -> Option<(IpAddr, u16)> {
    let addresses = node.pointer("/status/addresses")?.as_array()?;
    let of_type = |t: &str| {
        addresses
            .iter()
            .filter(|a| a.get("type").and_then(Value::as_str) == Some(t))
            .find_map(|a| a.get("address")?.as_str()?.parse::<IpAddr>().ok())
    };
    let ip = of_type("InternalIP").or_else(|| of_type("ExternalIP"))?;
    let port = node
        .pointer("/status/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0)
        .unwrap_or(DEFAULT_AGENT_PORT);
    Some((ip, port))
}

/// The agent's URL path for a subresource (kubelet's paths).
fn agent_path(namespace: &str, pod: &str, subresource: &str, container: Option<&str>) -> String {
    let container = container.unwrap_or_default();
    match subresource {
        "exec" => format!("/exec/{namespace}/{pod}/{container}"),
        "attach" => format!("/attach/{namespace}/{pod}/{container}"),
        "portforward" => format!("/portForward/{namespace}/{pod}"),
        _ => format!("/containerLogs/{namespace}/{pod}/{container}"),
    }
}

/// Headers that describe the client's connection to us, not the request.
fn hop_by_hop(name: &header::HeaderName, upgrading: bool) -> bool {
    let connection_level = [
        header::HOST,
        header::AUTHORIZATION,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::TE,
        header::TRAILER,
        header::PROXY_AUTHORIZATION,
    ];
    if connection_level.contains(name) || name.as_str() == "keep-alive" {
        return true;
    }
    !upgrading && (name == header::CONNECTION || name == header::UPGRADE)
}

async fn forward(
    tls: Arc<rustls::ClientConfig>,
    ip: IpAddr,
    port: u16,
    token: &str,
    path_and_query: &str,
    mut req: Incoming,
) -> Result<Response<Body>, ApiError> {
    let dial_error = |e: &dyn std::fmt::Display| {
        ApiError::new(500, "InternalError", format!("error dialing backend: {e}"))
    };
    let upgrading = req.headers.contains_key(header::UPGRADE) && req.on_upgrade.is_some();
    let dial = async {
        let tcp = TcpStream::connect((ip, port)).await?;
        let _ = tcp.set_nodelay(true);
        TlsConnector::from(tls)
            .connect(ServerName::IpAddress(ip.into()), tcp)
            .await
    };
    let stream = match tokio::time::timeout(DIAL_TIMEOUT, dial).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(dial_error(&e)),
        Err(_) => return Err(dial_error(&format!("dial tcp {ip}:{port}: i/o timeout"))),
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| dial_error(&e))?;
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!("agent connection: {e}");
        }
    });

    let mut out = Request::builder()
        .method(req.method.clone())
        .uri(path_and_query)
        .body(Empty::<Bytes>::new())
        .map_err(ApiError::internal)?;
    for (name, value) in &req.headers {
        if !hop_by_hop(name, upgrading) {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    let host = match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    };
    let headers = out.headers_mut();
    headers.insert(header::HOST, header_value(&host)?);
    headers.insert(
        header::AUTHORIZATION,
        header_value(&format!("Bearer {token}"))?,
    );

    let mut resp = sender.send_request(out).await.map_err(|e| dial_error(&e))?;
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        let Some(client_side) = req.on_upgrade.take() else {
            return Err(ApiError::internal("the agent switched protocols unasked"));
        };
        let agent_side = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            match tokio::try_join!(client_side, agent_side) {
                Ok((client, agent)) => {
                    let mut client = TokioIo::new(client);
                    let mut agent = TokioIo::new(agent);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut agent).await;
                }
                Err(e) => tracing::debug!("streaming upgrade: {e}"),
            }
        });
        let (parts, _) = resp.into_parts();
        return Ok(Response::from_parts(parts, crate::http::full(Bytes::new())));
    }
    let (mut parts, body) = resp.into_parts();
    for name in [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::CONTENT_LENGTH,
    ] {
        parts.headers.remove(name);
    }
    Ok(Response::from_parts(
        parts,
        body.map_err(io::Error::other).boxed(),
    ))
}

fn header_value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod() -> Value {
        json!({"spec": {
            "initContainers": [{"name": "setup"}],
            "containers": [{"name": "a"}, {"name": "b"}],
        }})
    }

    #[test]
    fn container_resolution() {
        let one = json!({"spec": {"containers": [{"name": "app"}]}});
        let none = json!({"spec": {"containers": []}});
        type Case<'a> = (&'a Value, Option<&'a str>, bool, Result<&'a str, &'a str>);
        let cases: &[Case] = &[
            (&one, None, false, Ok("app")),
            (&one, Some(""), true, Ok("app")),
            (&pod(), Some("b"), false, Ok("b")),
            (&pod(), Some("setup"), true, Ok("setup")),
            (
                &one,
                Some("nope"),
                false,
                Err("container nope is not valid for pod x"),
            ),
            (
                &pod(),
                None,
                false,
                Err(
                    "a container name must be specified for pod x, choose one of: [a b] or one of the init containers: [setup]",
                ),
            ),
            (
                &pod(),
                None,
                true,
                Err("a container name must be specified for pod x, choose one of: [setup a b]"),
            ),
            (
                &none,
                None,
                false,
                Err("a container name must be specified for pod x"),
            ),
        ];
        for (pod, requested, logs, want) in cases {
            let got = resolve_container(pod, "x", *requested, *logs).map_err(|e| e.message.clone());
            assert_eq!(
                got.as_deref().map_err(String::as_str),
                *want,
                "{requested:?} logs={logs}"
            );
        }
    }

    #[test]
    fn agent_addresses() {
        let node = json!({"status": {
            "addresses": [{"type": "Hostname", "address": "n1"}, {"type": "InternalIP", "address": "10.0.0.5"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        }});
        assert_eq!(
            agent_address(&node),
            Some(("10.0.0.5".parse().unwrap(), 10250))
        );
        let no_port =
            json!({"status": {"addresses": [{"type": "ExternalIP", "address": "1.2.3.4"}]}});
        assert_eq!(
            agent_address(&no_port),
            Some(("1.2.3.4".parse().unwrap(), 10250))
        );
        assert_eq!(agent_address(&json!({})), None);
    }

    #[test]
    fn agent_paths() {
        let cases = [
            ("exec", Some("c"), "/exec/ns/p/c"),
            ("attach", Some("c"), "/attach/ns/p/c"),
            ("portforward", None, "/portForward/ns/p"),
            ("log", Some("c"), "/containerLogs/ns/p/c"),
        ];
        for (sub, container, want) in cases {
            assert_eq!(agent_path("ns", "p", sub, container), want);
        }
    }
}
