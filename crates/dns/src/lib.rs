//! kubelite's cluster DNS: the Kubernetes DNS schema (`kubernetes/dns`
//! `docs/specification.md`, 1.1.0) answered as CoreDNS's kubernetes plugin answers it, from
//! watch caches of the API, and a caching forwarder to the node's resolvers for everything
//! else.
//!
//! Structure (watch → snapshot → answer):
//! - `watch` runs the watches of Services, EndpointSlices and Namespaces (and Pods in
//!   `pods verified` mode), slims each object on ingest (`slim`) into the caches (`state`), and
//!   after each batch of visible changes publishes a new immutable [`Records`] snapshot
//!   (`records`: indexes by name and by IP, the SOA serial) through an `ArcSwap`.
//! - [`answer`] is pure: a snapshot and a question give a reply or "forward" (`parse` reads
//!   cluster names, `reverse` reverse names).
//! - [`respond`] is the whole request path without IO: `wire` (decode, FORMERR/NOTIMP, EDNS,
//!   truncation) around `answer`. `server` is the edge: UDP and TCP sockets, `forward`
//!   (upstreams from `resolv`, with a cache), `metrics`.
//! - `kube_dns` keeps the `kube-system/kube-dns` Service and Endpoints pointing here.
//!
//! Everything with IO (`run`, `watch`, `server`, `forward`, `kube_dns`, the metrics) is behind
//! the default feature `server`; without it the crate is the pure request path (`respond`,
//! `answer`, `Records`) over hickory-proto and k8s-openapi's types, which the fuzz target in
//! `fuzz/` builds in about a minute.

mod answer;
#[cfg(feature = "server")]
mod config;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
mod forward;
#[cfg(feature = "server")]
mod kube_dns;
#[cfg(feature = "server")]
mod metrics;
#[cfg(feature = "server")]
mod metrics_server;
mod parse;
mod records;
#[cfg(feature = "server")]
mod resolv;
mod respond;
mod reverse;
#[cfg(feature = "server")]
mod server;
mod slim;
mod state;
#[cfg(feature = "server")]
mod watch;
mod wire;

pub use answer::{Question, Reply, Response, SCHEMA_VERSION, answer};
#[cfg(feature = "server")]
pub use config::{Config, Readiness, Upstream};
#[cfg(feature = "server")]
pub use error::Error;
#[cfg(feature = "server")]
pub use kube_dns::kube_dns_objects;
pub use records::{Options, PodMode, Records};
pub use respond::{Outcome, Pending, respond};
pub use wire::Transport;

#[cfg(feature = "server")]
use std::net::IpAddr;
#[cfg(feature = "server")]
use std::sync::Arc;

#[cfg(feature = "server")]
use arc_swap::ArcSwap;
#[cfg(feature = "server")]
use hickory_proto::rr::Name;

#[cfg(feature = "server")]
use crate::forward::Forwarder;
#[cfg(feature = "server")]
use crate::metrics::Metrics;
#[cfg(feature = "server")]
use crate::server::{Listeners, Shared};

/// The most UDP workers per listen address.
#[cfg(feature = "server")]
const MAX_UDP_WORKERS: usize = 4;

/// Serves DNS until `shutdown` resolves.
///
/// Binds UDP and TCP on every `config.listen` address and the metrics address first, and
/// returns an error at once if any bind fails (or the cluster domain is not a DNS name). Then
/// it answers: names outside the cluster are forwarded from the start, cluster names get
/// SERVFAIL until the caches have synced, after which `config.readiness` is set. With
/// `config.service_ip`, it also creates or updates the `kube-system/kube-dns` Service and its
/// Endpoints at `config.endpoint` (retried in the background until the API accepts them).
///
/// `client` must be allowed to list and watch Services, EndpointSlices and Namespaces (and
/// Pods in `pods verified` mode) cluster-wide, and to patch Services and Endpoints in
/// `kube-system`. Watch errors are retried with backoff and never end the run. The returned
/// future is `Send` when `shutdown` is.
#[cfg(feature = "server")]
pub async fn run(
    client: kube::Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let zone = config.cluster_domain.trim_end_matches('.');
    if zone.is_empty() || Name::from_ascii(zone).is_err() {
        return Err(Error::ClusterDomain(config.cluster_domain.clone()));
    }
    if config.listen.is_empty() {
        return Err(Error::NoListenAddress);
    }
    let listeners = Listeners::bind(&config.listen).await?;
    let metrics_listener = match config.metrics_addr {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| Error::Metrics { addr, source })?,
        ),
        None => None,
    };
    let bound = listeners.local_addrs();
    let local_ips: Vec<IpAddr> = bound
        .iter()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_unspecified())
        .collect();
    let options = Options {
        zone: zone.to_ascii_lowercase(),
        ttl: config.ttl,
        pods: config.pods,
        local_ips: local_ips.clone(),
    };

    let upstreams = match &config.upstream {
        Upstream::Servers(servers) => servers.clone(),
        Upstream::ResolvConf(path) => {
            let own: Vec<IpAddr> = local_ips.iter().copied().chain(config.service_ip).collect();
            match std::fs::read_to_string(path) {
                Ok(text) => resolv::upstreams(&text, &own),
                Err(e) => {
                    tracing::warn!("cannot read {}: {e}", path.display());
                    Vec::new()
                }
            }
        }
    };
    if upstreams.is_empty() {
        tracing::warn!("DNS has no upstream resolver: names outside the cluster get SERVFAIL");
    }

    let records = Arc::new(ArcSwap::from_pointee(Records::unsynced(&options)));
    let metrics = Arc::new(Metrics::default());
    let shared = Arc::new(Shared::new(
        records.clone(),
        Forwarder::new(upstreams, config.forward_timeout),
        metrics.clone(),
    ));
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_UDP_WORKERS);
    let mut tasks = listeners.serve(shared, workers);
    if let Some(listener) = metrics_listener {
        tasks.spawn(metrics_server::serve(listener, metrics.clone()));
    }
    if let Some(service_ip) = config.service_ip {
        let endpoint = config
            .endpoint
            .or_else(|| bound.iter().copied().find(|a| !a.ip().is_unspecified()));
        match endpoint {
            Some(endpoint) => {
                tasks.spawn(kube_dns::keep(client.clone(), service_ip, endpoint));
            }
            None => tracing::warn!(
                "DNS listens on no specific address, so the kube-dns Endpoints cannot name one"
            ),
        }
    }

    // The serial starts at the wall clock, so it still grows across restarts.
    let serial = u32::try_from(jiff::Timestamp::now().as_second()).unwrap_or_default();
    let readiness = config.readiness.clone();
    let watching = watch::run(client, options, serial, records, metrics, move || {
        readiness.set(bound)
    });
    tokio::select! {
        () = shutdown => {}
        () = watching => {}
    }
    tasks.shutdown().await;
    Ok(())
}
