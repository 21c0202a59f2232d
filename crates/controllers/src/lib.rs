//! kubelite's endpoint controllers, as kube-controller-manager runs them: API clients that
//! watch the API server and keep the endpoints of Services up to date.
//!
//! - The **EndpointSlice controller** writes `<svc>-xxxxx` EndpointSlices for every Service
//!   with a selector, from the Pods it selects.
//! - The **Endpoints controller** writes the Service's same-named Endpoints.
//! - The **EndpointSlice mirroring controller** mirrors the user's Endpoints of Services
//!   without a selector into EndpointSlices.
//!
//! Structure (watch → cache → reconcile, level-triggered): `informer` runs one event loop over
//! the watches, fills the `cache` and pushes the affected `namespace/name` keys to each
//! controller's `queue`; a controller's reconcile reads the cache, asks a pure planner
//! (`slice_plan`, `endpoints_plan`, `mirror_plan`) what to change, and writes the changes
//! (`writes`). Reconciles never learn why they were woken; the planners do no IO and hold all
//! the behaviour, so that is where it is tested.

mod address;
mod cache;
mod change;
mod endpoint_set;
mod endpoints_controller;
mod endpoints_plan;
mod endpointslice_controller;
mod error;
mod expectations;
#[cfg(test)]
mod fixtures;
mod informer;
mod key;
mod mirror_plan;
mod mirroring_controller;
mod names;
mod pod;
mod queue;
mod repack;
mod service;
mod slice_plan;
mod writes;

use anyhow::Context;
use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::ListParams;
use kube::{Api, Client};

use crate::endpoints_controller::EndpointsController;
use crate::endpointslice_controller::EndpointSliceController;
use crate::informer::{Informer, Queues};
use crate::mirroring_controller::MirroringController;

/// Runs the EndpointSlice, Endpoints and EndpointSlice mirroring controllers until `shutdown`
/// resolves.
///
/// `client` must be allowed to list and watch Services, Pods, Endpoints and EndpointSlices in
/// all namespaces, and to create, update and delete Endpoints and EndpointSlices (the cluster
/// admin's credentials do). It fails at once if the client cannot list those resources (wrong
/// address, CA or token); after that, every error is retried with backoff and none ends the run.
/// The returned future is `Send` when `shutdown` is, so it can be spawned.
pub async fn run(client: Client, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    preflight(&client).await?;
    let (informer, cache) = Informer::new(client.clone());
    let (slices, slices_worker) = queue::queue();
    let (endpoints, endpoints_worker) = queue::queue();
    let (mirroring, mirroring_worker) = queue::queue();
    let queues = Queues {
        slices,
        endpoints,
        mirroring,
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
        )
    };
    tokio::select! {
        _ = shutdown => {}
        _ = work => {}
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
    Ok(())
}
