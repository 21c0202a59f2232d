//! kubelite's kube-proxy in nftables mode: it watches Services, EndpointSlices and its Node,
//! and programs one nftables table (`ip kubelite`) so that ClusterIPs, NodePorts,
//! LoadBalancer IPs (and LoadBalancer ports on 127.0.0.1) and externalIPs reach the Services'
//! endpoints. README.md has the hook diagram and what other components may rely on.
//!
//! The pipeline (kube-proxy's, see `pkg/proxy/nftables/proxier.go`):
//! `watch` (kube-runtime watches, slimmed on ingest) → `tracker` ({previous, current} per
//! Service, no-ops dropped) → [`Snapshot`] → [`plan`] (pure) → [`Ruleset`] → `transaction`
//! (full or partial, pure) → [`render`] (nft text) → `nft` (one `nft -f -` per sync). `sync`
//! holds what was applied (with `elements` and `shared` counting who claims each element and
//! shared chain); `runner` decides when to sync. `conntrack` flushes stale UDP flows
//! and `metrics` serves Prometheus text.

pub mod config;
pub mod conntrack;
pub mod elements;
pub mod error;
pub mod metrics;
pub mod model;
pub mod names;
pub mod nft;
pub mod node;
pub mod plan;
pub mod render;
mod runner;
pub mod shared;
pub mod snapshot;
mod sync;
mod sysctl;
pub mod tracker;
pub mod transaction;
mod watch;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod trace;

use kube::api::ListParams;
use kube::{Api, Client};

pub use config::Config;
pub use error::Error;
pub use model::Ruleset;
pub use node::NodeInfo;
pub use plan::plan;
pub use render::render;
pub use snapshot::Snapshot;

/// Runs the proxy until `shutdown` resolves, then removes its nftables table.
///
/// `client` must be allowed to list and watch Services, EndpointSlices and Nodes. The proxy
/// needs root in the network namespace it programs (nftables, `route_localnet`, conntrack),
/// and `nft` (≥ 1.0) and `conntrack` on the host. It fails at once if the client cannot list
/// Services and EndpointSlices or the metrics address cannot be bound; after that every
/// failure is logged and retried, and nothing is written until Services and EndpointSlices
/// have both been listed. The returned future is `Send` when `shutdown` is.
pub async fn run(
    client: Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let one = ListParams::default().limit(1);
    Api::<k8s_openapi::api::core::v1::Service>::all(client.clone())
        .list(&one)
        .await
        .map_err(|source| Error::Api {
            what: "the proxy cannot list services",
            source,
        })?;
    Api::<k8s_openapi::api::discovery::v1::EndpointSlice>::all(client.clone())
        .list(&one)
        .await
        .map_err(|source| Error::Api {
            what: "the proxy cannot list endpointslices",
            source,
        })?;
    runner::run(client, config, shutdown).await
}
