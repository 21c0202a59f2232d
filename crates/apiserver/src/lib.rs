//! kubelite's Kubernetes API server: the REST API kubectl, kube-rs and client-go speak, over
//! HTTPS with bearer-token auth, backed by a [`kubelite_store::Store`].
//!
//! Requests flow `server` (TLS, HTTP/1.1 and HTTP/2), or [`InProcess`] for the components in the
//! same process, → [`ApiServer::handle`] (auth, routing) →
//! `handlers`/`patch`/`watch` (verbs and representations) → `objects` (API semantics over the
//! store). Every error leaves as a `Status` (`status`).

mod alloc;
mod binding;
pub mod bootstrap;
mod decode;
mod discovery;
mod handlers;
mod http;
mod in_process;
mod lifecycle;
mod meta;
mod negotiate;
mod objects;
mod patch;
pub mod pki;
mod priority;
mod proxy;
mod rawjson;
mod route;
mod selection;
mod server;
mod service_alloc;
mod service_type;
mod status;
mod strategy;
mod watch;

use std::net::Ipv4Addr;
use std::sync::Arc;

use ::http::{Request, Response, header};
use http_body_util::BodyExt as _;
use ipnet::Ipv4Net;
use kubelite_store::Store;
use tokio_util::sync::CancellationToken;

use crate::alloc::{IpAllocator, PortAllocator};
use crate::http::{Body, RequestBody, bytes_response, error_response, json_response};
use crate::objects::Objects;
use crate::route::Route;
use crate::service_alloc::ServiceAllocator;
use crate::status::ApiError;

pub use in_process::InProcess;
pub use server::serve;

/// How the API server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// Service ClusterIPs come from here; the first is the `kubernetes` Service's, the tenth is
    /// kept for cluster DNS.
    pub service_cidr: Ipv4Net,
    pub node_port_range: (u16, u16),
    /// The address and port the `kubernetes` Service's endpoints name.
    pub advertise_address: Ipv4Addr,
    pub port: u16,
    /// The bearer token that authenticates the cluster admin.
    pub admin_token: String,
}

/// The running API server's state, shared by every request.
pub struct ApiServer {
    objects: Objects,
    config: Config,
    /// TLS for dialing node agents; set by [`ApiServer::trust_agent_ca`].
    agent_tls: std::sync::OnceLock<Arc<rustls::ClientConfig>>,
}

impl ApiServer {
    /// Opens the API over `store`: restores the allocators from the stored Services and creates
    /// what every cluster has (system namespaces, the `kubernetes` Service).
    pub async fn new(store: Arc<dyn Store>, config: Config) -> anyhow::Result<Arc<ApiServer>> {
        let dns_ip = IpAllocator::new(config.service_cidr, &[]).nth(10);
        let services = ServiceAllocator::new(
            IpAllocator::new(config.service_cidr, &[dns_ip]),
            PortAllocator::new(config.node_port_range.0, config.node_port_range.1),
        );
        let objects = Objects::new(store, services);
        let svc = kubelite_api::resources::lookup("", "v1", "services").expect("services served");
        let (stored, _) = objects
            .list_objects(svc, None, None)
            .await
            .map_err(|e| anyhow::anyhow!("reading services: {e}"))?;
        for s in &stored {
            objects.services.restore(s);
        }
        bootstrap::bootstrap(&objects, config.advertise_address, config.port)
            .await
            .map_err(|e| anyhow::anyhow!("bootstrapping the cluster: {e}"))?;
        Ok(Arc::new(ApiServer {
            objects,
            config,
            agent_tls: std::sync::OnceLock::new(),
        }))
    }

    /// Points the `kubernetes` Service's endpoints at `ip`, the address Pods reach this server
    /// on (kube-apiserver's advertise address); writes nothing when they already do.
    pub async fn advertise(&self, ip: Ipv4Addr) -> anyhow::Result<()> {
        bootstrap::reconcile_endpoints(&self.objects, ip, self.config.port)
            .await
            .map_err(|e| anyhow::anyhow!("updating the kubernetes endpoints: {e}"))
    }

    /// Runs the controllers that live beside the API server until `stop`.
    pub fn spawn_controllers(self: &Arc<Self>, stop: CancellationToken) {
        tokio::spawn(lifecycle::run(self.clone(), stop));
    }

    fn authenticated(&self, req: &Request<RequestBody>) -> bool {
        let Some(value) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        match value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        {
            Some(token) => {
                constant_time_eq(token.trim().as_bytes(), self.config.admin_token.as_bytes())
            }
            None => false,
        }
    }

