//! whoami's routes and their handlers, behaving like the upstream Go
//! handlers of each flavour.
//!
//! Routes match the path exactly, as Go's `ServeMux` patterns without a
//! trailing slash do: `/data`, `/echo`, `/bench`, `/api`, `/health`, and `/`
//! for everything else. Every method is accepted on every route.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};

use super::Flavor;
use super::api::ApiData;
use super::body::{Content, Dump, ResponseBody};
use super::flags::Config;
use super::golang::{Query, parse_bool, parse_duration};
use super::golog;
use super::health::{Health, decode_status, response_status};
use super::host::HostInfo;
use super::request::{GoRequest, header_has_token};

/// The content type Go sniffs for whoami's text.
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// Largest `POST /health` body read (Go's `MaxBytesReader` wording on excess).
const MAX_HEALTH_BODY: usize = 1024 * 1024;

/// A handler's outcome: a response, or an error where the Go handler panics,
/// which drops the connection without a response.
pub(crate) type Handled = Result<Response<ResponseBody>, io::Error>;

/// The server's state, shared by all connections.
#[derive(Debug)]
pub(crate) struct App {
    config: Config,
    /// The process environment, in order, for `?env=true`.
    env: Vec<(String, String)>,
    health: Health,
    /// Reads the hostname and addresses; tests substitute fixed values.
    host_info: fn() -> HostInfo,
}

impl App {
    pub(crate) fn new(
        config: Config,
        env: &[(String, String)],
        host_info: fn() -> HostInfo,
    ) -> App {
        App {
            config,
            env: env.to_vec(),
            health: Health::new(),
            host_info,
        }
    }

    fn flavor(&self) -> Flavor {
        self.config.flavor
    }
}

/// Answers one request from `peer`.
pub(crate) async fn handle(app: &App, peer: SocketAddr, req: Request<Incoming>) -> Handled {
    // A client of a dual-stack listener shows as `::ffff:a.b.c.d`; Go prints
    // the IPv4 address.
    let remote_addr = SocketAddr::new(peer.ip().to_canonical(), peer.port()).to_string();
    let (parts, body) = req.into_parts();
    let go = GoRequest::from_parts(&parts);
    let query = Query::parse(parts.uri.query().unwrap_or(""));
    let handled = match parts.uri.path() {
        "/data" => Ok(data(app, &query)),
        "/echo" => Ok(echo(&parts)),
        "/bench" => Ok(bench()),
        "/api" => Ok(api(app, &go, &query, &remote_addr)),
        "/health" => health(app, &go, body).await,
        _ => whoami(app, &go, &query, &remote_addr, body).await,
    };
    if let Err(panic) = &handled {
        golog::log(&format!("http: panic serving {remote_addr}: {panic}"));
    }
    if app.config.verbose {
        golog::log(&golog::access_message(
            &remote_addr,
            &go.method,
            &go.path(),
            go.proto,
        ));
    }
    handled
}

/// `/`: who answered, and the request as received.
async fn whoami(
    app: &App,
    go: &GoRequest,
    query: &Query,
    remote_addr: &str,
    body: Incoming,
) -> Handled {
    let sixeyed = app.flavor() == Flavor::Sixeyed;
    if sixeyed {
        // The sixeyed image answers `/` with the health status when unhealthy.
        let code = app.health.get();
        if code != 200 {
            return status_only(code);
        }
    }
    if let Some(wait) = parse_duration(query.get("wait")) {
        tokio::time::sleep(wait).await;
    }
    let info = (app.host_info)();
    let mut text = String::new();
    if !app.config.name.is_empty() {
        text.push_str(&format!("Name: {}\n", app.config.name));
    }
    text.push_str(&format!("Hostname: {}\n", info.hostname));
    for ip in &info.ips {
        // traefik prints every address; the sixeyed image skips loopback.
        if !(sixeyed && ip.is_loopback()) {
            text.push_str(&format!("IP: {ip}\n"));
        }
    }
    if sixeyed && app.config.quiet {
        return Ok(text_response(StatusCode::OK, text));
    }
    text.push_str(&format!("RemoteAddr: {remote_addr}\n"));
    text.push_str(&go.write_head());
    let mut suffix = String::new();
    if !sixeyed && parse_bool(query.get("env")) == Some(true) {
        for (key, value) in &app.env {
            suffix.push_str(&format!("{key}={value}\n"));
        }
    }
    let mut response = Response::new(ResponseBody::Dump(Dump::new(
        text, body, go.chunked, suffix,
    )));
    set(&mut response, header::CONTENT_TYPE, TEXT_PLAIN);
    Ok(response)
}

