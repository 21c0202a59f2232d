//! The Table envelope: `includeObject` modes, headers for watch events, empty lists.

use k8s_openapi::jiff::Timestamp;
use kubelite_table::{IncludeObject, table, table_without_columns};
use serde_json::{Value, json};

fn now() -> Timestamp {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

fn service() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "whoami", "namespace": "default", "labels": {"app": "whoami"},
            "creationTimestamp": "2025-06-01T11:59:00Z", "resourceVersion": "42"},
        "spec": {"type": "ClusterIP", "clusterIPs": ["10.43.12.7"], "ports": [{"port": 80, "protocol": "TCP"}]},
    })
}

#[test]
fn metadata_is_the_default_and_wraps_the_object_metadata() {
    assert_eq!(IncludeObject::default(), IncludeObject::Metadata);
    let t = table("services", &[service()], now(), IncludeObject::Metadata);
    assert_eq!(
        t["rows"][0]["object"],
        json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": service()["metadata"].clone(),
        })
    );
    let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "kind",
            "apiVersion",
            "metadata",
            "columnDefinitions",
            "rows"
        ]
    );
    assert_eq!(t["metadata"], json!({}));
}

#[test]
fn object_and_none_modes() {
    let full = table("services", &[service()], now(), IncludeObject::Object);
    assert_eq!(full["rows"][0]["object"], service());
    let none = table("services", &[service()], now(), IncludeObject::None);
    assert_eq!(
        none["rows"][0],
        json!({"cells": ["whoami", "ClusterIP", "10.43.12.7", "<none>", "80/TCP", "60s", "<none>"], "object": null})
    );
}

#[test]
fn metadata_of_an_object_without_metadata_is_empty() {
    let t = table(
        "widgets",
        &[json!({"kind": "Widget"})],
        now(),
        IncludeObject::Metadata,
    );
    assert_eq!(t["rows"][0]["object"]["metadata"], json!({}));
    assert_eq!(t["rows"][0]["cells"], json!(["", "0001-01-01T00:00:00Z"]));
}

#[test]
fn watch_events_after_the_first_have_null_column_definitions() {
    let with = table("pods", &[], now(), IncludeObject::Metadata);
    let without = table_without_columns("services", &[service()], now(), IncludeObject::Metadata);
    assert_eq!(with["columnDefinitions"].as_array().unwrap().len(), 9);
    assert_eq!(without["columnDefinitions"], Value::Null);
    assert_eq!(
        without["rows"],
        table("services", &[service()], now(), IncludeObject::Metadata)["rows"]
    );
}

#[test]
fn empty_lists_send_empty_rows_but_the_default_table_sends_null() {
    for resource in [
        "pods",
        "services",
        "endpoints",
        "endpointslices",
        "nodes",
        "namespaces",
        "events",
        "serviceaccounts",
    ] {
        assert_eq!(
            table(resource, &[], now(), IncludeObject::Metadata)["rows"],
            json!([]),
            "{resource}"
        );
    }
    let default = table("configmaps", &[], now(), IncludeObject::Metadata);
    assert_eq!(default["rows"], Value::Null);
    assert_eq!(
        default["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (
                c["name"].as_str().unwrap(),
                c["type"].as_str().unwrap(),
                c["format"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [("Name", "string", "name"), ("Created At", "date", "")]
    );
}

#[test]
fn wide_columns_have_priority_one() {
    let wide = |resource: &str| -> Vec<String> {
        table(resource, &[], now(), IncludeObject::None)["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["priority"] == 1)
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        wide("pods"),
        ["IP", "Node", "Nominated Node", "Readiness Gates"]
    );
    assert_eq!(wide("services"), ["Selector"]);
    assert_eq!(
        wide("nodes"),
        [
            "Internal-IP",
            "External-IP",
            "OS-Image",
            "Kernel-Version",
            "Container-Runtime"
        ]
    );
    assert_eq!(
        wide("events"),
        ["Subobject", "Source", "First Seen", "Count", "Name"]
    );
    assert!(wide("endpoints").is_empty());
    assert!(wide("endpointslices").is_empty());
}
