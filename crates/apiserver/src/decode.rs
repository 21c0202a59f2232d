//! Request bodies to JSON objects: media types, the kind check against the URL, and field
//! validation (`fieldValidation=Strict|Warn|Ignore`) by round-tripping through the typed API.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use kubelite_api::resources::ResourceInfo;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::status::ApiError;

/// The body formats a create or update accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Yaml,
    /// Kubernetes protobuf, as client-go's typed clients send it (`kubectl create namespace`).
    Protobuf,
}

pub fn body_format(content_type: Option<&str>) -> Result<BodyFormat, ApiError> {
    let mime = content_type
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    match mime {
        "" | "application/json" | "*/*" => Ok(BodyFormat::Json),
        "application/yaml" | "application/apply-patch+yaml" => Ok(BodyFormat::Yaml),
        kubelite_protobuf::CONTENT_TYPE => Ok(BodyFormat::Protobuf),
        _ => Err(ApiError::unsupported_media_type(&[
            "application/json",
            "application/yaml",
            "application/vnd.kubernetes.protobuf",
        ])),
    }
}

/// The text Go's encoding/json gives for a syntax error (kube-apiserver's messages quote it).
pub fn go_json_error(e: &serde_json::Error, input: &[u8]) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "unexpected end of JSON input".into(),
        Category::Syntax => {
            // serde_json reports the 1-based line and column of the offending character.
            let offset = input
                .split(|b| *b == b'\n')
                .take(e.line().saturating_sub(1))
                .map(|l| l.len() + 1)
                .sum::<usize>()
                + e.column().saturating_sub(1);
            let text = e.to_string();
            let context = if text.starts_with("trailing characters") {
                "after top-level value"
            } else if text.starts_with("key must be a string") {
                "looking for beginning of object key string"
            } else if text.starts_with("expected `:`") {
                "after object key"
            } else if text.starts_with("expected `,` or `}`") {
                "after object key:value pair"
            } else if text.starts_with("expected `,` or `]`") {
                "after array element"
            } else {
                "looking for beginning of value"
            };
            match input.get(offset).map(|b| *b as char) {
                Some(c) if !c.is_whitespace() => format!("invalid character '{c}' {context}"),
                _ => "unexpected end of JSON input".into(),
            }
        }
        Category::Data | Category::Io => e.to_string(),
    }
}

/// kube-apiserver's summary of a body it could not decode: text when it looks like JSON,
/// hex otherwise, cut at 30 bytes.
fn summarize(body: &[u8]) -> String {
    const MAX: usize = 30;
    let (head, more) = if body.len() > MAX {
        (&body[..MAX], " ...")
    } else {
        (body, "")
    };
    match body.first() {
        None => "<empty>".into(),
        Some(b'{') => format!("{}{more}", String::from_utf8_lossy(head)),
        Some(_) => format!(
            "{}{more}",
            head.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

/// The YAML parser's error in go-yaml's shape: `yaml: line N: message`.
fn yaml_error(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ");
    match first
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(' '))
    {
        Some((line, rest)) => {
            let message = rest.split_once(": ").map_or(rest, |(_, m)| m);
            format!("yaml: line {line}: {message}")
        }
        None => format!("yaml: {first}"),
    }
}

/// Parses a body into a JSON value; the error is the decoder's text alone.
pub fn parse(format: BodyFormat, body: &[u8]) -> Result<Value, String> {
    match format {
        BodyFormat::Json => serde_json::from_slice(body).map_err(|e| {
            format!(
                "couldn't get version/kind; json parse error: {}",
                go_json_error(&e, body)
            )
        }),
        BodyFormat::Yaml => {
            let text = std::str::from_utf8(body)
                .map_err(|e| format!("error converting YAML to JSON: yaml: invalid UTF-8: {e}"))?;
            serde_saphyr::from_str::<Value>(text)
                .map_err(|e| format!("error converting YAML to JSON: {}", yaml_error(&e)))
        }
        BodyFormat::Protobuf => Err("a protobuf body is decoded by its kind (parse_object)".into()),
    }
}

/// Parses the body of a create or update of `r`, with kube-apiserver's 400 for a body it
/// cannot decode.
pub fn parse_object(r: &ResourceInfo, format: BodyFormat, body: &[u8]) -> Result<Value, ApiError> {
    if format == BodyFormat::Protobuf {
        return kubelite_protobuf::decode(body, &r.api_version(), r.kind).map_err(|e| {
            if e.is_unsupported() {
                ApiError::unsupported_media_type(&["application/json", "application/yaml"])
            } else {
                ApiError::bad_request(format!(
                    "{} in version \"{}\" cannot be handled as a {}: {e}",
                    r.kind, r.version, r.kind
                ))
            }
        });
    }
    parse(format, body).map_err(|e| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): {e} ({})",
            r.kind,
            summarize(body)
        ))
    })
}