    /// Answers one request.
    pub async fn handle<B>(self: Arc<Self>, req: Request<B>) -> Response<Body>
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<tower::BoxError>,
    {
        self.handle_boxed(req.map(|body| {
            body.map_err(|e| std::io::Error::other(e.into()))
                .boxed_unsync()
        }))
        .await
    }

    async fn handle_boxed(self: Arc<Self>, req: Request<RequestBody>) -> Response<Body> {
        let route = route::route(req.uri().path());
        let public = matches!(route, Route::Version | Route::Health(_));
        if !public && !self.authenticated(&req) {
            crate::http::drain(req.into_body()).await;
            return error_response(&ApiError::unauthorized());
        }
        if priority::is_best_effort(&route, req.method())
            && let Some(low) = priority::low_priority_runtime()
        {
            return match low.spawn(self.answer(req, route)).await {
                Ok(resp) => resp,
                Err(e) => error_response(&ApiError::internal(e)),
            };
        }
        self.answer(req, route).await
    }

    /// Answers an authenticated request.
    async fn answer(self: Arc<Self>, req: Request<RequestBody>, route: Route) -> Response<Body> {
        let method = req.method().clone();
        let uri = req.uri().clone();
        let result = self.dispatch(req, route).await;
        match result {
            Ok(resp) => {
                tracing::debug!(%method, %uri, status = resp.status().as_u16(), "request");
                resp
            }
            Err(e) => {
                tracing::debug!(%method, %uri, status = e.code, reason = e.reason, "request failed: {}", e.message);
                error_response(&e)
            }
        }
    }

    async fn dispatch(
        self: Arc<Self>,
        req: Request<RequestBody>,
        route: Route,
    ) -> Result<Response<Body>, ApiError> {
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        if !matches!(route, Route::Resource(_))
            && req.method() != ::http::Method::GET
            && req.method() != ::http::Method::HEAD
        {
            crate::http::drain(req.into_body()).await;
            return Err(ApiError::method_not_allowed());
        }
        match route {
            Route::Resource(path) => handlers::handle(self, req, path).await,
            Route::Version => Ok(json_response(200, &discovery::version())),
            Route::Health(_) => Ok(bytes_response(200, "text/plain; charset=utf-8", "ok")),
            Route::CoreVersions | Route::Groups => {
                let core = route == Route::CoreVersions;
                match negotiate::aggregated_discovery(accept.as_deref()) {
                    Some(v) => Ok(bytes_response(
                        200,
                        &format!(
                            "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"
                        ),
                        serde_json::to_vec(&discovery::aggregated(core, v)).unwrap_or_default(),
                    )),
                    None if core => Ok(json_response(200, &discovery::core_versions())),
                    None => Ok(json_response(200, &discovery::groups())),
                }
            }
            Route::Group(g) => discovery::group(&g)
                .map(|d| json_response(200, &d))
                .ok_or_else(ApiError::no_route),
            Route::ResourceList { group, version } => discovery::resource_list(&group, &version)
                .map(|d| json_response(200, &d))
                .ok_or_else(ApiError::no_route),
            Route::OpenApiV3Index => Ok(bytes_response(
                200,
                "application/json",
                kubelite_openapi::v3_index_bytes(),
            )),
            Route::OpenApiV3(path) => {
                let bytes =
                    kubelite_openapi::v3_document_bytes(&path).ok_or_else(ApiError::no_route)?;
                let mut resp = bytes_response(200, "application/json", bytes);
                if let Some(hash) = kubelite_openapi::v3_hash(&path)
                    && let Ok(v) = format!("\"{hash}\"").parse()
                {
                    resp.headers_mut().insert(header::ETAG, v);
                }
                Ok(resp)
            }
            Route::OpenApiV2 => {
                // kubectl before 1.29 reads only the protobuf form.
                let accept = accept.unwrap_or_default();
                if accept.contains("protobuf") && !accept.contains("application/json") {
                    Ok(bytes_response(
                        200,
                        kubelite_openapi::V2_PROTOBUF_CONTENT_TYPE,
                        kubelite_openapi::v2_document_protobuf(),
                    ))
                } else {
                    Ok(bytes_response(
                        200,
                        "application/json",
                        kubelite_openapi::v2_document_bytes(),
                    ))
                }
            }
            Route::NotFound => Err(ApiError::no_route()),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
