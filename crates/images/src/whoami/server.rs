//! whoami's listener and HTTP/1.1 connections (hyper), until shutdown.
//!
//! Like Go's `http.ListenAndServe(":" + port)`, the listener takes every
//! address of the (pod's) network namespace, dual-stack where IPv6 exists,
//! and accept errors are retried with a backoff from 5 ms to 1 s.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::golog;
use super::handlers::{self, App};

/// Listens on `port` of every local address.
pub(crate) async fn bind_all(port: u16) -> io::Result<TcpListener> {
    let listener = match TcpListener::bind((Ipv6Addr::UNSPECIFIED, port)).await {
        Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) => {
            TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).await
        }
        other => other,
    };
    listener.map_err(|e| {
        // Go's wording: `listen tcp :80: bind: address already in use`.
        let reason = e.to_string();
        let reason = reason.split(" (os error").next().unwrap_or(&reason);
        let mut chars = reason.chars();
        let reason: String = chars
            .next()
            .map(|c| c.to_ascii_lowercase())
            .into_iter()
            .chain(chars)
            .collect();
        io::Error::new(e.kind(), format!("listen tcp :{port}: bind: {reason}"))
    })
}

/// Serves connections from `listener` until `shutdown` resolves; open
/// connections are then dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut connections = JoinSet::new();
    let mut backoff = Duration::ZERO;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff = Duration::ZERO;
                    connections.spawn(serve_connection(stream, peer, Arc::clone(&app)));
                }
                Err(e) => {
                    backoff = (backoff * 2).clamp(Duration::from_millis(5), Duration::from_secs(1));
                    golog::log(&format!("http: Accept error: {e}; retrying in {backoff:?}"));
                    tokio::time::sleep(backoff).await;
                }
            },
        }
    }
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, app: Arc<App>) {
    let service = service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { handlers::handle(&app, peer, req).await }
    });
    // A connection ending in error (a client reset, a handler "panic") only
    // ends that connection.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