/// Checks `apiVersion`/`kind` of a decoded body against the resource of the URL and fills them
/// in when absent.
pub fn check_kind(r: &ResourceInfo, obj: &mut Value) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: the request body is not a JSON object",
            r.kind, r.version, r.kind
        )));
    };
    let api_version = r.api_version();
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let version = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !version.is_empty() && version != api_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({version}) does not match the expected API version ({api_version})"
        )));
    }
    if !kind.is_empty() && kind != r.kind {
        let plain_version = version.rsplit('/').next().unwrap_or(r.version);
        let plain_version = if plain_version.is_empty() {
            r.version
        } else {
            plain_version
        };
        let group_prefix = if r.group.is_empty() {
            "core"
        } else {
            r.group.split('.').next().unwrap_or(r.group)
        };
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{plain_version}\" cannot be handled as a {}: converting ({plain_version}.{kind}) to ({group_prefix}.{}): unknown conversion",
            r.kind, r.kind
        )));
    }
    map.insert("apiVersion".into(), Value::String(api_version));
    map.insert("kind".into(), Value::String(r.kind.to_string()));
    Ok(())
}

/// What to do with fields the schema does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

impl FieldValidation {
    pub fn parse(v: Option<&str>) -> Result<Self, ApiError> {
        match v.unwrap_or("") {
            "" | "Warn" => Ok(FieldValidation::Warn),
            "Strict" => Ok(FieldValidation::Strict),
            "Ignore" => Ok(FieldValidation::Ignore),
            other => Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other}"
            ))),
        }
    }
}

/// One step of a path into a JSON value.
enum Step {
    Key(String),
    Index(usize),
}

/// The steps of a path `serde_ignored` reports, from the root.
fn steps(path: &serde_ignored::Path<'_>, out: &mut Vec<Step>) {
    use serde_ignored::Path;
    match path {
        Path::Root => {}
        Path::Seq { parent, index } => {
            steps(parent, out);
            out.push(Step::Index(*index));
        }
        Path::Map { parent, key } => {
            steps(parent, out);
            out.push(Step::Key(key.clone()));
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => steps(parent, out),
    }
}

/// Decodes `obj` as `T`, listing the paths of the members `T` has no field for.
fn ignored_by<T: DeserializeOwned>(obj: &Value) -> Result<Vec<Vec<Step>>, String> {
    let mut ignored = Vec::new();
    let _: T = serde_ignored::deserialize(obj, |path| {
        let mut path_steps = Vec::new();
        steps(&path, &mut path_steps);
        ignored.push(path_steps);
    })
    .map_err(|e| e.to_string())?;
    Ok(ignored)
}

/// Removes the member at `path` from `obj` unless it is `null` (an unknown null field is
/// let through, as kube-apiserver's decoder does); whether it was removed.
fn remove_unless_null(obj: &mut Value, path: &[Step]) -> bool {
    let Some((Step::Key(last), parents)) = path.split_last() else {
        return false;
    };
    let mut node = obj;
    for step in parents {
        let next = match step {
            Step::Key(k) => node.get_mut(k.as_str()),
            Step::Index(i) => node.get_mut(*i),
        };
        match next {
            Some(n) => node = n,
            None => return false,
        }
    }
    let Some(map) = node.as_object_mut() else {
        return false;
    };
    if map.get(last).is_none_or(Value::is_null) {
        return false;
    }
    map.shift_remove(last);
    true
}

/// `spec.foo`, `spec.containers[0].bar`.
fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Decodes `obj` as the typed kind, drops the fields it does not know (as decoding into
/// kube-apiserver's types does) and lists them (`spec.foo`, `spec.containers[0].bar`). A value
/// of the wrong type is a 400, as kube-apiserver's decoder reports it.
pub fn unknown_fields(r: &ResourceInfo, obj: &mut Value) -> Result<Vec<String>, ApiError> {
    let ignored = match r.kind {
        "Pod" => ignored_by::<core::Pod>(obj),
        "Service" => ignored_by::<core::Service>(obj),
        "Endpoints" => ignored_by::<core::Endpoints>(obj),
        "Event" => ignored_by::<core::Event>(obj),
        "Namespace" => ignored_by::<core::Namespace>(obj),
        "Node" => ignored_by::<core::Node>(obj),
        "ServiceAccount" => ignored_by::<core::ServiceAccount>(obj),
        "EndpointSlice" => ignored_by::<discovery::EndpointSlice>(obj),
        _ => return Ok(Vec::new()),
    }
    .map_err(|e| {
        ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {e}",
            r.kind, r.version, r.kind
        ))
    })?;
    Ok(ignored
        .iter()
        .filter(|path| remove_unless_null(obj, path))
        .map(|path| render(path))
        .collect())
}

