//! The API client of the components `up` runs in its own process (controllers, agent, proxy,
//! DNS): the same kube-rs `Client` and the same API as from another node, over the API server's
//! Unix socket in the data dir instead of TLS. kube-rs speaks HTTP/1.1 only, so a burst of
//! concurrent requests (100 Pods' bindings, status writes, Events) opens as many connections;
//! over TLS each cost a handshake on both sides.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kube::client::ConfigExt as _;
use tokio::net::UnixStream;
use tower::{BoxError, ServiceBuilder};

/// The socket's name in the data dir.
pub const SOCKET: &str = "api.sock";

/// A client of the API server on the Unix socket at `socket`, authenticated by `token`.
pub fn client(socket: &Path, token: &str) -> anyhow::Result<kube::Client> {
    let mut config = kube::Config::new("http://localhost".parse()?);
    config.auth_info.token = Some(token.to_owned().into());
    let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build(UnixConnector(Arc::new(socket.to_owned())));
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .map_err(BoxError::from)
        .service(http);
    Ok(kube::Client::new(service, config.default_namespace))
}

/// Connects every request to the same Unix socket, whatever its URI.
#[derive(Clone)]
struct UnixConnector(Arc<PathBuf>);

impl tower::Service<Uri> for UnixConnector {
    type Response = UnixIo;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<UnixIo>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let path = self.0.clone();
        Box::pin(async move { Ok(UnixIo(TokioIo::new(UnixStream::connect(&*path).await?))) })
    }
}

/// A connection on the socket, as hyper's client wants it.
struct UnixIo(TokioIo<UnixStream>);

impl Connection for UnixIo {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl Read for UnixIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl Write for UnixIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
