//! The HTTPS listener and request dispatch: bearer-token authentication, routing
//! ([`crate::route`]), upgrades to WebSocket or SPDY, and the plain log responses.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_util::sync::CancellationToken;

use crate::error::StreamError;
use crate::route::{self, CommandOptions, Endpoint, RouteError};
use crate::runtime::{PodRuntime, Process};
use crate::status::{command_status, error_status};
use crate::upgrade::{self, Upgrade};
use crate::{logs, portforward, spdy_command, websocket};

/// Every response body.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// The streaming server: shared by every connection.
pub struct StreamingServer {
    runtime: Arc<dyn PodRuntime>,
    token: String,
}

impl StreamingServer {
    /// A server that answers only requests bearing `Authorization: Bearer <token>`.
    pub fn new(runtime: Arc<dyn PodRuntime>, token: impl Into<String>) -> Arc<StreamingServer> {
        Arc::new(StreamingServer {
            runtime,
            token: token.into(),
        })
    }

    /// Serves HTTPS on `listener` with `tls` until `stop` is cancelled. `tls` should offer
    /// ALPN `http/1.1` (upgrades need HTTP/1.1; HTTP/2 is served for logs too).
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        tls: Arc<rustls::ServerConfig>,
        stop: CancellationToken,
    ) {
        let acceptor = TlsAcceptor::from(tls);
        loop {
            let (tcp, peer) = tokio::select! {
                () = stop.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!("streaming server accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let server = self.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
                    .await
                {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, "streaming TLS handshake: {e}");
                        return;
                    }
                    Err(_) => return,
                };
                let service = service_fn(move |req| {
                    let server = server.clone();
                    async move { Ok::<_, Infallible>(server.handle(req).await) }
                });
                let builder = auto::Builder::new(TokioExecutor::new());
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                tokio::select! {
                    res = conn => if let Err(e) = res {
                        tracing::debug!(%peer, "streaming connection: {e}");
                    },
                    () = stop.cancelled() => {}
                }
            });
        }
    }

    /// Answers one request.
    pub async fn handle(self: Arc<Self>, mut req: Request<Incoming>) -> Response<Body> {
        if !self.authenticated(&req) {
            return error(401, "Unauthorized", "Unauthorized");
        }
        let endpoint = match route::parse(req.uri().path(), req.uri().query()) {
            Ok(e) => e,
            Err(RouteError::NotFound) => return error(404, "NotFound", "404 page not found"),
            Err(RouteError::BadRequest(message)) => return error(400, "BadRequest", &message),
        };
        let kind = upgrade::requested(req.headers());
        match endpoint {
            Endpoint::ContainerLogs { target, query } => {
                if req.method() != http::Method::GET {
                    return error(
                        405,
                        "MethodNotAllowed",
                        "the server does not allow this method",
                    );
                }
                let path = match self
                    .runtime
                    .log_path(
                        &target.namespace,
                        &target.pod,
                        &target.container,
                        query.previous,
                    )
                    .await
                {
                    Ok(p) => p,
                    Err(e) => return stream_error(&e),
                };
                let (tx, rx) = mpsc::channel(16);
                tokio::spawn(logs::stream(
                    self.runtime.clone(),
                    path,
                    query,
                    Timestamp::now(),
                    tx,
                ));
                let chunks = futures::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|b| (Ok(Frame::data(b)), rx))
                });
                let mut resp = Response::new(StreamBody::new(chunks).boxed());
                resp.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                resp
            }
            Endpoint::Exec(opts) => self.command(&mut req, kind, opts, true),
            Endpoint::Attach(opts) => self.command(&mut req, kind, opts, false),
            Endpoint::PortForward { namespace, pod } => {
                let target = portforward::Target { namespace, pod };
                self.port_forward(&mut req, kind, target)
            }
        }
    }

    fn authenticated(&self, req: &Request<Incoming>) -> bool {
        let Some(value) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim);
        token.is_some_and(|t| constant_time_eq(t.as_bytes(), self.token.as_bytes()))
    }

    fn command(
        &self,
        req: &mut Request<Incoming>,
        kind: Upgrade,
        opts: CommandOptions,
        exec: bool,
    ) -> Response<Body> {
        let runtime = self.runtime.clone();
        let command = opts.command.clone();
        let status = move |outcome: &Result<i32, StreamError>| match (exec, outcome) {
            // An attach reports success whatever the container's exit code was.
            (false, Ok(_)) => command_status(&command, &Ok(0)),
            _ => command_status(&command, outcome),
        };
        let start = start_process(runtime, opts.clone(), exec);
        match kind {
            Upgrade::WebSocket => {
                let offered = upgrade::websocket_protocols(req.headers());
                let Some(protocol) =
                    upgrade::negotiate(&offered, upgrade::WEBSOCKET_COMMAND_PROTOCOLS)
                else {
                    let refusal =
                        upgrade::unsupported(&offered, upgrade::WEBSOCKET_COMMAND_PROTOCOLS);
                    return error(refusal.code, "Forbidden", &refusal.message);
                };
                let channels = websocket::Channels {
                    stdin: opts.stdin,
                    stdout: opts.stdout,
                    stderr: opts.stderr,
                    tty: opts.tty,
                    v5: protocol == "v5.channel.k8s.io",
                };
                let accepted = upgrade::accept_websocket(req.headers(), protocol);
                upgrade_with(req, accepted, move |io| async move {
                    let ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
                    websocket::serve(ws, channels, start, status).await;
                })
            }
            Upgrade::Spdy => {
                let offered = upgrade::spdy_protocols(req.headers());
                let Some(protocol) = upgrade::negotiate(&offered, upgrade::SPDY_COMMAND_PROTOCOLS)
                else {
                    let refusal = upgrade::unsupported(&offered, upgrade::SPDY_COMMAND_PROTOCOLS);
                    return error(refusal.code, "Forbidden", &refusal.message);
                };
                let want = spdy_command::Expected {
                    stdin: opts.stdin,
                    stdout: opts.stdout,
                    stderr: opts.stderr,
                    tty: opts.tty,
                };
                upgrade_with(req, upgrade::accept_spdy(protocol), move |io| async move {
                    let (conn, incoming) = kubelite_spdy::Connection::server(io);
                    spdy_command::serve(conn, incoming, want, start, status).await;
                })
            }
            Upgrade::None => error(400, "BadRequest", "Upgrade request required"),
        }
    }

    fn port_forward(
        &self,
        req: &mut Request<Incoming>,
        kind: Upgrade,
        target: portforward::Target,
    ) -> Response<Body> {
        let runtime = self.runtime.clone();
        match kind {
            Upgrade::WebSocket => {
                let offered = upgrade::websocket_protocols(req.headers());
                let supported = [upgrade::WEBSOCKET_PORT_FORWARD_PROTOCOL];
                let Some(protocol) = upgrade::negotiate(&offered, &supported) else {
                    let refusal = upgrade::unsupported(&offered, &supported);
                    return error(refusal.code, "Forbidden", &refusal.message);
                };
                let accepted = upgrade::accept_websocket(req.headers(), protocol);
                upgrade_with(req, accepted, move |io| async move {
                    let ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
                    let (conn, incoming) = kubelite_spdy::Connection::server(tunnel(ws));
                    portforward::serve(runtime, target, conn, incoming).await;
                })
            }
            Upgrade::Spdy => {
                let offered = upgrade::spdy_protocols(req.headers());
                let supported = [upgrade::SPDY_PORT_FORWARD_PROTOCOL];
                let Some(protocol) = upgrade::negotiate(&offered, &supported) else {
                    let refusal = upgrade::unsupported(&offered, &supported);
                    return error(refusal.code, "Forbidden", &refusal.message);
                };
                upgrade_with(req, upgrade::accept_spdy(protocol), move |io| async move {
                    let (conn, incoming) = kubelite_spdy::Connection::server(io);
                    portforward::serve(runtime, target, conn, incoming).await;
                })
            }
            Upgrade::None => error(400, "BadRequest", "Upgrade request required"),
        }
    }
}