/// The 400 a Strict request gets for unknown fields, or the warnings a Warn request gets.
pub fn unknown_field_messages(fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect()
}

/// The strict-decoding text (`strict decoding error: unknown field "spec.foo"`).
pub fn strict_message(fields: &[String]) -> String {
    format!(
        "strict decoding error: {}",
        unknown_field_messages(fields).join(", ")
    )
}

/// The 400 a create or update with unknown fields gets under `fieldValidation=Strict`.
pub fn strict_error(r: &ResourceInfo, fields: &[String]) -> ApiError {
    ApiError::bad_request(format!(
        "{} in version \"{}\" cannot be handled as a {}: {}",
        r.kind,
        r.version,
        r.kind,
        strict_message(fields)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubelite_api::resources::lookup;
    use serde_json::json;

    fn pods() -> &'static ResourceInfo {
        lookup("", "v1", "pods").unwrap()
    }

    #[test]
    fn finds_unknown_fields_at_any_depth() {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "a", "creationTimestamp": null, "labels": {"x": "y"}},
            "spec": {"containers": [{"name": "c", "image": "i", "colour": "red", "resources": {}}], "bogus": 1, "ghost": null},
            "status": {}
        });
        assert_eq!(
            unknown_fields(pods(), &mut pod).unwrap(),
            vec![
                "spec.containers[0].colour".to_string(),
                "spec.bogus".to_string()
            ]
        );
        assert_eq!(
            pod["spec"],
            json!({"containers": [{"name": "c", "image": "i", "resources": {}}], "ghost": null}),
            "unknown fields dropped, an unknown null let through"
        );
        assert_eq!(
            strict_error(pods(), &["spec.bogus".into()]).message,
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.bogus\""
        );
    }

    #[test]
    fn wrong_types_and_kinds_are_bad_requests() {
        let bad = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": 5}});
        let err = unknown_fields(pods(), &mut bad.clone()).unwrap_err();
        assert_eq!(err.code, 400);
        assert!(
            err.message
                .starts_with("Pod in version \"v1\" cannot be handled as a Pod: ")
        );

        let mut svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}});
        assert_eq!(
            check_kind(pods(), &mut svc).unwrap_err().message,
            "Service in version \"v1\" cannot be handled as a Pod: converting (v1.Service) to (core.Pod): unknown conversion"
        );
        let mut apps = json!({"apiVersion": "apps/v1", "kind": "Pod"});
        assert_eq!(
            check_kind(pods(), &mut apps).unwrap_err().message,
            "the API version in the data (apps/v1) does not match the expected API version (v1)"
        );
        let mut bare = json!({"metadata": {"name": "a"}});
        check_kind(pods(), &mut bare).unwrap();
        assert_eq!(bare["kind"], "Pod");
        assert_eq!(bare["apiVersion"], "v1");
    }

    #[test]
    fn media_types_and_parse_errors() {
        assert_eq!(
            body_format(Some("application/json; charset=utf-8")).unwrap(),
            BodyFormat::Json
        );
        assert_eq!(
            body_format(Some("application/yaml")).unwrap(),
            BodyFormat::Yaml
        );
        assert_eq!(body_format(Some("text/plain")).unwrap_err().code, 415);
        let body = br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"#;
        assert_eq!(
            parse_object(pods(), BodyFormat::Json, body)
                .unwrap_err()
                .message,
            "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: unexpected end of JSON input ({\"apiVersion\":\"v1\",\"kind\":\"Pod ...)"
        );
        assert_eq!(
            parse(BodyFormat::Json, b"{bad").unwrap_err(),
            "couldn't get version/kind; json parse error: invalid character 'b' looking for beginning of object key string"
        );
        assert_eq!(
            parse_object(pods(), BodyFormat::Json, b"xyz")
                .unwrap_err()
                .message,
            "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: invalid character 'x' looking for beginning of value (78797a)"
        );
        let v = parse(BodyFormat::Yaml, b"kind: Pod\nmetadata:\n  name: a\n").unwrap();
        assert_eq!(v["metadata"]["name"], "a");
        let yaml = parse(BodyFormat::Yaml, b"kind: Pod\nmetadata: name: bad\n").unwrap_err();
        assert!(
            yaml.starts_with("error converting YAML to JSON: yaml: line 2: "),
            "{yaml}"
        );
        assert!(!yaml.contains('\n'));
    }
}
