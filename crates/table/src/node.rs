//! The nodes Table (`printNode`, 1.33).
//!
//! Columns: Name, Status (`Ready` / `NotReady` from the Ready condition, `Unknown` without one,
//! plus `,SchedulingDisabled` when cordoned), Roles (sorted roles from `node-role.kubernetes.io/<role>`
//! keys and the `kubernetes.io/role` value, or `<none>`), Age, Version, and wide: Internal-IP and
//! External-IP (first address of that type, `<none>`), OS-Image, Kernel-Version, Container-Runtime
//! (`<unknown>` when empty).

use std::collections::BTreeSet;

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;
use crate::descriptions;
use crate::fields::{bool_at, list_at, str_at, string_map_at};
use crate::printer::{Printer, Row};
use crate::timestamp;

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::new("Status", "string", "The status of the node"),
        Column::new("Roles", "string", "The roles of the node"),
        Column::age(),
        Column::new("Version", "string", descriptions::NODE_KUBELET_VERSION),
        Column::new("Internal-IP", "string", descriptions::NODE_ADDRESSES).wide(),
        Column::new("External-IP", "string", descriptions::NODE_ADDRESSES).wide(),
        Column::new("OS-Image", "string", descriptions::NODE_OS_IMAGE).wide(),
        Column::new(
            "Kernel-Version",
            "string",
            descriptions::NODE_KERNEL_VERSION,
        )
        .wide(),
        Column::new(
            "Container-Runtime",
            "string",
            descriptions::NODE_CONTAINER_RUNTIME_VERSION,
        )
        .wide(),
    ],
    row,
    empty_rows_are_null: false,
};

const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";
const ROLE_LABEL: &str = "kubernetes.io/role";

fn status(node: &Value) -> String {
    // Upstream builds a map by type, so the last Ready condition wins.
    let ready = list_at(node, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| str_at(c, &["type"]) == "Ready");
    let mut parts = vec![match ready {
        Some(c) if str_at(c, &["status"]) == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if bool_at(node, &["spec", "unschedulable"]) {
        parts.push("SchedulingDisabled");
    }
    parts.join(",")
}

fn roles(node: &Value) -> String {
    let roles: BTreeSet<&str> = string_map_at(node, &["metadata", "labels"])
        .into_iter()
        .filter_map(|(key, value)| match key.strip_prefix(ROLE_LABEL_PREFIX) {
            Some(role) if !role.is_empty() => Some(role),
            Some(_) => None,
            None if key == ROLE_LABEL && !value.is_empty() => Some(value),
            None => None,
        })
        .collect();
    if roles.is_empty() {
        "<none>".to_owned()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    }
}

fn address(node: &Value, type_: &str) -> String {
    list_at(node, &["status", "addresses"])
        .iter()
        .find(|a| str_at(a, &["type"]) == type_)
        .map_or("<none>", |a| str_at(a, &["address"]))
        .to_owned()
}

fn info_or_unknown<'a>(node: &'a Value, field: &str) -> &'a str {
    match str_at(node, &["status", "nodeInfo", field]) {
        "" => "<unknown>",
        value => value,
    }
}

fn row(node: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        str_at(node, &["metadata", "name"]).into(),
        status(node).into(),
        roles(node).into(),
        timestamp::since(timestamp::at(node, &["metadata", "creationTimestamp"]), now).into(),
        str_at(node, &["status", "nodeInfo", "kubeletVersion"]).into(),
        address(node, "InternalIP").into(),
        address(node, "ExternalIP").into(),
        info_or_unknown(node, "osImage").into(),
        info_or_unknown(node, "kernelVersion").into(),
        info_or_unknown(node, "containerRuntimeVersion").into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_uses_the_last_ready_condition_and_cordon() {
        let cases = [
            (
                json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
                "Ready",
            ),
            (
                json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}),
                "NotReady",
            ),
            (
                json!({"status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "Ready", "status": "True"}]}}),
                "Ready",
            ),
            (
                json!({"status": {"conditions": [{"type": "DiskPressure", "status": "True"}]}}),
                "Unknown",
            ),
            (
                json!({"spec": {"unschedulable": true}}),
                "Unknown,SchedulingDisabled",
            ),
            (
                json!({"spec": {"unschedulable": true}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
                "Ready,SchedulingDisabled",
            ),
        ];
        for (node, want) in cases {
            assert_eq!(status(&node), want, "{node}");
        }
    }

    #[test]
    fn roles_merge_both_label_styles() {
        let node = json!({"metadata": {"labels": {
            "node-role.kubernetes.io/worker": "ignored-value",
            "kubernetes.io/role": "edge",
            "node-role.kubernetes.io/": "",
            "node-role.kubernetes.io/control-plane": "",
        }}});
        assert_eq!(roles(&node), "control-plane,edge,worker");
        assert_eq!(
            roles(&json!({"metadata": {"labels": {"kubernetes.io/role": ""}}})),
            "<none>"
        );
    }
}
