//! The REST verbs on a resource URL: get, list, watch, create, update, patch, delete and
//! deletecollection, each answered in the representation the client negotiated.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use http::{HeaderMap, HeaderValue, Method, Request, Response, header};
use hyper::body::Incoming;
use jiff::Timestamp;
use kubelite_api::resources::ResourceInfo;
use serde_json::{Value, json};

use crate::ApiServer;
use crate::decode::{self, BodyFormat, FieldValidation};
use crate::http::{Body, Query, json_response, read_body};
use crate::meta;
use crate::negotiate::{self, Output};
use crate::objects::{DeleteOptions, Deleted, WriteOptions};
use crate::route::ResourcePath;
use crate::selection::Selection;
use crate::status::{ApiError, success_status};
use crate::watch::{self, WatchRequest};

/// `PartialObjectMetadata` for an object.
pub fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
    })
}

/// Writes `items` as the negotiated list representation.
fn list_body(
    r: &ResourceInfo,
    output: Output,
    items: Vec<Value>,
    revision: i64,
    cont: Option<String>,
) -> Value {
    let mut list_meta = json!({"resourceVersion": revision.to_string()});
    if let Some(c) = cont {
        list_meta["continue"] = json!(c);
    }
    match output {
        Output::Table => {
            let mut table = kubelite_table::table(
                r.plural,
                &items,
                Timestamp::now(),
                kubelite_table::IncludeObject::Metadata,
            );
            table["metadata"] = list_meta;
            table
        }
        Output::Metadata => json!({
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": list_meta,
            "items": items.iter().map(partial_metadata).collect::<Vec<_>>(),
        }),
        Output::Object => {
            let items: Vec<Value> = items
                .into_iter()
                .map(|mut o| {
                    if let Some(m) = o.as_object_mut() {
                        m.remove("kind");
                        m.remove("apiVersion");
                    }
                    o
                })
                .collect();
            json!({
                "kind": format!("{}List", r.kind),
                "apiVersion": r.api_version(),
                "metadata": list_meta,
                "items": items,
            })
        }
    }
}

fn object_body(r: &ResourceInfo, output: Output, obj: Value) -> Value {
    match output {
        Output::Object => obj,
        Output::Metadata => partial_metadata(&obj),
        Output::Table => {
            let rv = obj["metadata"]["resourceVersion"].clone();
            let mut t = kubelite_table::table(
                r.plural,
                std::slice::from_ref(&obj),
                Timestamp::now(),
                kubelite_table::IncludeObject::Metadata,
            );
            t["metadata"] = json!({"resourceVersion": rv});
            t
        }
    }
}

/// The continue token: the key to list after and the revision of the first page.
fn encode_continue(key: &str, revision: i64) -> String {
    let token = json!({"v": "meta.k8s.io/v1", "rv": revision, "start": key});
    base64::engine::general_purpose::URL_SAFE.encode(token.to_string())
}

fn decode_continue(token: &str) -> Result<String, ApiError> {
    let bad = |why: String| ApiError::bad_request(format!("continue key is not valid: {why}"));
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .map_err(|e| bad(e.to_string()))?;
    let v: Value = serde_json::from_slice(&raw).map_err(|e| bad(e.to_string()))?;
    if v["v"] != "meta.k8s.io/v1" {
        return Err(bad(
            "incorrect encoded start resourceVersion (version meta.k8s.io/v1)".into(),
        ));
    }
    v["start"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| bad("missing start key".into()))
}

fn field_manager(query: &Query, headers: &HeaderMap) -> String {
    if let Some(m) = query.get("fieldManager").filter(|m| !m.is_empty()) {
        return m.to_string();
    }
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    ua.split('/')
        .next()
        .unwrap_or("")
        .chars()
        .take(128)
        .collect()
}

