//! End-to-end tests of the whoami server on an ephemeral 127.0.0.1 port,
//! with a raw TCP client so that requests and responses are byte-exact. The
//! host information is fixed; the remote port is the client's own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::Flavor;
use super::flags::Config;
use super::handlers::App;
use super::host::HostInfo;
use super::server;

fn fixed_host() -> HostInfo {
    HostInfo {
        hostname: "whoami-5b8f6c7d9-x2lqp".to_owned(),
        ips: [
            "127.0.0.1",
            "::1",
            "10.244.1.7",
            "fe80::a8c1:abff:fe12:3456",
        ]
        .iter()
        .map(|ip| ip.parse().unwrap())
        .collect(),
    }
}

/// Starts a server of `flavor` configured by `args` and `env`.
async fn start(flavor: Flavor, args: &[&str], env: &[(&str, &str)]) -> SocketAddr {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let config = Config::parse(flavor, &args, &env).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Arc::new(App::new(config, &env, fixed_host));
    tokio::spawn(server::serve(listener, app, std::future::pending()));
    addr
}

/// A parsed response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    /// The client's address, as the server sees it.
    local: SocketAddr,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How long a test waits for any response.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `raw` on a new connection and reads one response, or `None` if the
/// server closes the connection without one.
async fn exchange(addr: SocketAddr, raw: &str) -> Option<Reply> {
    tokio::time::timeout(TIMEOUT, exchange_unbounded(addr, raw))
        .await
        .expect("no response in time")
}

async fn exchange_unbounded(addr: SocketAddr, raw: &str) -> Option<Reply> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    if reader.read_line(&mut status_line).await.unwrap() == 0 {
        return None;
    }
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        let line = line.trim_end_matches("\r\n");
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(": ").unwrap();
        headers.push((name.to_owned(), value.to_owned()));
    }
    let mut reply = Reply {
        status,
        headers,
        body: String::new(),
        local,
    };
    let mut body = Vec::new();
    if let Some(len) = reply.header("content-length") {
        body.resize(len.parse().unwrap(), 0);
        reader.read_exact(&mut body).await.unwrap();
    } else if reply.header("transfer-encoding") == Some("chunked") {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).await.unwrap();
            let size = usize::from_str_radix(size.trim_end(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await.unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        reader.read_to_end(&mut body).await.unwrap();
    }
    reply.body = String::from_utf8(body).unwrap();
    Some(reply)
}

async fn get(addr: SocketAddr, target: &str) -> Reply {
    let raw = format!(
        "GET {target} HTTP/1.1\r\nHost: whoami\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
    );
    exchange(addr, &raw).await.unwrap()
}

const CURL_DUMP: &str =
    "GET / HTTP/1.1\r\nHost: whoami\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

#[tokio::test]
async fn traefik_root_prints_every_address_and_the_request() {
    let addr = start(Flavor::Traefik, &[], &[]).await;
    let reply = get(addr, "/").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        reply.body,
        format!(
            "Hostname: whoami-5b8f6c7d9-x2lqp\n\
             IP: 127.0.0.1\n\
             IP: ::1\n\
             IP: 10.244.1.7\n\
             IP: fe80::a8c1:abff:fe12:3456\n\
             RemoteAddr: {}\n\
             {CURL_DUMP}",
            reply.local
        )
    );
}

