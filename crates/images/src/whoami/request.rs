//! An HTTP request as Go's `net/http` server presents it to a handler, and
//! its `Request.Write` dump, which whoami echoes back after `RemoteAddr:`.
//!
//! What Go's server does to a request, and so what users see:
//! - header names are canonicalised (`user-agent` → `User-Agent`);
//! - `Host` moves out of the header map into `Request.Host` (the authority of
//!   an absolute-form target wins over the header);
//! - `Transfer-Encoding` is removed, and `Content-Length` too when the body is
//!   chunked;
//! - `Pragma: no-cache` without `Cache-Control` adds `Cache-Control: no-cache`.
//!
//! `Request.Write` then prints `METHOD URI HTTP/1.1` (always 1.1), `Host:`,
//! `User-Agent:` (Go's default `Go-http-client/1.1` when the request had
//! none), `Connection: close` when the connection closes after this request,
//! `Content-Length:` or `Transfer-Encoding: chunked`, the remaining headers
//! sorted by name, one line per value, a blank line, then the body. Header
//! lines end in CRLF; whoami's own lines end in LF.

use std::collections::BTreeMap;

use hyper::Version;
use hyper::header::{self, HeaderMap};
use hyper::http::request::Parts;

/// Headers `Request.Write` prints itself, or not at all.
const WRITTEN_SEPARATELY: [&str; 5] = [
    "Host",
    "User-Agent",
    "Content-Length",
    "Transfer-Encoding",
    "Trailer",
];

/// Go's view of a request's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoRequest {
    pub(crate) method: String,
    /// `URL.RequestURI()`: path and query of the request target.
    pub(crate) request_uri: String,
    /// `Request.Host`.
    pub(crate) host: String,
    /// `Request.Proto`, e.g. `HTTP/1.1`.
    pub(crate) proto: &'static str,
    /// `Request.Header`: canonical names, sorted, values in arrival order.
    pub(crate) header: BTreeMap<String, Vec<String>>,
    /// `Request.ContentLength`: `None` when unknown (chunked).
    content_length: Option<u64>,
    /// Whether the body is chunked.
    pub(crate) chunked: bool,
    /// `Request.Close`: the connection closes after this request.
    close: bool,
}

impl GoRequest {
    /// Builds Go's view of the request head hyper parsed.
    pub(crate) fn from_parts(parts: &Parts) -> GoRequest {
        let chunked = header_has_token(&parts.headers, header::TRANSFER_ENCODING, "chunked");
        let mut header: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &parts.headers {
            header
                .entry(canonical_key(name.as_str()))
                .or_default()
                .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
        let host = match parts.uri.authority() {
            Some(authority) => authority.as_str().to_owned(),
            None => header
                .get("Host")
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or_default(),
        };
        header.remove("Host");
        header.remove("Transfer-Encoding");
        if chunked {
            header.remove("Content-Length");
        }
        if header
            .get("Pragma")
            .is_some_and(|v| v.first().is_some_and(|p| p == "no-cache"))
            && !header.contains_key("Cache-Control")
        {
            header.insert("Cache-Control".to_owned(), vec!["no-cache".to_owned()]);
        }
        let content_length = if chunked {
            None
        } else {
            Some(
                parts
                    .headers
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0),
            )
        };
        let has_close = header_has_token(&parts.headers, header::CONNECTION, "close");
        let close = match parts.version {
            Version::HTTP_10 | Version::HTTP_09 => {
                has_close || !header_has_token(&parts.headers, header::CONNECTION, "keep-alive")
            }
            _ => has_close,
        };
        GoRequest {
            method: parts.method.as_str().to_owned(),
            request_uri: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
            host,
            proto: match parts.version {
                Version::HTTP_09 => "HTTP/0.9",
                Version::HTTP_10 => "HTTP/1.0",
                _ => "HTTP/1.1",
            },
            header,
            content_length,
            chunked,
            close,
        }
    }

    /// `URL.Path`: the decoded path, for the access log.
    pub(crate) fn path(&self) -> String {
        let raw = self.request_uri.split('?').next().unwrap_or("/");
        super::golang::unescape(raw, false).unwrap_or_else(|| raw.to_owned())
    }

