//! The in-process transport: the client of the components `kubelite up` runs in its own process
//! (controllers, node agent, proxy, DNS) hands each request to [`ApiServer::handle`] directly, as
//! a `tower::Service` that kube-rs takes in place of its HTTP connector. The requests are the
//! same as from another node (same URLs, JSON bodies and bearer token, same authentication,
//! routing and handlers): only the bytes on a connection and the HTTP framing around them are
//! left out, and with them a connection task on each side and the thread hand-offs between
//! them (a request runs in the task that sent it; a watch's events are read from the server's
//! stream by the task that watches).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::http::header::{AUTHORIZATION, InvalidHeaderValue};
use ::http::{HeaderValue, Request, Response};
use futures::FutureExt as _;

use crate::ApiServer;
use crate::http::{Body, error_response};
use crate::status::ApiError;

/// Requests to `server` from the same process, authenticated by the admin token.
#[derive(Clone)]
pub struct InProcess {
    server: Arc<ApiServer>,
    authorization: HeaderValue,
}

impl InProcess {
    /// A transport to `server` whose requests carry `token` as their bearer token.
    pub fn new(server: Arc<ApiServer>, token: &str) -> Result<Self, InvalidHeaderValue> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {token}"))?;
        authorization.set_sensitive(true);
        Ok(InProcess {
            server,
            authorization,
        })
    }
}

impl<B> tower::Service<Request<B>> for InProcess
where
    B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<tower::BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        req.headers_mut()
            .insert(AUTHORIZATION, self.authorization.clone());
        let server = self.server.clone();
        Box::pin(async move {
            // A handler that panics fails its request, as on a connection (where it ends the
            // connection's task), not the component that sent it.
            let answer = AssertUnwindSafe(server.handle(req)).catch_unwind().await;
            Ok(answer.unwrap_or_else(|_| {
                error_response(&ApiError::internal("the request handler panicked"))
            }))
        })
    }
}
