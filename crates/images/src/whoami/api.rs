//! The `/api` JSON document, encoded as Go's `json.Encoder` encodes
//! whoami's `Data` struct: fields in declaration order, empty ones omitted
//! (`omitempty`), map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped,
//! and a trailing newline.
//!
//! traefik/whoami's document has `hostname`, `ip`, `headers`, `url`, `host`,
//! `method`, `name`, `remoteAddr` and, with `?env=true`, `environ`; the
//! sixeyed image's stops at `name`. Both list every interface address,
//! loopback included.

use std::collections::BTreeMap;

use serde::Serialize;

/// whoami's `Data`.
#[derive(Debug, Serialize)]
pub(crate) struct ApiData<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(crate) hostname: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) ip: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) headers: &'a BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(crate) url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(crate) host: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(crate) method: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(crate) name: &'a str,
    /// traefik only: `None` leaves the field out.
    #[serde(rename = "remoteAddr", skip_serializing_if = "Option::is_none")]
    pub(crate) remote_addr: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) environ: BTreeMap<&'a str, &'a str>,
}

impl ApiData<'_> {
    /// The response body.
    pub(crate) fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let mut out = String::with_capacity(json.len() + 1);
        // These characters only occur inside JSON strings, where Go escapes them.
        for c in json.chars() {
            match c {
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                c => out.push(c),
            }
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_go() {
        let mut headers = BTreeMap::new();
        headers.insert("User-Agent".to_owned(), vec!["curl/8.5.0".to_owned()]);
        headers.insert("Accept".to_owned(), vec!["*/*".to_owned()]);
        headers.insert("X-Html".to_owned(), vec!["<a&b>".to_owned()]);
        let data = ApiData {
            hostname: "whoami",
            ip: vec!["127.0.0.1".to_owned(), "::1".to_owned()],
            headers: &headers,
            url: "/api?x=1",
            host: "localhost:8080",
            method: "GET",
            name: "",
            remote_addr: Some("127.0.0.1:50000"),
            environ: BTreeMap::new(),
        };
        assert_eq!(
            data.encode(),
            concat!(
                r#"{"hostname":"whoami","ip":["127.0.0.1","::1"],"#,
                r#""headers":{"Accept":["*/*"],"User-Agent":["curl/8.5.0"],"X-Html":["\u003ca\u0026b\u003e"]},"#,
                r#""url":"/api?x=1","host":"localhost:8080","method":"GET","remoteAddr":"127.0.0.1:50000"}"#,
                "\n"
            )
        );
    }

    #[test]
    fn omits_empty_fields() {
        let headers = BTreeMap::new();
        let mut environ = BTreeMap::new();
        environ.insert("B", "2");
        environ.insert("A", "1");
        let data = ApiData {
            hostname: "",
            ip: Vec::new(),
            headers: &headers,
            url: "/api",
            host: "",
            method: "GET",
            name: "blue",
            remote_addr: None,
            environ,
        };
        assert_eq!(
            data.encode(),
            "{\"url\":\"/api\",\"method\":\"GET\",\"name\":\"blue\",\"environ\":{\"A\":\"1\",\"B\":\"2\"}}\n"
        );
    }
}
