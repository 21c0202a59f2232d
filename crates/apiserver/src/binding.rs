//! `POST pods/{name}/binding`: a scheduler assigns a Pod to a node.

use http::Response;
use serde_json::{Value, json};

use crate::ApiServer;
use crate::decode::{BodyFormat, parse};
use crate::http::{Body, json_response};
use crate::meta::format_time;
use crate::objects::WriteOptions;
use crate::status::ApiError;

/// Sets `spec.nodeName` from the Binding's target and marks the Pod scheduled.
pub async fn bind(
    server: &ApiServer,
    ns: &str,
    name: &str,
    body: &[u8],
    opts: &WriteOptions,
) -> Result<Response<Body>, ApiError> {
    let binding: Value = parse(BodyFormat::Json, body).map_err(ApiError::bad_request)?;
    let node = binding["target"]["name"].as_str().unwrap_or("").to_string();
    if node.is_empty() {
        return Err(ApiError::invalid(
            "Binding",
            "",
            name,
            &[kubelite_api::validation::FieldError::required(
                &kubelite_api::validation::Path::new("target").child("name"),
                "",
            )],
        ));
    }
    if let Some(kind) = binding["target"]["kind"]
        .as_str()
        .filter(|k| !k.is_empty() && *k != "Node")
    {
        return Err(ApiError::bad_request(format!(
            "invalid binding target kind {kind:?}"
        )));
    }
    let pods = kubelite_api::resources::lookup("", "v1", "pods").expect("pods served");
    let change = |current: Option<&Value>| -> Result<Value, ApiError> {
        let Some(pod) = current else {
            return Err(ApiError::not_found("pods", name));
        };
        if crate::meta::is_deleting(pod) {
            return Err(ApiError::conflict(
                "pods/binding",
                name,
                format!("pod {name} is being deleted, cannot be assigned to a host"),
            ));
        }
        if let Some(existing) = pod["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
            return Err(ApiError::conflict(
                "pods/binding",
                name,
                format!("pod {name} is already assigned to node \"{existing}\""),
            ));
        }
        let mut pod = pod.clone();
        pod["spec"]["nodeName"] = json!(node);
        let now = format_time(jiff::Timestamp::now());
        let conditions = pod["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut conditions: Vec<Value> = conditions
            .into_iter()
            .filter(|c| c["type"] != "PodScheduled")
            .collect();
        conditions.push(json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}));
        pod["status"]["conditions"] = json!(conditions);
        Ok(pod)
    };
    server
        .objects
        .modify(pods, Some(ns), name, Some("binding"), opts, &change)
        .await?;
    Ok(json_response(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}
