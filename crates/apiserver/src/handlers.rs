//! The REST verbs on a resource URL: get, list, watch, create, update, patch, delete and
//! deletecollection, each answered in the representation the client negotiated.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use http::{HeaderMap, HeaderValue, Method, Request, Response, header};
use jiff::Timestamp;
use kubelite_api::resources::ResourceInfo;
use serde_json::{Value, json};

use crate::ApiServer;
use crate::decode::{self, BodyFormat, FieldValidation};
use crate::http::{Body, Query, RequestBody, bytes_response, json_response, read_body};
use crate::meta;
use crate::negotiate::{self, Output};
use crate::objects::{DeleteOptions, Deleted, WriteOptions, decode};
use crate::rawjson;
use crate::route::ResourcePath;
use crate::selection::Selection;
use crate::status::{ApiError, success_status};
use crate::watch::{self, WatchRequest};
use kubelite_store::KeyValue;

/// `PartialObjectMetadata` for an object.
pub fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
    })
}

fn list_metadata(revision: i64, cont: Option<String>) -> Value {
    let mut meta = json!({"resourceVersion": revision.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    meta
}

/// Objects decoded per Table chunk: bounds the memory a large Table takes to build.
const TABLE_CHUNK: usize = 256;

/// The negotiated representation of a list of stored objects. Plain JSON is assembled from the
/// stored bytes; Tables and metadata decode one chunk of objects at a time.
fn list_response(
    r: &ResourceInfo,
    output: Output,
    items: &[KeyValue],
    revision: i64,
    cont: Option<String>,
) -> Result<Response<Body>, ApiError> {
    let meta = list_metadata(revision, cont);
    match output {
        Output::Object => {
            let mut out =
                Vec::with_capacity(items.iter().map(|kv| kv.value.len() + 32).sum::<usize>() + 256);
            out.extend_from_slice(
                format!(
                    "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":",
                    r.kind,
                    r.api_version()
                )
                .as_bytes(),
            );
            out.extend_from_slice(meta.to_string().as_bytes());
            out.extend_from_slice(b",\"items\":[");
            for (i, kv) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                rawjson::write_item(kv, true, &mut out)?;
            }
            out.extend_from_slice(b"]}");
            Ok(bytes_response(200, "application/json", out))
        }
        Output::Table => {
            let now = Timestamp::now();
            let include = kubelite_table::IncludeObject::Metadata;
            if items.is_empty() {
                let mut table = kubelite_table::table(r.plural, &[], now, include);
                table["metadata"] = meta;
                return Ok(json_response(200, &table));
            }
            // Rows are rendered and written one chunk at a time, so a large Table never sits
            // in memory as one JSON tree.
            let head = kubelite_table::table(r.plural, &[], now, include);
            let mut out = Vec::with_capacity(items.len() * 1024);
            out.extend_from_slice(
                b"{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":",
            );
            out.extend_from_slice(meta.to_string().as_bytes());
            out.extend_from_slice(b",\"columnDefinitions\":");
            out.extend_from_slice(head["columnDefinitions"].to_string().as_bytes());
            out.extend_from_slice(b",\"rows\":[");
            // Large Tables are printed on every core: each thread renders a contiguous share of
            // the rows, and the shares are joined in order.
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(items.len().div_ceil(TABLE_CHUNK));
            let share = items.len().div_ceil(threads.max(1));
            let parts: Vec<Result<Vec<u8>, ApiError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = items
                    .chunks(share.max(1))
                    .map(|slice| scope.spawn(move || table_rows(r, slice, now)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(ApiError::internal("printing a Table failed")))
                    })
                    .collect()
            });
            for (i, part) in parts.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&part?);
            }
            out.extend_from_slice(b"]}");
            Ok(bytes_response(200, "application/json", out))
        }
        Output::Metadata => {
            let items = items
                .iter()
                .map(|kv| decode(kv).map(|o| partial_metadata(&o)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(json_response(
                200,
                &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "items": items}),
            ))
        }
    }
}

