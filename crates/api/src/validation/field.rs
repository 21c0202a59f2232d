//! Field-level validation errors, rendered exactly as apimachinery's `field.Error`
//! (`ErrorBody()` for Status causes, `Error()` for the aggregated message).

use serde_json::Value;
use std::fmt;

/// The kind of a field error; mirrors `field.ErrorType` one to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    Internal,
    TypeInvalid,
}

impl ErrorType {
    /// The machine-readable cause type (`StatusCause.reason`).
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::Internal => "InternalError",
            ErrorType::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// The human-readable prefix of the message (`ErrorType.String()`).
    pub fn text(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid | ErrorType::TypeInvalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::Internal => "Internal error",
        }
    }
}

/// One validation failure at one field path.
///
/// `bad_value` is rendered the way Go's `%q`/`%v`/`%#v` would render the original Go value:
/// strings quoted, numbers and booleans bare, `null` for nil, string arrays as `[]string{...}`
/// and string maps as `map[string]string{...}`. When the Go type cannot be inferred from JSON
/// (a struct), `go_repr` carries the exact rendering instead.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub error_type: ErrorType,
    pub field: String,
    pub bad_value: Option<Value>,
    pub detail: String,
    /// Verbatim Go rendering of the bad value; overrides `bad_value` when set.
    pub go_repr: Option<String>,
}

impl FieldError {
    fn new(error_type: ErrorType, field: &Path, bad_value: Option<Value>, detail: &str) -> Self {
        FieldError {
            error_type,
            field: field.to_string(),
            bad_value,
            detail: detail.to_string(),
            go_repr: None,
        }
    }

    pub fn required(field: &Path, detail: &str) -> Self {
        Self::new(ErrorType::Required, field, None, detail)
    }

    pub fn forbidden(field: &Path, detail: &str) -> Self {
        Self::new(ErrorType::Forbidden, field, None, detail)
    }

    pub fn invalid(field: &Path, value: impl Into<Value>, detail: &str) -> Self {
        Self::new(ErrorType::Invalid, field, Some(value.into()), detail)
    }

    pub fn duplicate(field: &Path, value: impl Into<Value>) -> Self {
        Self::new(ErrorType::Duplicate, field, Some(value.into()), "")
    }

    pub fn not_found(field: &Path, value: impl Into<Value>) -> Self {
        Self::new(ErrorType::NotFound, field, Some(value.into()), "")
    }

    /// `field.NotSupported`: the detail lists the valid values, each Go-quoted.
    pub fn not_supported(field: &Path, value: impl Into<Value>, valid: &[&str]) -> Self {
        let detail = if valid.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = valid.iter().map(|v| go_quote(v)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, field, Some(value.into()), &detail)
    }

    /// `field.TooLong`; the value is never shown.
    pub fn too_long(field: &Path, max_bytes: usize) -> Self {
        let detail = format!("may not be more than {max_bytes} bytes");
        Self::new(ErrorType::TooLong, field, None, &detail)
    }

    /// `field.TooMany`.
    pub fn too_many(field: &Path, actual: usize, max: usize) -> Self {
        let detail = format!("must have at most {max} items");
        Self::new(
            ErrorType::TooMany,
            field,
            Some(Value::from(actual)),
            &detail,
        )
    }

    /// Replaces the rendering of the bad value with a verbatim Go `%#v` string.
    pub fn with_go_repr(mut self, repr: String) -> Self {
        self.go_repr = Some(repr);
        self
    }

    /// The `StatusCause.reason` for this error (`FieldValueRequired`, ...).
    pub fn reason(&self) -> &'static str {
        self.error_type.reason()
    }

    /// The message without the field name, as upstream `Error.ErrorBody()`.
    pub fn message(&self) -> String {
        let mut s = match self.error_type {
            ErrorType::Required
            | ErrorType::Forbidden
            | ErrorType::TooLong
            | ErrorType::Internal => self.error_type.text().to_string(),
            _ => match (&self.go_repr, &self.bad_value) {
                (Some(repr), _) => format!("{}: {}", self.error_type.text(), repr),
                (None, Some(v)) => format!("{}: {}", self.error_type.text(), go_value(v)),
                (None, None) => format!("{}: null", self.error_type.text()),
            },
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message())
    }
}

