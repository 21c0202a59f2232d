//! Timestamps in objects: parsing, "time since" and the RFC 3339 cell format.
//!
//! `metav1.Time` travels as RFC 3339 with whole seconds and `metav1.MicroTime` with
//! microseconds; both parse here. A missing or unparsable timestamp is Go's zero time, which the
//! printers show as `<unknown>` (`translateTimestampSince`).

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::duration::human_duration;
use crate::fields;

/// The timestamp at `path`; `None` stands for Go's zero `time.Time`.
pub(crate) fn at(v: &Value, path: &[&str]) -> Option<Timestamp> {
    fields::str_at(v, path).parse().ok()
}

/// Elapsed time from `t` to `now` as `HumanDuration`, or `<unknown>` for the zero time.
pub(crate) fn since(t: Option<Timestamp>, now: Timestamp) -> String {
    match t {
        Some(t) => human_duration(now.duration_since(t)),
        None => "<unknown>".to_owned(),
    }
}

/// Go's `t.UTC().Format(time.RFC3339)`: whole seconds, `Z` suffix; the zero time is year 1.
pub(crate) fn rfc3339(t: Option<Timestamp>) -> String {
    match t {
        Some(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "0001-01-01T00:00:00Z".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_time_and_micro_time_and_treats_missing_as_zero() {
        let v = json!({"t": "2025-06-01T11:59:00Z", "micro": "2025-06-01T11:59:30.123456Z", "bad": "yesterday"});
        let now: Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
        assert_eq!(since(at(&v, &["t"]), now), "60s");
        assert_eq!(since(at(&v, &["micro"]), now), "29s");
        assert_eq!(since(at(&v, &["bad"]), now), "<unknown>");
        assert_eq!(since(at(&v, &["missing"]), now), "<unknown>");
    }

    #[test]
    fn rfc3339_drops_fractions_and_uses_utc() {
        let t: Timestamp = "2025-06-01T14:00:00.9+02:00".parse().unwrap();
        assert_eq!(rfc3339(Some(t)), "2025-06-01T12:00:00Z");
        assert_eq!(rfc3339(None), "0001-01-01T00:00:00Z");
    }
}
