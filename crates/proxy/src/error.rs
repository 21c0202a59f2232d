//! The crate's one error type.

use std::net::SocketAddr;

/// What can stop the proxy. `run` returns only the variants that make running pointless
/// (`Api` before the first list, `Metrics` when the address cannot be bound); a failed `nft`
/// or `conntrack` run during syncs is logged, counted and retried, never returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API server refused or could not be reached at startup. Retryable after fixing the
    /// client's address or credentials.
    #[error("{what}: {source}")]
    Api {
        what: &'static str,
        #[source]
        source: kube::Error,
    },
    /// The metrics address could not be bound. Not retryable without another address.
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// A command (`nft`, `conntrack`) could not be run or failed. Retryable.
    #[error("{command}: {message}")]
    Command {
        command: &'static str,
        message: String,
    },
    /// A sysctl could not be written. Retryable.
    #[error("cannot set {key}: {source}")]
    Sysctl {
        key: &'static str,
        #[source]
        source: std::io::Error,
    },
}