/// `/api`: the same information as JSON.
fn api(app: &App, go: &GoRequest, query: &Query, remote_addr: &str) -> Response<ResponseBody> {
    let traefik = app.flavor() == Flavor::Traefik;
    let info = (app.host_info)();
    let environ: BTreeMap<&str, &str> = if traefik && parse_bool(query.get("env")) == Some(true) {
        app.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    } else {
        BTreeMap::new()
    };
    let data = ApiData {
        hostname: &info.hostname,
        ip: info.ips.iter().map(ToString::to_string).collect(),
        headers: &go.header,
        url: &go.request_uri,
        host: &go.host,
        method: &go.method,
        name: &app.config.name,
        remote_addr: traefik.then_some(remote_addr),
        environ,
    };
    let mut response = Response::new(ResponseBody::full(data.encode()));
    if traefik {
        if let Ok(origins) = HeaderValue::from_str(&app.config.allowed_origins) {
            response
                .headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origins);
        }
        set(&mut response, header::ACCESS_CONTROL_ALLOW_METHODS, "*");
    }
    set(&mut response, header::CONTENT_TYPE, "application/json");
    response
}

/// `/data?size=N&unit=KB|MB|GB|TB&attachment=true`: N units of generated
/// content (1 byte when `size` is missing or malformed).
fn data(app: &App, query: &Query) -> Response<ResponseBody> {
    let size: i64 = query.get("size").parse().unwrap_or(1).max(0);
    let unit: i64 = match query.get("unit").to_lowercase().as_str() {
        "kb" => 1 << 10,
        "mb" => 1 << 20,
        "gb" => 1 << 30,
        "tb" => 1 << 40,
        _ => 1,
    };
    // Go multiplies without overflow checks; a wrapped size is empty here.
    let size = size.wrapping_mul(unit);
    let len = match app.flavor() {
        // traefik's reader emits nothing for a size of 1.
        Flavor::Traefik if size <= 1 => 0,
        _ => u64::try_from(size).unwrap_or(0),
    };
    let mut response = Response::new(ResponseBody::Content(Content::new(len)));
    if parse_bool(query.get("attachment")) == Some(true) {
        set(&mut response, header::CONTENT_DISPOSITION, "Attachment");
    }
    if len > 0 {
        set(&mut response, header::CONTENT_TYPE, TEXT_PLAIN);
    }
    response
}

/// `/bench`: always `1`.
fn bench() -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::full("1"));
    set(&mut response, header::CONNECTION, "keep-alive");
    set(&mut response, header::CONTENT_TYPE, "text/plain");
    response
}

/// `/echo`: refuses requests that are not WebSocket handshakes as
/// gorilla/websocket does. WebSocket echo itself is not served.
fn echo(parts: &Parts) -> Response<ResponseBody> {
    let reason = if !header_has_token(&parts.headers, header::CONNECTION, "upgrade") {
        "'upgrade' token not found in 'Connection' header"
    } else if !header_has_token(&parts.headers, header::UPGRADE, "websocket") {
        "'websocket' token not found in 'Upgrade' header"
    } else {
        return text_response(
            StatusCode::NOT_IMPLEMENTED,
            "kubelite's built-in whoami does not serve the /echo WebSocket\n".to_owned(),
        );
    };
    golog::log(&format!(
        "websocket: the client is not using the websocket protocol: {reason}"
    ));
    let mut response = go_error(StatusCode::BAD_REQUEST, "Bad Request");
    set(&mut response, header::SEC_WEBSOCKET_VERSION, "13");
    response
}

/// `/health`: `POST` a JSON number to set the status code other methods get.
async fn health(app: &App, go: &GoRequest, body: Incoming) -> Handled {
    if go.method != "POST" {
        return status_only(app.health.get());
    }
    let bytes = match Limited::new(body, MAX_HEALTH_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(go_error(
                StatusCode::BAD_REQUEST,
                "http: request body too large",
            ));
        }
    };
    match decode_status(&bytes) {
        Ok(code) => {
            golog::print(&format!("Update health check status code [{code}]"));
            app.health.set(code);
            Ok(Response::new(ResponseBody::empty()))
        }
        Err(message) => Ok(go_error(StatusCode::BAD_REQUEST, &message)),
    }
}

/// A response with the stored health `code` and no body.
fn status_only(code: i64) -> Handled {
    let status = response_status(code).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("invalid WriteHeader code {code}"),
        )
    })?;
    let mut response = Response::new(ResponseBody::empty());
    *response.status_mut() = status;
    Ok(response)
}

/// A `text/plain` response.
fn text_response(status: StatusCode, text: String) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::full(text));
    *response.status_mut() = status;
    set(&mut response, header::CONTENT_TYPE, TEXT_PLAIN);
    response
}

/// Go's `http.Error`: the message and a newline, not sniffed.
fn go_error(status: StatusCode, message: &str) -> Response<ResponseBody> {
    let mut response = text_response(status, format!("{message}\n"));
    set(&mut response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    response
}

fn set(response: &mut Response<ResponseBody>, name: header::HeaderName, value: &'static str) {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
}