pub(crate) fn write_options(query: &Query, headers: &HeaderMap) -> Result<WriteOptions, ApiError> {
    let dry_run = match query.all("dryRun") {
        [] => false,
        [v] if v == "All" => true,
        [v] => {
            return Err(ApiError::bad_request(format!(
                "Invalid dryRun parameter: {v:?}"
            )));
        }
        _ => {
            return Err(ApiError::bad_request(
                "Invalid dryRun parameter: only one value is allowed",
            ));
        }
    };
    Ok(WriteOptions {
        dry_run,
        field_manager: field_manager(query, headers),
        apply: false,
    })
}

pub(crate) fn with_warnings(mut resp: Response<Body>, warnings: &[String]) -> Response<Body> {
    for w in warnings {
        let text = format!("299 - \"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""));
        if let Ok(v) = HeaderValue::from_str(&text) {
            resp.headers_mut().append("Warning", v);
        }
    }
    resp
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

/// Decodes a create/update body, checks its kind and unknown fields; returns warnings.
fn decode_object(
    r: &ResourceInfo,
    headers: &HeaderMap,
    query: &Query,
    body: &[u8],
) -> Result<(Value, Vec<String>), ApiError> {
    let format = decode::body_format(content_type(headers).as_deref())?;
    let validation = FieldValidation::parse(query.get("fieldValidation"))?;
    let mut obj = decode::parse(format, body)?;
    decode::check_kind(r, &mut obj)?;
    let unknown = decode::unknown_fields(r, &obj)?;
    let warnings = match validation {
        FieldValidation::Strict if !unknown.is_empty() => {
            return Err(decode::strict_error(&unknown));
        }
        FieldValidation::Warn => decode::unknown_field_messages(&unknown),
        _ => Vec::new(),
    };
    Ok((obj, warnings))
}

fn check_namespace(r: &ResourceInfo, path: &ResourcePath, obj: &Value) -> Result<(), ApiError> {
    if !r.namespaced {
        return Ok(());
    }
    if let (Some(body_ns), Some(url_ns)) = (
        meta::namespace(obj).filter(|s| !s.is_empty()),
        path.namespace.as_deref(),
    ) && body_ns != url_ns
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

fn check_name(obj: &Value, url_name: &str) -> Result<(), ApiError> {
    let name = meta::name(obj);
    if name != url_name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({url_name})"
        )));
    }
    Ok(())
}