/// The comma-separated Table rows of `items`: cells from the printer, each row's object
/// (PartialObjectMetadata, managedFields included) written from the stored bytes.
fn table_rows(r: &ResourceInfo, items: &[KeyValue], now: Timestamp) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(items.len() * 1024);
    for chunk in items.chunks(TABLE_CHUNK) {
        let objects = chunk
            .iter()
            .map(rawjson::decode_for_printing)
            .collect::<Result<Vec<_>, _>>()?;
        let part = kubelite_table::table_without_columns(
            r.plural,
            &objects,
            now,
            kubelite_table::IncludeObject::None,
        );
        let rows = part["rows"].as_array().into_iter().flatten();
        for (row, kv) in rows.zip(chunk) {
            if !out.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"cells\":");
            serde_json::to_writer(&mut out, &row["cells"]).map_err(ApiError::internal)?;
            if let Some(conditions) = row.get("conditions").filter(|c| !c.is_null()) {
                out.extend_from_slice(b",\"conditions\":");
                serde_json::to_writer(&mut out, conditions).map_err(ApiError::internal)?;
            }
            out.extend_from_slice(b",\"object\":");
            rawjson::write_partial_metadata(kv, &mut out)?;
            out.push(b'}');
        }
    }
    Ok(out)
}

/// A list of decoded objects as plain JSON (the answer to a deletecollection).
fn object_list(r: &ResourceInfo, items: Vec<Value>, revision: i64) -> Value {
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
    json!({"kind": format!("{}List", r.kind), "apiVersion": r.api_version(), "metadata": list_metadata(revision, None), "items": items})
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
    format: BodyFormat,
    query: &Query,
    body: &[u8],
) -> Result<(Value, Vec<String>), ApiError> {
    let validation = FieldValidation::parse(query.get("fieldValidation"))?;
    let mut obj = decode::parse_object(r, format, body)?;
    decode::check_kind(r, &mut obj)?;
    let unknown = decode::unknown_fields(r, &mut obj)?;
    let warnings = match validation {
        FieldValidation::Strict if !unknown.is_empty() => {
            return Err(decode::strict_error(r, &unknown));
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
    req: Request<RequestBody>,
    path: ResourcePath,
) -> Result<Response<Body>, ApiError> {
    let (parts, body) = req.into_parts();
    let mut body = Some(body);
    let result = verb(server, Request::from_parts(parts, ()), &mut body, path).await;
    if let Some(unread) = body.take() {
        crate::http::drain(unread).await;
    }
    result
}

/// Takes the request body out of its slot; a body is read once.
async fn take_body(slot: &mut Option<RequestBody>) -> Result<bytes::Bytes, ApiError> {
    match slot.take() {
        Some(b) => read_body(b).await,
        None => Ok(bytes::Bytes::new()),
    }
}

async fn verb(
    server: Arc<ApiServer>,
    req: Request<()>,
    body: &mut Option<RequestBody>,
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
        return Err(ApiError::method_not_allowed());
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let method = req.method().clone();
    let (parts, ()) = req.into_parts();
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
            let format = decode::body_format(content_type(&headers).as_deref())?;
            let body = take_body(body).await?;
            let (obj, warnings) = decode_object(r, format, &query, &body)?;
            check_namespace(r, &path, &obj)?;
            let opts = write_options(&query, &headers)?;
            let created = server
                .objects
                .create(r, path.namespace.as_deref(), obj, &opts)
                .await?;
            Ok(with_warnings(json_response(201, &created), &warnings))
        }
        (&Method::POST, Some(name), Some("binding")) => {
            let body = take_body(body).await?;
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
            Some(sub @ ("exec" | "attach" | "portforward" | "log")),
        ) => {
            let mut extensions = parts.extensions;
            let incoming = crate::proxy::Incoming {
                method: method.clone(),
                uri: parts.uri,
                headers,
                on_upgrade: extensions.remove::<hyper::upgrade::OnUpgrade>(),
            };
            let ns = path.namespace.as_deref().unwrap_or("default");
            crate::proxy::pod_subresource(&server, r, ns, name, sub, incoming).await
        }
        (&Method::PUT, Some(name), sub @ (None | Some("status" | "finalize"))) => {
            let format = decode::body_format(content_type(&headers).as_deref())?;
            let body = take_body(body).await?;
            let (obj, warnings) = decode_object(r, format, &query, &body)?;
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
            crate::patch::check_patch_type(&headers)?;
            let body = take_body(body).await?;
            crate::patch::patch(&server, r, &path, name, sub, &headers, &query, &body).await
        }
        (&Method::DELETE, Some(name), None) => {
            let body = take_body(body).await?;
            let opts = delete_options(
                &query,
                decode::body_format(content_type(&headers).as_deref())?,
                &body,
            )?;
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
            let body = take_body(body).await?;
            let opts = delete_options(
                &query,
                decode::body_format(content_type(&headers).as_deref())?,
                &body,
            )?;
            let selection =
                Selection::parse(r, query.get("labelSelector"), query.get("fieldSelector"))?;
            let (objects, _) = server
                .objects
                .list_objects(r, path.namespace.as_deref(), Some(&selection))
                .await?;
            let mut deleted = Vec::new();
            for obj in objects {
                let name = meta::name(&obj).to_string();
                let ns = meta::namespace(&obj).map(String::from);
                match server.objects.delete(r, ns.as_deref(), &name, &opts).await {
                    Ok(Deleted::Pending(o) | Deleted::Gone(o)) => deleted.push(o),
                    Err(e) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
            let revision = server.objects.store.current_revision();
            Ok(json_response(200, &object_list(r, deleted, revision)))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// Resources whose immediate delete answers with the object rather than a `Status`.
fn returns_deleted_object(r: &ResourceInfo) -> bool {
    matches!(r.kind, "Pod" | "Service" | "Namespace" | "Node")
}

fn delete_options(
    query: &Query,
    format: BodyFormat,
    body: &[u8],
) -> Result<DeleteOptions, ApiError> {
    let mut opts = DeleteOptions {
        grace_period_seconds: query.int("gracePeriodSeconds")?,
        dry_run: query.all("dryRun").iter().any(|v| v == "All"),
        ..Default::default()
    };
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v: Value = match format {
            BodyFormat::Protobuf => kubelite_protobuf::decode(body, "v1", "DeleteOptions")
                .map_err(|e| ApiError::bad_request(e.to_string()))?,
            other => decode::parse(other, body).map_err(ApiError::bad_request)?,
        };
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
        .list(r, path.namespace.as_deref(), limit, after, Some(&selection))
        .await?;
    let cont = page
        .next
        .as_deref()
        .map(|k| encode_continue(k, page.revision));
    list_response(r, output, &page.items, page.revision, cont)
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

    fn body_json(resp: Response<Body>) -> Value {
        let bytes = futures::executor::block_on(http_body_util::BodyExt::collect(resp.into_body()))
            .unwrap()
            .to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn lists_drop_item_kinds_and_tables_carry_the_revision() {
        let pods = kubelite_api::resources::lookup("", "v1", "pods").unwrap();
        let obj = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a", "creationTimestamp": "2026-01-01T00:00:00Z"}});
        let items: Vec<KeyValue> = (0..600)
            .map(|i| KeyValue {
                key: format!("/registry/pods/default/p{i}"),
                value: serde_json::to_vec(&obj).unwrap().into(),
                create_revision: 2,
                mod_revision: 5,
            })
            .collect();
        let list = body_json(
            list_response(pods, Output::Object, &items[..1], 7, Some("c".into())).unwrap(),
        );
        assert_eq!(list["kind"], "PodList");
        assert_eq!(
            list["metadata"],
            json!({"resourceVersion": "7", "continue": "c"})
        );
        assert!(list["items"][0].get("kind").is_none());
        assert_eq!(list["items"][0]["metadata"]["resourceVersion"], "5");
        let table = body_json(list_response(pods, Output::Table, &items, 7, None).unwrap());
        assert_eq!(table["kind"], "Table");
        assert_eq!(table["metadata"]["resourceVersion"], "7");
        assert_eq!(
            table["rows"].as_array().unwrap().len(),
            600,
            "rows of every chunk"
        );
        assert!(!table["columnDefinitions"].as_array().unwrap().is_empty());
        let meta = body_json(list_response(pods, Output::Metadata, &items[..1], 7, None).unwrap());
        assert_eq!(meta["items"][0]["kind"], "PartialObjectMetadata");
        let empty = body_json(list_response(pods, Output::Table, &[], 7, None).unwrap());
        assert_eq!(empty["rows"], json!([]));
    }

    #[test]
    fn delete_options_from_query_and_body() {
        let q = Query::parse(Some("gracePeriodSeconds=5"));
        let o = delete_options(
            &q,
            BodyFormat::Json,
            br#"{"preconditions":{"uid":"u"},"propagationPolicy":"Background"}"#,
        )
        .unwrap();
        assert_eq!(o.grace_period_seconds, Some(5));
        assert_eq!(o.precondition_uid.as_deref(), Some("u"));
        assert_eq!(
            delete_options(
                &Query::default(),
                BodyFormat::Json,
                br#"{"propagationPolicy":"Sideways"}"#
            )
            .unwrap_err()
            .code,
            422
        );
        assert_eq!(
            delete_options(&Query::default(), BodyFormat::Json, b"{")
                .unwrap_err()
                .code,
            400
        );
    }
}
