//! kubelite's control-plane controllers, as kube-controller-manager and kube-scheduler run
//! them: API clients that watch the API server and act on what they see.
//!
//! - The **EndpointSlice controller** writes `<svc>-xxxxx` EndpointSlices for every Service
//!   with a selector, from the Pods it selects.
//! - The **Endpoints controller** writes the Service's same-named Endpoints.
//! - The **EndpointSlice mirroring controller** mirrors the user's Endpoints of Services
//!   without a selector into EndpointSlices.
//! - The **scheduler** binds each pending Pod to a node, or marks it unschedulable.
//! - The **node IPAM controller** gives each Node a Pod CIDR from the cluster CIDR.
//! - The **LoadBalancer controller** (k3s ServiceLB, without Pods) publishes the Ready nodes'
//!   IPs as the ingress of every LoadBalancer Service, one Service per node port.
//!
//! Structure (watch → cache → reconcile, level-triggered): `informer` runs one event loop over
//! the watches, fills the `cache` and pushes the affected keys to each controller's `queue`; a
//! controller's reconcile reads the cache, asks a pure planner (`slice_plan`, `endpoints_plan`,
//! `mirror_plan`, `schedule_plan`, `pod_cidr_plan`, `service_lb_plan`) what to change, and
//! writes the changes.
//! Reconciles never learn why they were woken; the planners do no IO and hold all the
//! behaviour, so that is where it is tested. Events are written by `recorder`, aggregated as
//! client-go's recorder does (`event`).

mod address;
mod cache;
mod change;
mod endpoint_set;
mod endpoints_controller;
mod endpoints_plan;
mod endpointslice_controller;
mod error;
mod event;
mod expectations;
#[cfg(test)]
mod fixtures;
mod informer;
mod ipam_controller;
mod key;
mod mirror_plan;
mod mirroring_controller;
mod names;
mod node_affinity;
mod pod;
mod pod_cidr_plan;
mod queue;
mod recorder;
mod repack;
mod schedule_plan;
mod scheduler;
mod service;
mod service_lb_controller;
mod service_lb_plan;
mod slice_plan;
mod slim;
mod taint;
mod wake;
mod writes;

use anyhow::{Context, bail};
use ipnet::Ipv4Net;
use k8s_openapi::api::core::v1::{Endpoints, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::ListParams;
use kube::{Api, Client};

use crate::endpoints_controller::EndpointsController;
use crate::endpointslice_controller::EndpointSliceController;
use crate::informer::{Informer, Queues};
use crate::ipam_controller::IpamController;
use crate::mirroring_controller::MirroringController;
use crate::scheduler::Scheduler;
use crate::service_lb_controller::ServiceLbController;

/// What the controllers need to know about the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The range node Pod CIDRs are taken from (`--cluster-cidr`).
    pub cluster_cidr: Ipv4Net,
    /// The prefix length of each node's Pod CIDR (upstream's `--node-cidr-mask-size`, 24).
    pub node_cidr_mask: u8,
    /// Whether the LoadBalancer controller runs (`kubelite up --disable servicelb` turns it
    /// off, and every LoadBalancer Service stays `<pending>`, as on kind).
    pub service_lb: bool,
}