/// Entry point for every resource URL.
pub async fn handle(
    server: Arc<ApiServer>,
    req: Request<Incoming>,
    path: ResourcePath,
) -> Result<Response<Body>, ApiError> {
    let r = path.resource;
    let query = Query::parse(req.uri().query());
    if let Some(sub) = &path.subresource
        && r.subresource(sub).is_none()
    {
        return Err(ApiError::no_route());
    }
    if r.namespaced && path.namespace.is_none() && req.method() != Method::GET {
        return Err(ApiError::method_not_allowed(req.method().as_str()));
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let method = req.method().clone();
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    match (&method, path.name.as_deref(), path.subresource.as_deref()) {
        (&Method::GET, None, None) => {
            let output = negotiate::output(accept.as_deref())?;
            list_or_watch(server, r, &path, &query, output).await
        }
        (&Method::GET, Some(name), None | Some("status")) => {
            let output = negotiate::output(accept.as_deref())?;
            let obj = server
                .objects
                .get(r, path.namespace.as_deref(), name)
                .await?;
            Ok(json_response(200, &object_body(r, output, obj)))
        }
        (&Method::POST, None, None) => {
            let body = read_body(body).await?;
            let (obj, warnings) = decode_object(r, &headers, &query, &body)?;
            check_namespace(r, &path, &obj)?;
            let opts = write_options(&query, &headers)?;
            let created = server
                .objects
                .create(r, path.namespace.as_deref(), obj, &opts)
                .await?;
            Ok(with_warnings(json_response(201, &created), &warnings))
        }
        (&Method::POST, Some(name), Some("binding")) => {
            let body = read_body(body).await?;
            crate::binding::bind(
                &server,
                path.namespace.as_deref().unwrap_or("default"),
                name,
                &body,
                &write_options(&query, &headers)?,
            )
            .await
        }
        (
            &Method::GET | &Method::POST,
            Some(name),
            Some("exec" | "attach" | "portforward" | "log"),
        ) => {
            let pod = server
                .objects
                .get(r, path.namespace.as_deref(), name)
                .await?;
            // No node agent serves this Pod yet.
            let _ = pod;
            Err(ApiError::bad_request(format!(
                "pod {name} does not have a host assigned"
            )))
        }
        (&Method::PUT, Some(name), sub @ (None | Some("status"))) => {
            let body = read_body(body).await?;
            let (obj, warnings) = decode_object(r, &headers, &query, &body)?;
            check_namespace(r, &path, &obj)?;
            check_name(&obj, name)?;
            let opts = write_options(&query, &headers)?;
            let (updated, created) = server
                .objects
                .update(r, path.namespace.as_deref(), name, sub, obj, &opts)
                .await?;
            Ok(with_warnings(
                json_response(if created { 201 } else { 200 }, &updated),
                &warnings,
            ))
        }
        (&Method::PATCH, Some(name), sub @ (None | Some("status"))) => {
            let body = read_body(body).await?;
            crate::patch::patch(&server, r, &path, name, sub, &headers, &query, &body).await
        }
        (&Method::DELETE, Some(name), None) => {
            let body = read_body(body).await?;
            let opts = delete_options(&query, &body)?;
            if r.kind == "Namespace" && crate::bootstrap::SYSTEM_NAMESPACES.contains(&name) {
                return Err(ApiError::forbidden(
                    "namespaces",
                    name,
                    "this namespace may not be deleted",
                ));
            }
            match server
                .objects
                .delete(r, path.namespace.as_deref(), name, &opts)
                .await?
            {
                Deleted::Pending(obj) => Ok(json_response(200, &obj)),
                Deleted::Gone(obj) if returns_deleted_object(r) => Ok(json_response(200, &obj)),
                Deleted::Gone(obj) => Ok(json_response(
                    200,
                    &success_status(r.plural, name, r.group, meta::uid(&obj)),
                )),
            }
        }
        (&Method::DELETE, None, None) => {
            let body = read_body(body).await?;
            let opts = delete_options(&query, &body)?;
            let selection =
                Selection::parse(r, query.get("labelSelector"), query.get("fieldSelector"))?;
            let page = server
                .objects
                .list(r, path.namespace.as_deref(), None, None, &|o| {
                    selection.matches(o)
                })
                .await?;
            let mut deleted = Vec::new();
            for obj in page.items {
                let name = meta::name(&obj).to_string();
                let ns = meta::namespace(&obj).map(String::from);
                match server.objects.delete(r, ns.as_deref(), &name, &opts).await {
                    Ok(Deleted::Pending(o) | Deleted::Gone(o)) => deleted.push(o),
                    Err(e) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
            let revision = server.objects.store.current_revision();
            Ok(json_response(
                200,
                &list_body(r, Output::Object, deleted, revision, None),
            ))
        }
        _ => Err(ApiError::method_not_allowed(method.as_str())),
    }
}

/// Resources whose immediate delete answers with the object rather than a `Status`.
fn returns_deleted_object(r: &ResourceInfo) -> bool {
    matches!(r.kind, "Pod" | "Service" | "Namespace" | "Node")
}

fn delete_options(query: &Query, body: &[u8]) -> Result<DeleteOptions, ApiError> {
    let mut opts = DeleteOptions {
        grace_period_seconds: query.int("gracePeriodSeconds")?,
        dry_run: query.all("dryRun").iter().any(|v| v == "All"),
        ..Default::default()
    };
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v: Value = decode::parse(BodyFormat::Json, body)?;
        if let Some(g) = v["gracePeriodSeconds"].as_i64() {
            opts.grace_period_seconds = Some(g);
        }
        if let Some(uid) = v["preconditions"]["uid"].as_str() {
            opts.precondition_uid = Some(uid.into());
        }
        if let Some(rv) = v["preconditions"]["resourceVersion"].as_str() {
            opts.precondition_resource_version = Some(rv.into());
        }
        if let Some(d) = v["dryRun"].as_array() {
            opts.dry_run |= d.iter().any(|x| x == "All");
        }
        if let Some(p) = v["propagationPolicy"].as_str()
            && !matches!(p, "Orphan" | "Background" | "Foreground")
        {
            return Err(ApiError::new(
                422,
                "Invalid",
                format!(
                    "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
                ),
            ));
        }
    }
    Ok(opts)
}

async fn list_or_watch(
    server: Arc<ApiServer>,
    r: &'static ResourceInfo,
    path: &ResourcePath,
    query: &Query,
    output: Output,
) -> Result<Response<Body>, ApiError> {
    let selection = Selection::parse(r, query.get("labelSelector"), query.get("fieldSelector"))?;
    if query.flag("watch") {
        let timeout = query
            .int("timeoutSeconds")?
            .map(|s| Duration::from_secs(s.max(0) as u64));
        return watch::watch(
            server,
            WatchRequest {
                resource: r,
                namespace: path.namespace.clone(),
                resource_version: query.get("resourceVersion").map(String::from),
                timeout,
                bookmarks: query.flag("allowWatchBookmarks"),
                output,
                selection,
            },
        )
        .await;
    }
    let limit = query.int("limit")?.filter(|l| *l > 0).map(|l| l as usize);
    let after = match query.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => Some(decode_continue(token)?),
        None => None,
    };
    let page = server
        .objects
        .list(r, path.namespace.as_deref(), limit, after, &|o| {
            selection.matches(o)
        })
        .await?;
    let cont = page
        .next
        .as_deref()
        .map(|k| encode_continue(k, page.revision));
    Ok(json_response(
        200,
        &list_body(r, output, page.items, page.revision, cont),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let t = encode_continue("/registry/pods/default/a", 42);
        assert_eq!(decode_continue(&t).unwrap(), "/registry/pods/default/a");
        assert_eq!(decode_continue("%%%").unwrap_err().code, 400);
    }

    #[test]
    fn lists_drop_item_kinds_and_tables_carry_the_revision() {
        let pods = kubelite_api::resources::lookup("", "v1", "pods").unwrap();
        let items = vec![
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a", "creationTimestamp": "2026-01-01T00:00:00Z"}}),
        ];
        let list = list_body(pods, Output::Object, items.clone(), 7, Some("c".into()));
        assert_eq!(list["kind"], "PodList");
        assert_eq!(
            list["metadata"],
            json!({"resourceVersion": "7", "continue": "c"})
        );
        assert!(list["items"][0].get("kind").is_none());
        let table = list_body(pods, Output::Table, items.clone(), 7, None);
        assert_eq!(table["kind"], "Table");
        assert_eq!(table["metadata"]["resourceVersion"], "7");
        let meta = list_body(pods, Output::Metadata, items, 7, None);
        assert_eq!(meta["items"][0]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn delete_options_from_query_and_body() {
        let q = Query::parse(Some("gracePeriodSeconds=5"));
        let o = delete_options(
            &q,
            br#"{"preconditions":{"uid":"u"},"propagationPolicy":"Background"}"#,
        )
        .unwrap();
        assert_eq!(o.grace_period_seconds, Some(5));
        assert_eq!(o.precondition_uid.as_deref(), Some("u"));
        assert_eq!(
            delete_options(&Query::default(), br#"{"propagationPolicy":"Sideways"}"#)
                .unwrap_err()
                .code,
            422
        );
        assert_eq!(
            delete_options(&Query::default(), b"{").unwrap_err().code,
            400
        );
    }
}