/// Starts the process of an exec or attach (after the upgrade, as kubelet does).
async fn start_process(
    runtime: Arc<dyn PodRuntime>,
    opts: CommandOptions,
    exec: bool,
) -> Result<Process, StreamError> {
    let t = &opts.target;
    if exec {
        runtime
            .exec(
                &t.namespace,
                &t.pod,
                &t.container,
                opts.command.clone(),
                opts.tty,
            )
            .await
    } else {
        runtime
            .attach(&t.namespace, &t.pod, &t.container, opts.tty)
            .await
    }
}

/// Answers 101 (or the refusal) and runs `serve` on the upgraded connection.
fn upgrade_with<F, Fut>(
    req: &mut Request<Incoming>,
    accepted: Result<Response<()>, upgrade::Refusal>,
    serve: F,
) -> Response<Body>
where
    F: FnOnce(TokioIo<Upgraded>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let resp = match accepted {
        Ok(resp) => resp,
        Err(refusal) => return error(refusal.code, "BadRequest", &refusal.message),
    };
    let on_upgrade = hyper::upgrade::on(req);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => serve(TokioIo::new(upgraded)).await,
            Err(e) => tracing::debug!("streaming upgrade failed: {e}"),
        }
    });
    resp.map(|()| empty())
}

/// A WebSocket carrying a SPDY byte stream in binary messages, as one byte stream.
fn tunnel<S>(
    ws: WebSocketStream<S>,
) -> impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    use futures::{SinkExt as _, StreamExt as _, TryStreamExt as _};
    use tokio_tungstenite::tungstenite::Message;
    let (sink, stream) = ws.split();
    let incoming = stream
        .map_err(std::io::Error::other)
        .try_take_while(|m| futures::future::ready(Ok(!m.is_close())))
        .try_filter_map(|m| {
            futures::future::ready(Ok(match m {
                Message::Binary(data) => Some(data),
                _ => None,
            }))
        });
    let outgoing = sink
        .sink_map_err(std::io::Error::other)
        .with(|data: Bytes| futures::future::ready(Ok::<_, std::io::Error>(Message::Binary(data))));
    Box::pin(kubelite_spdy::message_io(
        Box::pin(incoming),
        Box::pin(outgoing),
    ))
}

fn empty() -> Body {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed()
}

fn error(code: u16, reason: &str, message: &str) -> Response<Body> {
    let body = error_status(code, reason, message).to_string();
    let mut resp = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn stream_error(e: &StreamError) -> Response<Body> {
    error(e.code(), e.reason(), &e.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
