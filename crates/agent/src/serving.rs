//! Runs `kubelite-streaming`'s server for the agent: HTTPS on `0.0.0.0:<kubelet_port>` with the
//! serving certificate from [`StreamingConfig`], answering only the configured bearer token.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use kubelite_streaming::StreamingServer;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::StreamingConfig;
use crate::error::{Error, Result};
use crate::streaming::AgentRuntime;

/// A rustls server configuration for `config`'s certificate, offering HTTP/2 and HTTP/1.1
/// (upgrades need HTTP/1.1).
fn tls_config(config: &StreamingConfig) -> Result<Arc<rustls::ServerConfig>> {
    let bad = |what: &str, e: &dyn std::fmt::Display| Error::Config(format!("{what}: {e}"));
    let certs = CertificateDer::pem_slice_iter(config.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("streaming certificate", &e))?;
    let key = PrivateKeyDer::from_pem_slice(config.key_pem.as_bytes())
        .map_err(|e| bad("streaming private key", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("streaming TLS", &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("streaming TLS", &e))?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(tls))
}

/// Binds `0.0.0.0:port` and serves `runtime` there until `stop` fires.
pub(crate) async fn start(
    config: &StreamingConfig,
    port: u16,
    runtime: AgentRuntime,
    stop: CancellationToken,
) -> Result<JoinHandle<()>> {
    let tls = tls_config(config)?;
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        Error::Config(format!(
            "cannot listen on {addr} for the streaming server: {e}"
        ))
    })?;
    let server = StreamingServer::new(Arc::new(runtime), config.token.clone());
    Ok(tokio::spawn(server.serve(listener, tls, stop)))
}
