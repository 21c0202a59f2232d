//! The listener: TLS (rustls, ALPN h2 and http/1.1) on TCP; HTTP with upgrades, one task per
//! connection, until shutdown. The components in the same process use [`crate::InProcess`]
//! instead; both authenticate every request the same way (bearer token).

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::ApiServer;

/// Serves HTTPS on `listener` until `stop` is cancelled.
pub async fn serve(
    server: Arc<ApiServer>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    stop: CancellationToken,
) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let server = server.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, "TLS handshake: {e}");
                        return;
                    }
                    Err(_) => return,
                };
            serve_connection(server, tls, stop, &peer.to_string()).await;
        });
    }
}

/// Serves one connection, HTTP/1.1 or HTTP/2 with upgrades, until it ends or `stop`.
async fn serve_connection<I>(server: Arc<ApiServer>, io: I, stop: CancellationToken, peer: &str)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let server = server.clone();
        async move { Ok::<_, std::convert::Infallible>(server.handle(req).await) }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::select! {
        res = conn => {
            if let Err(e) = res {
                tracing::debug!(%peer, "connection: {e}");
            }
        }
        _ = stop.cancelled() => {}
    }
}
