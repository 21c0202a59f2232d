//! PATCH in its four forms: JSON patch, JSON merge patch, strategic merge patch and server-side
//! apply (which creates the object when it does not exist).

use http::{HeaderMap, Response, header};
use kubelite_api::resources::ResourceInfo;
use serde_json::{Value, json};

use crate::ApiServer;
use crate::decode::{self, BodyFormat, FieldValidation};
use crate::http::{Body, Query, json_response};
use crate::meta::{self, format_time};
use crate::objects::WriteOptions;
use crate::route::ResourcePath;
use crate::status::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchType {
    Json,
    Merge,
    Strategic,
    Apply,
}

/// Refuses a PATCH whose media type is not a patch type, before its body is read.
pub fn check_patch_type(headers: &HeaderMap) -> Result<(), ApiError> {
    patch_type(headers).map(|_| ())
}

fn patch_type(headers: &HeaderMap) -> Result<PatchType, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    match mime {
        "application/json-patch+json" => Ok(PatchType::Json),
        "application/merge-patch+json" => Ok(PatchType::Merge),
        "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
        "application/apply-patch+yaml" => Ok(PatchType::Apply),
        other => Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other})"
            ),
        )),
    }
}

/// kube-apiserver's 422 for a JSON patch that does not apply.
fn unprocessable(message: String) -> ApiError {
    let mut e = ApiError::new(
        422,
        "Invalid",
        "the server rejected our request due to an error in our request",
    );
    e.details =
        Some(json!({"causes": [{"reason": "UnexpectedServerResponse", "message": message}]}));
    e
}

/// The parsed patch document, checked once before any read of the object.
enum Parsed {
    Json(json_patch::Patch),
    Merge(Value),
    Strategic(Value),
    Apply(Value),
}

