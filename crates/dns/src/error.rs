//! The crate's one error type. Every variant is a configuration or environment problem found
//! at startup, so none is retryable: the caller reports it. Once `run` is serving, failures
//! (watch errors, an unreachable upstream, a failed write of the kube-dns objects) are logged
//! and retried, and never end the run.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen for DNS on {addr} ({transport}): {source}")]
    Bind {
        addr: SocketAddr,
        transport: &'static str,
        source: std::io::Error,
    },
    #[error("cannot serve DNS metrics on {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the cluster domain {0:?} is not a DNS name")]
    ClusterDomain(String),
    #[error("no address to listen on for DNS")]
    NoListenAddress,
}