/// The Status message of a 422 Invalid error, as `errors.NewInvalid`:
/// `The Pod "x" is invalid: <errors>` where several distinct errors are bracketed.
/// `qualified_kind` is `Kind` for the core group and `Kind.group` otherwise.
pub fn invalid_message(qualified_kind: &str, name: &str, errs: &[FieldError]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in errs {
        let s = e.to_string();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    let head = format!("{qualified_kind} {} is invalid", go_quote(name));
    match seen.len() {
        0 => head,
        1 => format!("{head}: {}", seen[0]),
        _ => format!("{head}: [{}]", seen.join(", ")),
    }
}

/// A field path as built by `field.Path` (`spec.ports[0].name`, `metadata.labels[app]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(String);

impl Path {
    pub fn new(name: &str) -> Self {
        Path(name.to_string())
    }

    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Path(name.to_string())
        } else {
            Path(format!("{}.{}", self.0, name))
        }
    }

    pub fn index(&self, i: usize) -> Self {
        Path(format!("{}[{}]", self.0, i))
    }

    pub fn key(&self, k: &str) -> Self {
        Path(format!("{}[{}]", self.0, k))
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a JSON value the way Go's fmt would render the Go value it came from.
fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => go_quote(s),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let parts: Vec<String> = items.iter().map(go_value).collect();
            format!("[]string{{{}}}", parts.join(", "))
        }
        Value::Object(map) if map.values().all(Value::is_string) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", go_quote(k), go_value(&map[k.as_str()])))
                .collect();
            format!("map[string]string{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_match_error_body() {
        let p = Path::new("spec").child("ports").index(0);
        let cases: Vec<(FieldError, &str)> = vec![
            (
                FieldError::required(&p.child("port"), ""),
                "spec.ports[0].port: Required value",
            ),
            (
                FieldError::required(
                    &Path::new("metadata").child("name"),
                    "name or generateName is required",
                ),
                "metadata.name: Required value: name or generateName is required",
            ),
            (
                FieldError::invalid(
                    &p.child("port"),
                    70000,
                    "must be between 1 and 65535, inclusive",
                ),
                "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ),
            (
                FieldError::not_supported(&p.child("protocol"), "XYZ", &["SCTP", "TCP", "UDP"]),
                "spec.ports[0].protocol: Unsupported value: \"XYZ\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ),
            (
                FieldError::duplicate(&p.child("name"), "http"),
                "spec.ports[0].name: Duplicate value: \"http\"",
            ),
            (
                FieldError::invalid(
                    &Path::new("spec").child("clusterIPs").index(0),
                    json!(["10.0.0.1"]),
                    "may not change once set",
                ),
                "spec.clusterIPs[0]: Invalid value: []string{\"10.0.0.1\"}: may not change once set",
            ),
            (
                FieldError::too_long(&Path::new("metadata").child("annotations"), 262144),
                "metadata.annotations: Too long: may not be more than 262144 bytes",
            ),
            (
                FieldError::too_many(&Path::new("endpoints"), 1001, 1000),
                "endpoints: Too many: 1001: must have at most 1000 items",
            ),
            (
                FieldError::invalid(&Path::new("x"), json!({"b": "2", "a": "1"}), "d"),
                "x: Invalid value: map[string]string{\"a\":\"1\", \"b\":\"2\"}: d",
            ),
            (
                FieldError::invalid(&Path::new("x"), Value::Null, "d"),
                "x: Invalid value: null: d",
            ),
            (
                FieldError::forbidden(&Path::new("spec"), "no"),
                "spec: Forbidden: no",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn reasons() {
        let p = Path::new("a");
        assert_eq!(FieldError::required(&p, "").reason(), "FieldValueRequired");
        assert_eq!(FieldError::invalid(&p, 1, "").reason(), "FieldValueInvalid");
        assert_eq!(
            FieldError::not_supported(&p, "x", &[]).reason(),
            "FieldValueNotSupported"
        );
        assert_eq!(ErrorType::Internal.reason(), "InternalError");
        assert_eq!(ErrorType::TypeInvalid.text(), "Invalid value");
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\x01\"");
        assert_eq!(go_quote("héllo"), "\"héllo\"");
    }

    #[test]
    fn invalid_message_aggregates() {
        let p = Path::new("spec").child("containers");
        let e1 = FieldError::required(&p.index(0).child("image"), "");
        assert_eq!(
            invalid_message("Pod", "x", std::slice::from_ref(&e1)),
            "Pod \"x\" is invalid: spec.containers[0].image: Required value"
        );
        let e2 = FieldError::required(&p.index(1).child("image"), "");
        assert_eq!(
            invalid_message("Pod", "x", &[e1.clone(), e2, e1]),
            "Pod \"x\" is invalid: [spec.containers[0].image: Required value, spec.containers[1].image: Required value]"
        );
        assert_eq!(
            invalid_message("EndpointSlice.discovery.k8s.io", "s", &[]),
            "EndpointSlice.discovery.k8s.io \"s\" is invalid"
        );
    }
}
