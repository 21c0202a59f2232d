//! What every cluster has from its first start: the system namespaces and the `kubernetes`
//! Service with its Endpoints and EndpointSlice pointing at this API server.

use std::net::Ipv4Addr;

use kubelite_api::resources::lookup;
use serde_json::{Value, json};

use crate::objects::{Objects, WriteOptions};
use crate::status::ApiError;

/// Namespaces that exist from the start and may not be deleted.
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// Creates `obj` unless an object of that name exists already.
pub async fn ensure(
    objects: &Objects,
    resource: &str,
    group: &str,
    ns: Option<&str>,
    obj: Value,
) -> Result<(), ApiError> {
    let r = lookup(group, "v1", resource).expect("served resource");
    // As if sent by a client: stored objects carry their kind, which reads return.
    let mut obj = obj;
    obj["apiVersion"] = Value::from(r.api_version());
    obj["kind"] = Value::from(r.kind);
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    match objects.get(r, ns, &name).await {
        Ok(_) => return Ok(()),
        Err(e) if e.code == 404 => {}
        Err(e) => return Err(e),
    }
    let opts = WriteOptions {
        field_manager: "kube-apiserver".into(),
        ..Default::default()
    };
    match objects.create(r, ns, obj, &opts).await {
        Ok(_) => Ok(()),
        Err(e) if e.reason == "AlreadyExists" => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn bootstrap(objects: &Objects, advertise: Ipv4Addr, port: u16) -> Result<(), ApiError> {
    for ns in SYSTEM_NAMESPACES {
        ensure(
            objects,
            "namespaces",
            "",
            None,
            json!({"metadata": {"name": ns}}),
        )
        .await?;
    }
    let service_ip = objects.services.nth_ip(1).to_string();
    ensure(
        objects,
        "services",
        "",
        Some("default"),
        json!({
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {
                "clusterIP": service_ip,
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}],
                "sessionAffinity": "None",
                "type": "ClusterIP",
            },
        }),
    )
    .await?;
    reconcile_endpoints(objects, advertise, port).await
}

/// Points the `kubernetes` Endpoints and EndpointSlice at `ip:port`, as kube-apiserver's
/// endpoint reconciler does with its advertise address: whatever else is in them is replaced,
/// and an unchanged object is not written.
pub async fn reconcile_endpoints(
    objects: &Objects,
    ip: Ipv4Addr,
    port: u16,
) -> Result<(), ApiError> {
    let opts = WriteOptions {
        field_manager: "kube-apiserver".into(),
        ..Default::default()
    };
    let desired = [
        (
            "endpoints",
            "",
            json!({
                "apiVersion": "v1", "kind": "Endpoints",
                "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
                "subsets": [{"addresses": [{"ip": ip.to_string()}], "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}],
            }),
            &["subsets"][..],
        ),
        (
            "endpointslices",
            "discovery.k8s.io",
            json!({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"kubernetes.io/service-name": "kubernetes"}},
                "addressType": "IPv4",
                "endpoints": [{"addresses": [ip.to_string()], "conditions": {"ready": true}}],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
            }),
            &["addressType", "endpoints", "ports"][..],
        ),
    ];
    for (resource, group, want, fields) in desired {
        let r = lookup(group, "v1", resource).expect("served resource");
        let change = |current: Option<&Value>| -> Result<Value, ApiError> {
            let Some(current) = current else {
                return Ok(want.clone());
            };
            let mut next = current.clone();
            for field in fields {
                next[*field] = want[*field].clone();
            }
            Ok(next)
        };
        objects
            .modify(r, Some("default"), "kubernetes", None, &opts, &change)
            .await?;
    }
    Ok(())
}