fn parse(kind: PatchType, validation: FieldValidation, body: &[u8]) -> Result<Parsed, ApiError> {
    match kind {
        PatchType::Json => match serde_json::from_slice::<Value>(body) {
            // kube-apiserver decodes the operations strictly first (fieldValidation Warn or
            // Strict, the default), then as a JSON patch.
            Err(e) if validation != FieldValidation::Ignore => Err(ApiError::bad_request(format!(
                "error decoding patch: {}",
                decode::go_json_error(&e, body)
            ))),
            Err(e) => Err(ApiError::bad_request(decode::go_json_error(&e, body))),
            Ok(v) => serde_json::from_value::<json_patch::Patch>(v)
                .map(Parsed::Json)
                .map_err(|e| ApiError::bad_request(e.to_string())),
        },
        PatchType::Merge => match serde_json::from_slice::<Value>(body) {
            Ok(v) => Ok(Parsed::Merge(v)),
            Err(e) if validation != FieldValidation::Ignore => Err(ApiError::bad_request(format!(
                "error decoding patch: {}",
                decode::go_json_error(&e, body)
            ))),
            Err(_) => Err(ApiError::bad_request("Invalid JSON Patch")),
        },
        PatchType::Strategic => match serde_json::from_slice::<Value>(body) {
            Ok(v @ Value::Object(_)) => Ok(Parsed::Strategic(v)),
            Ok(_) => Err(ApiError::bad_request(
                "json: cannot unmarshal array into Go value of type map[string]interface {}",
            )),
            Err(e) => Err(ApiError::bad_request(decode::go_json_error(&e, body))),
        },
        PatchType::Apply => match decode::parse(BodyFormat::Yaml, body) {
            Ok(v @ Value::Object(_)) => Ok(Parsed::Apply(v)),
            Ok(_) => Err(ApiError::bad_request(
                "error decoding YAML: json: cannot unmarshal array into Go value of type map[string]interface {}",
            )),
            Err(e) => Err(ApiError::bad_request(format!("error decoding YAML: {e}"))),
        },
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn patch(
    server: &ApiServer,
    r: &'static ResourceInfo,
    path: &ResourcePath,
    name: &str,
    subresource: Option<&str>,
    headers: &HeaderMap,
    query: &Query,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    let kind = patch_type(headers)?;
    let validation = FieldValidation::parse(query.get("fieldValidation"))?;
    let parsed = parse(kind, validation, body)?;
    let mut opts = crate::handlers::write_options(query, headers)?;
    if kind == PatchType::Apply {
        if query.get("fieldManager").is_none_or(str::is_empty) {
            return Err(ApiError::new(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        }
        opts = WriteOptions {
            apply: true,
            ..opts
        };
    } else if query.get("force").is_some() {
        return Err(ApiError::new(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch",
        ));
    }
    let force = query.flag("force");
    let warnings = std::sync::Mutex::new(Vec::<String>::new());
    let namespace = path.namespace.clone();

    let change = |current: Option<&Value>| -> Result<Value, ApiError> {
        let mut result = match (&parsed, current) {
            (Parsed::Apply(applied), live) => {
                let mut applied = applied.clone();
                decode::check_kind(r, &mut applied)?;
                kubelite_fieldmanager::apply(
                    r.kind,
                    live,
                    &applied,
                    &opts.field_manager,
                    force,
                    &format_time(jiff::Timestamp::now()),
                )
                .map_err(|e| apply_error(r, name, e))?
            }
            (_, None) => {
                return Err(ApiError::not_found(&r.qualified_plural(), name).in_group(r.group));
            }
            (Parsed::Json(p), Some(cur)) => {
                let mut doc = cur.clone();
                json_patch::patch(&mut doc, p).map_err(|e| unprocessable(e.to_string()))?;
                doc
            }
            (Parsed::Merge(p), Some(cur)) => {
                let mut doc = cur.clone();
                json_patch::merge(&mut doc, p);
                doc
            }
            (Parsed::Strategic(p), Some(cur)) => {
                kubelite_patch::strategic_merge_patch(r.kind, cur, p).map_err(|e| {
                    match e.status_code() {
                        400 => ApiError::bad_request(e.to_string()),
                        422 => unprocessable(e.to_string()),
                        _ => ApiError::internal(e),
                    }
                })?
            }
        };
        if let Some(cur) = current {
            // A resourceVersion in the patch is a precondition.
            if let (Some(want), Some(have)) =
                (meta::resource_version(&result), meta::resource_version(cur))
                && want != have
            {
                return Err(ApiError::modified(&r.qualified_plural(), name).in_group(r.group));
            }
        }
        decode::check_kind(r, &mut result).map_err(|e| unprocessable(e.message))?;
        if meta::name(&result) != name {
            if current.is_none() && meta::name(&result).is_empty() {
                meta::metadata_mut(&mut result).insert("name".into(), json!(name));
            } else {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    meta::name(&result)
                )));
            }
        }
        if r.namespaced {
            match (
                meta::namespace(&result).filter(|n| !n.is_empty()),
                namespace.as_deref(),
            ) {
                (Some(a), Some(b)) if a != b => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
        }
        let unknown =
            decode::unknown_fields(r, &mut result).map_err(|e| unprocessable(e.message))?;
        if !unknown.is_empty() {
            match validation {
                FieldValidation::Strict => {
                    let patched = serde_json::to_string(&result).unwrap_or_default();
                    return Err(ApiError::invalid_patch(
                        &patched,
                        &decode::strict_message(&unknown),
                    ));
                }
                FieldValidation::Warn => {
                    *warnings.lock().expect("warnings") = decode::unknown_field_messages(&unknown);
                }
                FieldValidation::Ignore => {}
            }
        }
        Ok(result)
    };

    let (obj, created) = server
        .objects
        .modify(
            r,
            path.namespace.as_deref(),
            name,
            subresource,
            &opts,
            &change,
        )
        .await?;
    let resp = json_response(if created { 201 } else { 200 }, &obj);
    let warnings = warnings.into_inner().unwrap_or_default();
    Ok(crate::handlers::with_warnings(resp, &warnings))
}

fn apply_error(r: &ResourceInfo, name: &str, e: kubelite_fieldmanager::ApplyError) -> ApiError {
    match e {
        kubelite_fieldmanager::ApplyError::Conflicts(conflicts) => {
            let causes: Vec<Value> = kubelite_fieldmanager::conflict_causes(&conflicts)
                .into_iter()
                .map(|(reason, message, field)| json!({"reason": reason, "message": message, "field": field}))
                .collect();
            let mut err = ApiError::new(
                409,
                "Conflict",
                kubelite_fieldmanager::conflict_message(&conflicts),
            );
            let mut details = json!({"name": name, "kind": r.qualified_plural(), "causes": causes});
            if !r.group.is_empty() {
                details["group"] = json!(r.group);
            }
            err.details = Some(details);
            err
        }
        kubelite_fieldmanager::ApplyError::Invalid(msg) => ApiError::new(500, "InternalError", msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        h
    }

    #[test]
    fn patch_types_and_parse_errors() {
        assert_eq!(
            patch_type(&headers("application/merge-patch+json")).unwrap(),
            PatchType::Merge
        );
        assert_eq!(
            patch_type(&headers("application/json")).unwrap_err().code,
            415
        );
        let e = parse(PatchType::Json, FieldValidation::Strict, b"{not json")
            .err()
            .unwrap();
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "error decoding patch: invalid character 'n' looking for beginning of object key string"
        );
        assert_eq!(
            parse(PatchType::Merge, FieldValidation::Strict, b"[1,")
                .err()
                .unwrap()
                .message,
            "error decoding patch: unexpected end of JSON input"
        );
        assert_eq!(
            parse(PatchType::Merge, FieldValidation::Ignore, b"nope")
                .err()
                .unwrap()
                .message,
            "Invalid JSON Patch"
        );
        assert_eq!(
            parse(PatchType::Strategic, FieldValidation::Strict, b"[1]")
                .err()
                .unwrap()
                .code,
            400
        );
        assert_eq!(
            parse(PatchType::Apply, FieldValidation::Strict, b"a: [")
                .err()
                .unwrap()
                .code,
            400
        );
        assert!(matches!(
            parse(PatchType::Apply, FieldValidation::Strict, b"kind: Pod\n").unwrap(),
            Parsed::Apply(_)
        ));
    }
}