#[tokio::test]
async fn name_comes_first_from_env_or_flag() {
    for (args, env) in [
        (&[][..], &[("WHOAMI_NAME", "blue")][..]),
        (&["--name", "blue"], &[("WHOAMI_NAME", "green")]),
    ] {
        for flavor in [Flavor::Traefik, Flavor::Sixeyed] {
            let addr = start(flavor, args, env).await;
            let body = get(addr, "/").await.body;
            assert!(
                body.starts_with("Name: blue\nHostname: whoami-5b8f6c7d9-x2lqp\n"),
                "{flavor:?}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn sixeyed_root_skips_loopback_and_can_be_quiet() {
    let addr = start(Flavor::Sixeyed, &[], &[]).await;
    let reply = get(addr, "/").await;
    assert_eq!(
        reply.body,
        format!(
            "Hostname: whoami-5b8f6c7d9-x2lqp\n\
             IP: 10.244.1.7\n\
             IP: fe80::a8c1:abff:fe12:3456\n\
             RemoteAddr: {}\n\
             {CURL_DUMP}",
            reply.local
        )
    );
    let quiet = start(Flavor::Sixeyed, &[], &[("WHOAMI_MODE", "q")]).await;
    assert_eq!(
        get(quiet, "/").await.body,
        "Hostname: whoami-5b8f6c7d9-x2lqp\nIP: 10.244.1.7\nIP: fe80::a8c1:abff:fe12:3456\n"
    );
}

#[tokio::test]
async fn root_echoes_headers_sorted_and_the_body() {
    let addr = start(Flavor::Traefik, &[], &[]).await;
    let reply = exchange(
        addr,
        "POST /submit?x=1 HTTP/1.1\r\nhost: svc.default:8080\r\nx-trace: b\r\nContent-Length: 5\r\n\
         accept-encoding: gzip\r\nX-Trace: a\r\n\r\nhello",
    )
    .await
    .unwrap();
    assert!(
        reply.body.ends_with(
            "POST /submit?x=1 HTTP/1.1\r\n\
             Host: svc.default:8080\r\n\
             User-Agent: Go-http-client/1.1\r\n\
             Content-Length: 5\r\n\
             Accept-Encoding: gzip\r\n\
             X-Trace: b\r\n\
             X-Trace: a\r\n\
             \r\n\
             hello"
        ),
        "{}",
        reply.body
    );
    let chunked = exchange(
        addr,
        "PUT / HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         3\r\nabc\r\n0\r\n\r\n",
    )
    .await
    .unwrap();
    assert!(
        chunked.body.ends_with(
            "PUT / HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nTransfer-Encoding: chunked\r\n\r\n\
             3\r\nabc\r\n0\r\n\r\n"
        ),
        "{}",
        chunked.body
    );
}

#[tokio::test]
async fn env_query_appends_the_environment_on_traefik_only() {
    let env = [("PATH", "/bin"), ("WHOAMI_NAME", "")];
    let traefik = start(Flavor::Traefik, &[], &env).await;
    let body = get(traefik, "/?env=true").await.body;
    assert!(
        body.ends_with("\r\n\r\nPATH=/bin\nWHOAMI_NAME=\n"),
        "{body}"
    );
    let sixeyed = start(Flavor::Sixeyed, &[], &env).await;
    assert!(get(sixeyed, "/?env=true").await.body.ends_with("\r\n\r\n"));
}

#[tokio::test]
async fn wait_delays_the_answer() {
    let addr = start(Flavor::Traefik, &[], &[]).await;
    let started = Instant::now();
    assert_eq!(get(addr, "/?wait=150ms").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn api_is_go_json() {
    let addr = start(Flavor::Traefik, &[], &[("WHOAMI_NAME", "blue")]).await;
    let reply = get(addr, "/api").await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("access-control-allow-methods"), Some("*"));
    assert_eq!(
        reply.body,
        format!(
            "{{\"hostname\":\"whoami-5b8f6c7d9-x2lqp\",\
             \"ip\":[\"127.0.0.1\",\"::1\",\"10.244.1.7\",\"fe80::a8c1:abff:fe12:3456\"],\
             \"headers\":{{\"Accept\":[\"*/*\"],\"User-Agent\":[\"curl/8.5.0\"]}},\
             \"url\":\"/api\",\"host\":\"whoami\",\"method\":\"GET\",\"name\":\"blue\",\
             \"remoteAddr\":\"{}\"}}\n",
            reply.local
        )
    );

    let sixeyed = start(Flavor::Sixeyed, &[], &[("WHOAMI_NAME", "blue")]).await;
    let reply = get(sixeyed, "/api?env=true").await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(
        reply.body,
        "{\"hostname\":\"whoami-5b8f6c7d9-x2lqp\",\
         \"ip\":[\"127.0.0.1\",\"::1\",\"10.244.1.7\",\"fe80::a8c1:abff:fe12:3456\"],\
         \"headers\":{\"Accept\":[\"*/*\"],\"User-Agent\":[\"curl/8.5.0\"]},\
         \"url\":\"/api?env=true\",\"host\":\"whoami\",\"method\":\"GET\",\"name\":\"blue\"}\n"
    );
}

#[tokio::test]
async fn data_generates_content() {
    let traefik = start(Flavor::Traefik, &[], &[]).await;
    let sixeyed = start(Flavor::Sixeyed, &[], &[]).await;
    let ten = get(traefik, "/data?size=10").await;
    assert_eq!(ten.body, "|ABCDEFGH|");
    assert_eq!(ten.header("content-length"), Some("10"));
    assert_eq!(
        ten.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(get(sixeyed, "/data?size=10").await.body, "|ABCDEFGH|");
    // Without a size the size is 1: traefik's reader emits nothing for it.
    assert_eq!(get(traefik, "/data").await.body, "");
    assert_eq!(get(sixeyed, "/data").await.body, "|");
    assert_eq!(get(traefik, "/data?size=-4").await.body, "");
    let kb = get(traefik, "/data?size=2&unit=KB").await.body;
    assert_eq!(kb.len(), 2048);
    assert!(kb.starts_with("|ABCDEFGHIJKLMNOPQRSTUVWXYZ-AB") && kb.ends_with('|'));
    let attachment = get(traefik, "/data?size=3&attachment=true").await;
    assert_eq!(attachment.header("content-disposition"), Some("Attachment"));
    assert_eq!(attachment.body, "|A|");
}

#[tokio::test]
async fn health_status_can_be_changed() {
    for flavor in [Flavor::Traefik, Flavor::Sixeyed] {
        let addr = start(flavor, &[], &[]).await;
        let health = "GET /health HTTP/1.1\r\nHost: h\r\n\r\n";
        let reply = exchange(addr, health).await.unwrap();
        assert_eq!((reply.status, reply.body.as_str()), (200, ""));

        let post = |body: &str| {
            format!(
                "POST /health HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let bad = exchange(addr, &post("abc")).await.unwrap();
        assert_eq!(bad.status, 400);
        assert_eq!(
            bad.body,
            "invalid character 'a' looking for beginning of value\n"
        );
        assert_eq!(bad.header("x-content-type-options"), Some("nosniff"));

        let set = exchange(addr, &post("503")).await.unwrap();
        assert_eq!((set.status, set.body.as_str()), (200, ""));
        assert_eq!(exchange(addr, health).await.unwrap().status, 503);

        // Only the sixeyed image lets the health status answer `/` too.
        let root = get(addr, "/").await;
        match flavor {
            Flavor::Traefik => assert_eq!(root.status, 200),
            Flavor::Sixeyed => assert_eq!((root.status, root.body.as_str()), (503, "")),
        }

        // Go's WriteHeader panics on 0, which drops the connection.
        exchange(addr, &post("null")).await.unwrap();
        assert!(exchange(addr, health).await.is_none());
    }
}

#[tokio::test]
async fn bench_and_echo() {
    let addr = start(Flavor::Traefik, &[], &[]).await;
    let bench = get(addr, "/bench").await;
    assert_eq!(bench.body, "1");
    assert_eq!(bench.header("content-type"), Some("text/plain"));
    let echo = get(addr, "/echo").await;
    assert_eq!((echo.status, echo.body.as_str()), (400, "Bad Request\n"));
    assert_eq!(echo.header("sec-websocket-version"), Some("13"));
}

#[tokio::test]
async fn other_paths_are_whoami() {
    let addr = start(Flavor::Traefik, &[], &[]).await;
    let reply = get(addr, "/api/v1/anything").await;
    assert!(
        reply
            .body
            .contains("\nGET /api/v1/anything HTTP/1.1\r\nHost: whoami\r\n"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn keeps_connections_alive() {
    let addr = start(Flavor::Traefik, &[], &[]).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = "GET /bench HTTP/1.1\r\nHost: h\r\n\r\n";
    stream
        .write_all(format!("{request}{request}").as_bytes())
        .await
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut seen = 0;
    let mut line = String::new();
    // Bodies (`1`) have no line end, so a status line may follow one.
    while seen < 2 {
        line.clear();
        let read = tokio::time::timeout(TIMEOUT, reader.read_line(&mut line)).await;
        assert!(read.unwrap().unwrap() > 0, "connection closed");
        if line.contains("HTTP/1.1 200 OK") {
            seen += 1;
        }
    }
}

#[tokio::test]
async fn run_whoami_rejects_bad_flags_before_listening() {
    let err = super::run_whoami(Flavor::Traefik, &["--nope".to_owned()], &[])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "flag provided but not defined: -nope");
    let err = super::run_whoami(Flavor::Sixeyed, &["--port=http".to_owned()], &[])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "listen tcp: address :http: invalid port");
}
