//! Test fixtures: a [`MockRuntime`] whose execs are real `sh` processes, a TLS streaming
//! server on a loopback port, and client helpers for plain HTTP, WebSocket and SPDY.

#![allow(dead_code)] // Each test binary uses a different subset of the helpers.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use kubelite_spdy::{Frame, FrameDecoder, FrameEncoder, Headers, SynStream};
use kubelite_streaming::{PodRuntime, Process, ProcessControl, StreamError, StreamingServer};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio_rustls::TlsConnector;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "s3cret";
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A runtime whose execs run `sh` on the test host and whose ports are loopback ports.
#[derive(Default)]
pub struct MockRuntime {
    pub resizes: Arc<Mutex<Vec<(u16, u16)>>>,
    pub log_dir: PathBuf,
    pub log_active: AtomicBool,
}

struct ChildControl {
    child: Child,
    resizes: Arc<Mutex<Vec<(u16, u16)>>>,
}

#[async_trait]
impl ProcessControl for ChildControl {
    fn resize(&self, width: u16, height: u16) -> std::io::Result<()> {
        self.resizes.lock().unwrap().push((width, height));
        Ok(())
    }

    async fn wait(&mut self) -> Result<i32, StreamError> {
        let status = self
            .child
            .wait()
            .await
            .map_err(|e| StreamError::Internal(e.to_string()))?;
        Ok(status.code().unwrap_or(1))
    }
}

#[async_trait]
impl PodRuntime for MockRuntime {
    async fn exec(
        &self,
        _namespace: &str,
        pod: &str,
        _container: &str,
        command: Vec<String>,
        tty: bool,
    ) -> Result<Process, StreamError> {
        if pod == "missing" {
            return Err(StreamError::exec_failed(
                "exec: \"nope\": executable file not found in $PATH",
            ));
        }
        let mut child = Command::new(&command[0])
            .args(&command[1..])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| StreamError::Internal(e.to_string()))?;
        let stdin = child.stdin.take().map(|s| Box::new(s) as _);
        let stdout = child.stdout.take().map(|s| Box::new(s) as _);
        let stderr = child.stderr.take().map(|s| Box::new(s) as _);
        Ok(Process {
            stdin,
            stdout,
            stderr: if tty { None } else { stderr },
            control: Box::new(ChildControl {
                child,
                resizes: self.resizes.clone(),
            }),
        })
    }

    async fn attach(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        tty: bool,
    ) -> Result<Process, StreamError> {
        // The "container" prints a line and exits 3; attach still reports success.
        let cmd = vec!["sh".into(), "-c".into(), "echo attached; exit 3".into()];
        self.exec(namespace, pod, container, cmd, tty).await
    }

    async fn port_forward(
        &self,
        _namespace: &str,
        _pod: &str,
        port: u16,
    ) -> Result<TcpStream, StreamError> {
        TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| StreamError::Internal(format!("dial tcp4 127.0.0.1:{port}: {e}")))
    }

    async fn log_path(
        &self,
        _namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<PathBuf, StreamError> {
        if previous {
            return Err(StreamError::BadRequest(format!(
                "previous terminated container \"{container}\" in pod \"{pod}\" not found"
            )));
        }
        Ok(self.log_dir.join(format!("{pod}_{container}.log")))
    }

    async fn log_active(&self, _path: &Path) -> bool {
        self.log_active.load(Ordering::SeqCst)
    }
}

/// A running streaming server and how to reach it.
pub struct Fixture {
    pub runtime: Arc<MockRuntime>,
    pub port: u16,
    pub connector: TlsConnector,
    pub stop: CancellationToken,
    pub _dir: tempfile::TempDir,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub async fn start() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Arc::new(MockRuntime {
        log_dir: dir.path().to_owned(),
        ..MockRuntime::default()
    });
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert_der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server_tls = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .unwrap();
    server_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der).unwrap();
    let client_tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = CancellationToken::new();
    let server = StreamingServer::new(runtime.clone(), TOKEN);
    tokio::spawn(server.serve(listener, Arc::new(server_tls), stop.clone()));
    Fixture {
        runtime,
        port,
        connector: TlsConnector::from(Arc::new(client_tls)),
        stop,
        _dir: dir,
    }
}

