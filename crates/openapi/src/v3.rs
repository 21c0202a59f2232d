//! Renders specs as OpenAPI 3.0 documents (`/openapi/v3/<key>`) and the `/openapi/v3` index,
//! in kube-openapi's shape: inline parameters, `requestBody`, one `content` entry per media type.

use serde_json::{Map, Value, json};

use crate::components::REF_PREFIX;
use crate::operations::{Gvk, Location, Operation, Param, PathItem, Payload};
use crate::specs::Spec;

pub(crate) fn status_text(code: &str) -> &'static str {
    match code {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        _ => "Unauthorized",
    }
}

pub(crate) fn gvk_value(gvk: &Gvk) -> Value {
    json!({"group": gvk.group, "kind": gvk.kind, "version": gvk.version})
}

fn param(p: &Param) -> Value {
    let mut schema = json!({"type": p.ty.as_str()});
    if p.unique_items {
        schema["uniqueItems"] = true.into();
    }
    let mut out = json!({
        "name": p.name,
        "in": if p.location == Location::Path { "path" } else { "query" },
        "description": p.description,
    });
    if p.required {
        out["required"] = true.into();
    }
    out["schema"] = schema;
    out
}

fn payload_schema(payload: &Payload) -> Value {
    match payload {
        Payload::Schema(name) => json!({"$ref": format!("{REF_PREFIX}{name}")}),
        Payload::Text => json!({"type": "string"}),
    }
}

fn operation(op: &Operation) -> Value {
    let mut out = Map::new();
    out.insert("tags".into(), json!([op.tag]));
    out.insert("description".into(), op.description.clone().into());
    out.insert("operationId".into(), op.id.clone().into());
    if !op.params.is_empty() {
        out.insert("parameters".into(), op.params.iter().map(param).collect());
    }
    if let Some((schema, media)) = &op.body {
        let content: Map<String, Value> = media
            .iter()
            .map(|m| {
                (
                    m.to_string(),
                    json!({"schema": {"$ref": format!("{REF_PREFIX}{schema}")}}),
                )
            })
            .collect();
        let mut body = json!({"content": content});
        if !schema.ends_with(".DeleteOptions") {
            body["required"] = true.into();
        }
        out.insert("requestBody".into(), body);
    }
    let mut responses = Map::new();
    for (code, payload) in &op.responses {
        let content: Map<String, Value> = op
            .produces
            .iter()
            .map(|m| (m.to_string(), json!({"schema": payload_schema(payload)})))
            .collect();
        responses.insert(
            code.to_string(),
            json!({"description": status_text(code), "content": content}),
        );
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    out.insert("responses".into(), responses.into());
    if let Some(action) = op.action {
        out.insert("x-kubernetes-action".into(), action.into());
    }
    if let Some(gvk) = &op.gvk {
        out.insert("x-kubernetes-group-version-kind".into(), gvk_value(gvk));
    }
    out.into()
}

fn path_item(item: &PathItem) -> Value {
    let mut out = Map::new();
    for op in &item.operations {
        out.insert(op.method.as_str().into(), operation(op));
    }
    if !item.params.is_empty() {
        out.insert("parameters".into(), item.params.iter().map(param).collect());
    }
    out.into()
}

/// The OpenAPI 3.0 document of one spec.
pub(crate) fn document(spec: &Spec) -> Value {
    let paths: Map<String, Value> = spec
        .paths
        .iter()
        .map(|p| (p.path.clone(), path_item(p)))
        .collect();
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "unversioned"},
        "paths": paths,
        "components": {
            "schemas": spec.schemas,
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header"
                }
            }
        }
    })
}

/// The `/openapi/v3` index: each key with its hash-pinned `serverRelativeURL`.
pub(crate) fn index<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    let paths: Map<String, Value> = entries
        .map(|(key, hash)| {
            (
                key.to_string(),
                json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={hash}")}),
            )
        })
        .collect();
    json!({ "paths": paths })
}