    /// The head `Request.Write` prints, up to and including the blank line.
    pub(crate) fn write_head(&self) -> String {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.request_uri);
        out.push_str(&format!("Host: {}\r\n", self.host));
        let user_agent = match self.header.get("User-Agent") {
            Some(values) => values.first().map_or(String::new(), |v| clean_value(v)),
            None => "Go-http-client/1.1".to_owned(),
        };
        if !user_agent.is_empty() {
            out.push_str(&format!("User-Agent: {user_agent}\r\n"));
        }
        let connection_close = self
            .header
            .get("Connection")
            .is_some_and(|values| values.iter().any(|v| has_token(v, "close")));
        if self.close && !connection_close {
            out.push_str("Connection: close\r\n");
        }
        if let Some(length) = self.content_length_line() {
            out.push_str(&format!("Content-Length: {length}\r\n"));
        } else if self.chunked {
            out.push_str("Transfer-Encoding: chunked\r\n");
        }
        for (name, values) in &self.header {
            if WRITTEN_SEPARATELY.contains(&name.as_str()) {
                continue;
            }
            for value in values {
                out.push_str(&format!("{name}: {}\r\n", clean_value(value)));
            }
        }
        out.push_str("\r\n");
        out
    }

    /// The `Content-Length` Go writes: a known positive length, or `0` for
    /// the methods that conventionally carry a body.
    fn content_length_line(&self) -> Option<u64> {
        match self.content_length {
            Some(0) if matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") => Some(0),
            Some(n) if n > 0 => Some(n),
            _ => None,
        }
    }
}

/// Go's `CanonicalMIMEHeaderKey` for a valid header name: upper case at the
/// start and after each `-`, lower case elsewhere.
pub(crate) fn canonical_key(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

/// A header value as `Header.Write` prints it: CR and LF become spaces and
/// surrounding spaces and tabs go.
fn clean_value(value: &str) -> String {
    value
        .replace(['\r', '\n'], " ")
        .trim_matches([' ', '\t'])
        .to_owned()
}

/// Whether a comma-separated header value contains `token` (case-insensitive).
fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

pub(crate) fn header_has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| has_token(v, token))
}

#[cfg(test)]
mod tests {
    use hyper::Request;

    use super::*;

    fn head(build: hyper::http::request::Builder) -> String {
        let (parts, ()) = build.body(()).unwrap().into_parts();
        GoRequest::from_parts(&parts).write_head()
    }

    #[test]
    fn canonical_keys() {
        let cases = [
            ("user-agent", "User-Agent"),
            ("accept", "Accept"),
            ("x-forwarded-for", "X-Forwarded-For"),
            ("X-REAL-IP", "X-Real-Ip"),
            ("x_custom", "X_custom"),
            ("dnt", "Dnt"),
        ];
        for (input, want) in cases {
            assert_eq!(canonical_key(input), want);
        }
    }

    #[test]
    fn curl_get() {
        let got = head(
            Request::get("/")
                .header("host", "whoami")
                .header("user-agent", "curl/8.5.0")
                .header("accept", "*/*"),
        );
        assert_eq!(
            got,
            "GET / HTTP/1.1\r\nHost: whoami\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
        );
    }

    #[test]
    fn headers_sorted_and_repeated() {
        let got = head(
            Request::get("/path?x=1&y=%20")
                .header("x-b", "2")
                .header("accept", "text/html")
                .header("x-a", "1")
                .header("x-b", "3")
                .header("host", "example.com:8080")
                .header("pragma", "no-cache"),
        );
        assert_eq!(
            got,
            "GET /path?x=1&y=%20 HTTP/1.1\r\n\
             Host: example.com:8080\r\n\
             User-Agent: Go-http-client/1.1\r\n\
             Accept: text/html\r\n\
             Cache-Control: no-cache\r\n\
             Pragma: no-cache\r\n\
             X-A: 1\r\n\
             X-B: 2\r\n\
             X-B: 3\r\n\
             \r\n"
        );
    }

    #[test]
    fn body_framing_and_connection() {
        let post = head(
            Request::post("/")
                .header("host", "h")
                .header("user-agent", "")
                .header("content-length", "5")
                .header("content-type", "text/plain"),
        );
        assert_eq!(
            post,
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n"
        );
        let empty_put = head(
            Request::put("/")
                .header("host", "h")
                .header("user-agent", "t"),
        );
        assert_eq!(
            empty_put,
            "PUT / HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nContent-Length: 0\r\n\r\n"
        );
        let chunked = head(
            Request::post("/")
                .header("host", "h")
                .header("user-agent", "t")
                .header("transfer-encoding", "chunked"),
        );
        assert_eq!(
            chunked,
            "POST / HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        let http10 = head(
            Request::get("/")
                .version(Version::HTTP_10)
                .header("host", "h")
                .header("user-agent", "t"),
        );
        assert_eq!(
            http10,
            "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nConnection: close\r\n\r\n"
        );
        let close = head(
            Request::delete("/x")
                .header("host", "h")
                .header("user-agent", "t")
                .header("connection", "close"),
        );
        assert_eq!(
            close,
            "DELETE /x HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn absolute_form_target() {
        let (parts, ()) = Request::get("http://proxy.example/a%20b?q=1")
            .header("host", "other")
            .body(())
            .unwrap()
            .into_parts();
        let req = GoRequest::from_parts(&parts);
        assert_eq!(req.host, "proxy.example");
        assert_eq!(req.request_uri, "/a%20b?q=1");
        assert_eq!(req.path(), "/a b");
        assert!(!req.header.contains_key("Host"));
    }
}
