//! Renders all specs as the single Swagger 2.0 document of `/openapi/v2`: body parameters,
//! `consumes`/`produces`, `#/definitions/` references.

use serde_json::{Map, Value, json};

use crate::components::REF_PREFIX;
use crate::operations::{Location, Operation, Param, PathItem, Payload};
use crate::specs::Spec;
use crate::v3::{gvk_value, status_text};

const DEFINITIONS_PREFIX: &str = "#/definitions/";

fn param(p: &Param) -> Value {
    let mut out = Map::new();
    if p.unique_items {
        out.insert("uniqueItems".into(), true.into());
    }
    out.insert("type".into(), p.ty.as_str().into());
    out.insert("description".into(), p.description.clone().into());
    out.insert("name".into(), p.name.into());
    out.insert(
        "in".into(),
        if p.location == Location::Path {
            "path"
        } else {
            "query"
        }
        .into(),
    );
    if p.required {
        out.insert("required".into(), true.into());
    }
    out.into()
}

fn operation(op: &Operation) -> Value {
    let mut out = Map::new();
    let consumes: Vec<&str> = op.body.as_ref().map_or(vec!["*/*"], |b| b.1.to_vec());
    out.insert("consumes".into(), json!(consumes));
    out.insert("produces".into(), json!(op.produces));
    out.insert("schemes".into(), json!(["https"]));
    out.insert("tags".into(), json!([op.tag]));
    out.insert("description".into(), op.description.clone().into());
    out.insert("operationId".into(), op.id.clone().into());
    let mut params: Vec<Value> = Vec::new();
    if let Some((schema, _)) = &op.body {
        let mut body = json!({"name": "body", "in": "body", "schema": {"$ref": format!("{DEFINITIONS_PREFIX}{schema}")}});
        if !schema.ends_with(".DeleteOptions") {
            body["required"] = true.into();
        }
        params.push(body);
    }
    params.extend(op.params.iter().map(param));
    if !params.is_empty() {
        out.insert("parameters".into(), params.into());
    }
    let mut responses = Map::new();
    for (code, payload) in &op.responses {
        let schema = match payload {
            Payload::Schema(name) => json!({"$ref": format!("{DEFINITIONS_PREFIX}{name}")}),
            Payload::Text => json!({"type": "string"}),
        };
        responses.insert(
            code.to_string(),
            json!({"description": status_text(code), "schema": schema}),
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

/// Points every `#/components/schemas/` reference at `#/definitions/`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::String(reference)) = obj.get_mut("$ref")
                && let Some(name) = reference.strip_prefix(REF_PREFIX)
            {
                *reference = format!("{DEFINITIONS_PREFIX}{name}");
            }
            obj.values_mut().for_each(rewrite_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// The Swagger 2.0 document covering every spec (rendered with [`crate::components::Dialect::V2`]).
pub(crate) fn document(specs: &[Spec]) -> Value {
    let mut paths: Vec<(&str, Value)> = Vec::new();
    let mut definitions = Map::new();
    for spec in specs {
        paths.extend(spec.paths.iter().map(|p| (p.path.as_str(), path_item(p))));
        for (name, schema) in &spec.schemas {
            definitions
                .entry(name.clone())
                .or_insert_with(|| schema.clone());
        }
    }
    paths.sort_by(|a, b| a.0.cmp(b.0));
    let mut definitions: Vec<(String, Value)> = definitions.into_iter().collect();
    definitions.sort_by(|a, b| a.0.cmp(&b.0));
    let mut definitions: Map<String, Value> = definitions.into_iter().collect();
    definitions.values_mut().for_each(rewrite_refs);
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "unversioned"},
        "paths": paths.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<String, Value>>(),
        "definitions": definitions,
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "type": "apiKey",
                "name": "authorization",
                "in": "header"
            }
        },
        "security": [{"BearerToken": []}]
    })
}