/// Runs the EndpointSlice, Endpoints and EndpointSlice mirroring controllers, the scheduler,
/// the node IPAM controller and (when `config.service_lb`) the LoadBalancer controller until
/// `shutdown` resolves.
///
/// `client` must be allowed to list and watch Services, Pods, Endpoints, EndpointSlices and
/// Nodes, to create, update and delete Endpoints and EndpointSlices, to bind Pods and patch
/// their status, to patch Nodes and Service status, and to create and patch Events (the
/// cluster admin's credentials do). It fails at once if `config` is inconsistent or the client
/// cannot list those resources (wrong address, CA or token); after that, every error is retried
/// with backoff and none ends the run. The returned future is `Send` when `shutdown` is, so it
/// can be spawned.
pub async fn run(
    client: Client,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    check(&config)?;
    preflight(&client).await?;
    let (informer, cache) = Informer::new(client.clone());
    let (slices, slices_worker) = queue::queue();
    let (endpoints, endpoints_worker) = queue::queue();
    let (mirroring, mirroring_worker) = queue::queue();
    let (scheduler, scheduler_worker) = queue::queue();
    let (ipam, ipam_worker) = queue::queue();
    let (service_lb, service_lb_worker) = config.service_lb.then(queue::queue).unzip();
    let queues = Queues {
        slices,
        endpoints,
        mirroring,
        scheduler: scheduler.clone(),
        ipam,
        service_lb,
    };
    let work = async {
        tokio::join!(
            informer.run(cache.clone(), queues),
            slices_worker.run(
                &cache,
                EndpointSliceController::new(client.clone(), cache.clone())
            ),
            endpoints_worker.run(
                &cache,
                EndpointsController::new(client.clone(), cache.clone())
            ),
            mirroring_worker.run(
                &cache,
                MirroringController::new(client.clone(), cache.clone())
            ),
            scheduler_worker.run(
                &cache,
                Scheduler::new(client.clone(), cache.clone(), scheduler)
            ),
            ipam_worker.run(
                &cache,
                IpamController::new(
                    client.clone(),
                    cache.clone(),
                    config.cluster_cidr.trunc(),
                    config.node_cidr_mask
                )
            ),
            async {
                if let Some(worker) = service_lb_worker {
                    let controller = ServiceLbController::new(client.clone(), cache.clone());
                    worker.run(&cache, controller).await;
                }
            },
        )
    };
    tokio::select! {
        _ = shutdown => {}
        _ = work => {}
    }
    Ok(())
}

/// Rejects a node CIDR mask that cannot split the cluster CIDR (upstream allows at most 16 bits
/// more than the cluster CIDR's prefix).
fn check(config: &Config) -> anyhow::Result<()> {
    let cluster = config.cluster_cidr.prefix_len();
    let mask = config.node_cidr_mask;
    if mask < cluster || mask > 32 {
        bail!(
            "the node CIDR mask /{mask} does not fit in the cluster CIDR {}",
            config.cluster_cidr
        );
    }
    if mask - cluster > 16 {
        bail!(
            "the node CIDR mask /{mask} is more than 16 bits longer than the cluster CIDR {}",
            config.cluster_cidr
        );
    }
    Ok(())
}

/// Lists each watched resource once, so a misconfigured client fails loudly instead of
/// retrying forever.
async fn preflight(client: &Client) -> anyhow::Result<()> {
    let one = ListParams::default().limit(1);
    Api::<Service>::all(client.clone())
        .list(&one)
        .await
        .context("the endpoint controllers cannot list services")?;
    Api::<Pod>::all(client.clone())
        .list(&one)
        .await
        .context("the endpoint controllers cannot list pods")?;
    Api::<Endpoints>::all(client.clone())
        .list(&one)
        .await
        .context("the endpoint controllers cannot list endpoints")?;
    Api::<EndpointSlice>::all(client.clone())
        .list(&one)
        .await
        .context("the endpoint controllers cannot list endpointslices")?;
    Api::<Node>::all(client.clone())
        .list(&one)
        .await
        .context("the scheduler cannot list nodes")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_masks() {
        let cases = [
            ("10.42.0.0/16", 24, true),
            ("10.42.0.0/16", 16, true),
            ("10.42.0.0/16", 32, true),
            ("10.42.0.0/16", 15, false),
            ("10.42.0.0/16", 33, false),
            ("10.0.0.0/8", 24, true),
            ("10.0.0.0/8", 25, false),
        ];
        for (cidr, mask, ok) in cases {
            let config = Config {
                cluster_cidr: cidr.parse().unwrap(),
                node_cidr_mask: mask,
                service_lb: true,
            };
            assert_eq!(check(&config).is_ok(), ok, "{cidr} /{mask}");
        }
    }
}
