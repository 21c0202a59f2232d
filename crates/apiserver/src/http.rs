//! HTTP plumbing shared by the handlers: the response body type, JSON and `Status` responses,
//! bounded request bodies and query parameters.

use std::collections::HashMap;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use http_body_util::{BodyExt, Full, Limited};
use serde_json::Value;

use crate::status::ApiError;

/// Every response body: a full buffer or a stream (watch, logs).
pub type Body = BoxBody<Bytes, std::io::Error>;

/// Every request body, whichever transport brought it (a connection, or the in-process client);
/// a transport's error is kept as the source of an `io::Error`.
pub type RequestBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// kube-apiserver's limit for a request body.
pub const MAX_BODY: usize = 3 * 1024 * 1024;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

pub fn json_response(code: u16, value: &Value) -> Response<Body> {
    bytes_response(
        code,
        "application/json",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

pub fn bytes_response(code: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut resp = Response::new(full(body));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

pub fn error_response(err: &ApiError) -> Response<Body> {
    json_response(err.code, &err.to_status())
}

/// Reads the whole body, refusing more than [`MAX_BODY`] bytes with 413.
pub async fn read_body(body: RequestBody) -> Result<Bytes, ApiError> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::too_large()),
        Err(e) => Err(ApiError::bad_request(format!(
            "error reading request body: {e}"
        ))),
    }
}

/// Reads and drops a body nobody will look at, so an early answer (401) ends the stream
/// cleanly for HTTP/2 clients.
pub async fn drain(body: RequestBody) {
    let _ = Limited::new(body, MAX_BODY).collect().await;
}

/// Decoded query parameters; a repeated key keeps every value (`command=a&command=b`).
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, Vec<String>>);

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        Query(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    pub fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A boolean parameter as Go's strconv.ParseBool reads it (`watch=1`, `watch=true`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(
            self.get(key),
            Some("1" | "t" | "T" | "true" | "TRUE" | "True")
        )
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!(
                    "invalid value for {key}: strconv.ParseInt: parsing {v:?}: invalid syntax"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decodes_selectors_and_repeats() {
        let q = Query::parse(Some(
            "labelSelector=app%3Dwhoami%2Ctier+in+(a)&command=sh&command=-c&watch=1&limit=500&x=%",
        ));
        assert_eq!(q.get("labelSelector"), Some("app=whoami,tier in (a)"));
        assert_eq!(q.all("command"), ["sh", "-c"]);
        assert!(q.flag("watch"));
        assert_eq!(q.int("limit").unwrap(), Some(500));
        assert_eq!(q.get("x"), Some("%"));
        assert!(Query::parse(Some("limit=x")).int("limit").is_err());
    }
}
