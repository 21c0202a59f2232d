//! HTTP upgrade handshakes of the streaming endpoints: WebSocket (RFC 6455, subprotocol
//! chosen from `Sec-WebSocket-Protocol`) and SPDY/3.1 (`X-Stream-Protocol-Version`), plus the
//! protocol negotiation both share. Pure: requests in, responses out.

use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

/// Remote command subprotocols served over WebSocket, most preferred first.
pub const WEBSOCKET_COMMAND_PROTOCOLS: &[&str] = &["v5.channel.k8s.io", "v4.channel.k8s.io"];
/// Remote command protocols served over SPDY. kubelet serves v4 and older there; v4 is the
/// oldest with a JSON exit status and resize, which every kubectl since 1.4 offers.
pub const SPDY_COMMAND_PROTOCOLS: &[&str] = &["v4.channel.k8s.io"];
/// Port-forward over raw SPDY.
pub const SPDY_PORT_FORWARD_PROTOCOL: &str = "portforward.k8s.io";
/// Port-forward as SPDY tunnelled in WebSocket binary messages (kubectl ≥ 1.31).
pub const WEBSOCKET_PORT_FORWARD_PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

/// Which upgrade a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upgrade {
    WebSocket,
    Spdy,
    None,
}

/// Classifies a request by its `Upgrade` header.
pub fn requested(headers: &HeaderMap) -> Upgrade {
    let Some(value) = headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()) else {
        return Upgrade::None;
    };
    if value.eq_ignore_ascii_case("websocket") {
        Upgrade::WebSocket
    } else if value.eq_ignore_ascii_case("SPDY/3.1") {
        Upgrade::Spdy
    } else {
        Upgrade::None
    }
}

/// Every value of a header that may be repeated and comma-separated, in order.
fn list(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The first protocol the client offers that the server supports.
pub fn negotiate<'a>(offered: &[String], supported: &[&'a str]) -> Option<&'a str> {
    offered
        .iter()
        .find_map(|o| supported.iter().find(|s| **s == o.as_str()).copied())
}

/// The subprotocols offered in `Sec-WebSocket-Protocol`.
pub fn websocket_protocols(headers: &HeaderMap) -> Vec<String> {
    list(headers, "sec-websocket-protocol")
}

/// The protocols offered in `X-Stream-Protocol-Version`.
pub fn spdy_protocols(headers: &HeaderMap) -> Vec<String> {
    list(headers, "x-stream-protocol-version")
}

/// Why an upgrade was refused, with the status to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub message: String,
}

/// The `101 Switching Protocols` answer to a WebSocket upgrade that selects `protocol`.
pub fn accept_websocket(headers: &HeaderMap, protocol: &str) -> Result<Response<()>, Refusal> {
    let bad = |message: &str| Refusal {
        code: 400,
        message: message.to_owned(),
    };
    let version = headers
        .get("sec-websocket-version")
        .and_then(|v| v.to_str().ok());
    if version != Some("13") {
        return Err(bad("unsupported WebSocket version (13 required)"));
    }
    let key = headers
        .get("sec-websocket-key")
        .ok_or_else(|| bad("missing Sec-WebSocket-Key"))?;
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    switching(&[
        ("upgrade", "websocket"),
        ("sec-websocket-accept", &accept),
        ("sec-websocket-protocol", protocol),
    ])
}

/// The `101 Switching Protocols` answer to a SPDY upgrade that selects `protocol`.
pub fn accept_spdy(protocol: &str) -> Result<Response<()>, Refusal> {
    switching(&[
        ("upgrade", "SPDY/3.1"),
        ("x-stream-protocol-version", protocol),
    ])
}

/// kubelet's refusal when no offered protocol is supported.
pub fn unsupported(offered: &[String], supported: &[&str]) -> Refusal {
    Refusal {
        code: 403,
        message: format!(
            "unable to upgrade: unable to negotiate protocol: client supports {offered:?}, server supports {supported:?}"
        ),
    }
}

fn switching(pairs: &[(&'static str, &str)]) -> Result<Response<()>, Refusal> {
    let mut resp = Response::new(());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = resp.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    for (name, value) in pairs {
        let value = HeaderValue::from_str(value).map_err(|_| Refusal {
            code: 400,
            message: format!("invalid {name} value"),
        })?;
        headers.insert(*name, value);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn negotiation_follows_client_order() {
        let kubectl = headers(&[
            ("x-stream-protocol-version", "v5.channel.k8s.io"),
            ("x-stream-protocol-version", "v4.channel.k8s.io"),
            (
                "x-stream-protocol-version",
                "v3.channel.k8s.io, channel.k8s.io",
            ),
        ]);
        let offered = spdy_protocols(&kubectl);
        assert_eq!(offered.len(), 4);
        assert_eq!(
            negotiate(&offered, SPDY_COMMAND_PROTOCOLS),
            Some("v4.channel.k8s.io")
        );
        assert_eq!(
            negotiate(&offered, WEBSOCKET_COMMAND_PROTOCOLS),
            Some("v5.channel.k8s.io")
        );
        assert_eq!(negotiate(&offered[3..], SPDY_COMMAND_PROTOCOLS), None);
        assert_eq!(
            unsupported(&offered[3..], SPDY_COMMAND_PROTOCOLS).message,
            r#"unable to upgrade: unable to negotiate protocol: client supports ["channel.k8s.io"], server supports ["v4.channel.k8s.io"]"#
        );
    }

    #[test]
    fn websocket_accept_key_and_protocol() {
        // RFC 6455 section 1.3's example key.
        let req = headers(&[
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ]);
        assert_eq!(requested(&req), Upgrade::WebSocket);
        let resp = accept_websocket(&req, "v5.channel.k8s.io").unwrap();
        assert_eq!(resp.status(), 101);
        assert_eq!(
            resp.headers()["sec-websocket-accept"],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(
            resp.headers()["sec-websocket-protocol"],
            "v5.channel.k8s.io"
        );
        assert_eq!(resp.headers()["connection"], "Upgrade");
        let old = headers(&[("sec-websocket-version", "8")]);
        assert_eq!(accept_websocket(&old, "x").unwrap_err().code, 400);
    }

    #[test]
    fn spdy_accept() {
        assert_eq!(
            requested(&headers(&[("upgrade", "SPDY/3.1")])),
            Upgrade::Spdy
        );
        assert_eq!(requested(&HeaderMap::new()), Upgrade::None);
        let resp = accept_spdy("portforward.k8s.io").unwrap();
        assert_eq!(resp.headers()["upgrade"], "SPDY/3.1");
        assert_eq!(
            resp.headers()["x-stream-protocol-version"],
            "portforward.k8s.io"
        );
    }
}
