//! The `/health` endpoint's state: the status code `GET /health` answers
//! with, changed by `POST /health` with a JSON number body
//! (`curl -X POST -d '500' .../health`).
//!
//! The POST body is decoded like Go's `json.NewDecoder(body).Decode(&int)`:
//! only the first JSON value counts, and errors carry Go's wording, which
//! whoami returns as a 400 body. `null` stores 0, as in Go.

use std::sync::atomic::{AtomicI64, Ordering};

use hyper::StatusCode;
use serde::de::IgnoredAny;

/// The stored health status code.
#[derive(Debug)]
pub(crate) struct Health(AtomicI64);

impl Health {
    /// Healthy: 200.
    pub(crate) fn new() -> Health {
        Health(AtomicI64::new(200))
    }

    pub(crate) fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, code: i64) {
        self.0.store(code, Ordering::Relaxed);
    }
}

/// The status a response with stored code `code` gets. `None` where Go's
/// `WriteHeader` panics (outside 100..=999), which drops the connection
/// without a response. A 1xx code is sent by Go as an interim response before
/// a final 200; only the 200 is sent here.
pub(crate) fn response_status(code: i64) -> Option<StatusCode> {
    match code {
        100..=199 => Some(StatusCode::OK),
        200..=999 => StatusCode::from_u16(u16::try_from(code).ok()?).ok(),
        _ => None,
    }
}

/// Decodes a POST body into a status code, or Go's error text.
pub(crate) fn decode_status(body: &[u8]) -> Result<i64, String> {
    let start = body
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    let Some(start) = start else {
        return Err("EOF".to_owned());
    };
    let text = &body[start..];
    let type_error = |kind: &str| {
        Err(format!(
            "json: cannot unmarshal {kind} into Go value of type int"
        ))
    };
    match text[0] {
        b'-' | b'0'..=b'9' => {
            let token = number_token(text)?;
            match token.parse::<i64>() {
                Ok(code) => Ok(code),
                Err(_) => type_error(&format!("number {token}")),
            }
        }
        b't' => literal(text, "true").and_then(|()| type_error("bool")),
        b'f' => literal(text, "false").and_then(|()| type_error("bool")),
        b'n' => literal(text, "null").map(|()| 0),
        b'"' => compound(text).and_then(|()| type_error("string")),
        b'[' => compound(text).and_then(|()| type_error("array")),
        b'{' => compound(text).and_then(|()| type_error("object")),
        c => Err(format!(
            "invalid character '{}' looking for beginning of value",
            char::from(c)
        )),
    }
}

/// The JSON number at the start of `text`, which ends at the first byte that
/// cannot continue it.
fn number_token(text: &[u8]) -> Result<&str, String> {
    let digits = |from: usize| {
        text[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let need_digit = |at: usize| match text.get(at) {
        Some(b) if b.is_ascii_digit() => Ok(()),
        Some(&b) => Err(format!(
            "invalid character '{}' in numeric literal",
            char::from(b)
        )),
        None => Err("unexpected EOF".to_owned()),
    };
    let mut end = usize::from(text[0] == b'-');
    need_digit(end)?;
    end += if text[end] == b'0' { 1 } else { digits(end) };
    if text.get(end) == Some(&b'.') {
        need_digit(end + 1)?;
        end += 1 + digits(end + 1);
    }
    if matches!(text.get(end), Some(b'e' | b'E')) {
        end += 1;
        if matches!(text.get(end), Some(b'+' | b'-')) {
            end += 1;
        }
        need_digit(end)?;
        end += digits(end);
    }
    Ok(std::str::from_utf8(&text[..end]).unwrap_or_default())
}

/// Checks that `text` starts with the literal `word`.
fn literal(text: &[u8], word: &str) -> Result<(), String> {
    for (i, expected) in word.bytes().enumerate() {
        match text.get(i) {
            Some(&b) if b == expected => {}
            Some(&b) => {
                return Err(format!(
                    "invalid character '{}' in literal {word} (expecting '{}')",
                    char::from(b),
                    char::from(expected)
                ));
            }
            None => return Err("unexpected EOF".to_owned()),
        }
    }
    Ok(())
}

/// Checks that `text` starts with one complete JSON string, array or object.
fn compound(text: &[u8]) -> Result<(), String> {
    let mut values = serde_json::Deserializer::from_slice(text).into_iter::<IgnoredAny>();
    match values.next() {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) if e.is_eof() => Err("unexpected EOF".to_owned()),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("EOF".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_go() {
        let cases: &[(&str, Result<i64, &str>)] = &[
            ("500", Ok(500)),
            (" 503\n", Ok(503)),
            ("200 404", Ok(200)),
            ("-1", Ok(-1)),
            ("null", Ok(0)),
            ("", Err("EOF")),
            ("  \n", Err("EOF")),
            (
                "abc",
                Err("invalid character 'a' looking for beginning of value"),
            ),
            (
                "5.5",
                Err("json: cannot unmarshal number 5.5 into Go value of type int"),
            ),
            (
                "1e3",
                Err("json: cannot unmarshal number 1e3 into Go value of type int"),
            ),
            (
                "99999999999999999999",
                Err("json: cannot unmarshal number 99999999999999999999 into Go value of type int"),
            ),
            (
                "\"500\"",
                Err("json: cannot unmarshal string into Go value of type int"),
            ),
            (
                "true",
                Err("json: cannot unmarshal bool into Go value of type int"),
            ),
            (
                "[500]",
                Err("json: cannot unmarshal array into Go value of type int"),
            ),
            (
                "{}",
                Err("json: cannot unmarshal object into Go value of type int"),
            ),
            ("-", Err("unexpected EOF")),
            ("-x", Err("invalid character 'x' in numeric literal")),
            ("tru", Err("unexpected EOF")),
            (
                "trux",
                Err("invalid character 'x' in literal true (expecting 'e')"),
            ),
            ("[1,", Err("unexpected EOF")),
        ];
        for (body, want) in cases {
            let want = want.map_err(str::to_owned);
            assert_eq!(decode_status(body.as_bytes()), want, "{body:?}");
        }
    }

    #[test]
    fn response_status_like_write_header() {
        assert_eq!(response_status(200), Some(StatusCode::OK));
        assert_eq!(response_status(503), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(response_status(999).map(|s| s.as_u16()), Some(999));
        assert_eq!(response_status(102), Some(StatusCode::OK));
        assert_eq!(response_status(0), None);
        assert_eq!(response_status(1000), None);
        assert_eq!(response_status(-5), None);
    }
}