impl Fixture {
    /// Sends one request on a fresh connection.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Response<Incoming> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let tls = self
            .connector
            .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
            .await
            .unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .unwrap();
        tokio::spawn(conn.with_upgrades());
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        sender
            .send_request(req.body(Empty::<Bytes>::new()).unwrap())
            .await
            .unwrap()
    }

    /// GETs `path` with the token and returns status and body.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let auth = format!("Bearer {TOKEN}");
        let resp = self.request("GET", path, &[("authorization", &auth)]).await;
        let status = resp.status();
        let body = tokio::time::timeout(TIMEOUT, resp.into_body().collect())
            .await
            .expect("body timed out")
            .unwrap()
            .to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    /// Upgrades `path` and returns the raw upgraded connection and the 101 response headers.
    pub async fn upgrade(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (TokioIo<hyper::upgrade::Upgraded>, http::HeaderMap) {
        let auth = format!("Bearer {TOKEN}");
        let mut all = vec![("authorization", auth.as_str()), ("connection", "Upgrade")];
        all.extend_from_slice(headers);
        let mut resp = self.request(method, path, &all).await;
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        let headers = resp.headers().clone();
        let io = hyper::upgrade::on(&mut resp).await.unwrap();
        (TokioIo::new(io), headers)
    }

    /// A WebSocket client on `path` offering `protocol`.
    pub async fn websocket(
        &self,
        path: &str,
        protocol: &str,
    ) -> tokio_tungstenite::WebSocketStream<TokioIo<hyper::upgrade::Upgraded>> {
        let (io, headers) = self
            .upgrade(
                "GET",
                path,
                &[
                    ("upgrade", "websocket"),
                    ("sec-websocket-version", "13"),
                    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
                    ("sec-websocket-protocol", protocol),
                ],
            )
            .await;
        assert_eq!(headers["sec-websocket-protocol"], protocol);
        tokio_tungstenite::WebSocketStream::from_raw_socket(
            io,
            tokio_tungstenite::tungstenite::protocol::Role::Client,
            None,
        )
        .await
    }
}

/// The client side of a SPDY connection over any byte stream, as kubectl drives it.
pub struct SpdyClient<T> {
    io: T,
    encoder: FrameEncoder,
    decoder: FrameDecoder,
}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> SpdyClient<T> {
    pub fn new(io: T) -> Self {
        SpdyClient {
            io,
            encoder: FrameEncoder::new(),
            decoder: FrameDecoder::new(),
        }
    }

    pub async fn send(&mut self, frame: Frame) {
        let mut out = Vec::new();
        self.encoder.encode(&frame, &mut out).unwrap();
        self.io.write_all(&out).await.unwrap();
        self.io.flush().await.unwrap();
    }

    pub async fn open(&mut self, stream_id: u32, headers: &[(&str, &str)], fin: bool) {
        let headers: Headers = headers.iter().copied().collect();
        self.send(Frame::SynStream(SynStream {
            stream_id,
            associated_stream_id: 0,
            priority: 0,
            slot: 0,
            fin,
            unidirectional: false,
            headers,
        }))
        .await;
    }

    pub async fn data(&mut self, stream_id: u32, data: &[u8], fin: bool) {
        self.send(Frame::Data {
            stream_id,
            fin,
            data: Bytes::copy_from_slice(data),
        })
        .await;
    }

    /// The next frame other than WINDOW_UPDATE; `None` at end of stream.
    pub async fn next(&mut self) -> Option<Frame> {
        tokio::time::timeout(TIMEOUT, async {
            let mut buf = [0u8; 8192];
            loop {
                while let Some(frame) = self.decoder.decode().unwrap() {
                    if !matches!(frame, Frame::WindowUpdate { .. }) {
                        return Some(frame);
                    }
                }
                match self.io.read(&mut buf).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => self.decoder.push(&buf[..n]),
                }
            }
        })
        .await
        .expect("timed out waiting for a SPDY frame")
    }
}
