//! Structural tests over the finished documents: every served kind is reachable the way
//! kubectl looks it up, every reference resolves inside its own document, and enum-typed
//! fields and `required` lists read as kube-apiserver 1.33 serves them.

use kubelite_api::resources::RESOURCES;
use serde_json::Value;

use super::*;
use crate::components::schema_name;
use crate::operations::root;

fn gv_key(group: &str, version: &str) -> String {
    root(group, version).trim_start_matches('/').to_string()
}

fn gvk_matches(ext: &Value, group: &str, version: &str, kind: &str) -> bool {
    let one = |v: &Value| v["group"] == group && v["version"] == version && v["kind"] == kind;
    match ext {
        Value::Array(list) => list.iter().any(one),
        other => one(other),
    }
}

/// Every `$ref` under `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::String(r)) = obj.get("$ref") {
                out.push(r);
            }
            obj.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn index_lists_every_document_with_its_hash() {
    let index = v3_index();
    let paths = index["paths"].as_object().unwrap();
    let keys: Vec<&str> = paths.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "api",
            "api/v1",
            "apis",
            "apis/discovery.k8s.io",
            "apis/discovery.k8s.io/v1",
            "version"
        ]
    );
    for (key, entry) in paths {
        let hash = v3_hash(key).unwrap();
        assert_eq!(hash.len(), 32);
        assert_eq!(
            entry["serverRelativeURL"],
            format!("/openapi/v3/{key}?hash={hash}")
        );
        assert_eq!(hash, hash::fnv1a_128_hex(v3_document_bytes(key).unwrap()));
        assert_eq!(
            serde_json::from_slice::<Value>(v3_document_bytes(key).unwrap()).unwrap(),
            v3_document(key).unwrap()
        );
    }
    assert_eq!(
        serde_json::from_slice::<Value>(v3_index_bytes()).unwrap(),
        index
    );
    assert!(v3_document("apis/apps/v1").is_none());
    assert_eq!(v3_document("/api/v1/"), v3_document("api/v1"));
}

#[test]
fn documents_are_deterministic() {
    for spec in specs::specs(Dialect::V3) {
        let again = serde_json::to_vec(&v3::document(&spec)).unwrap();
        assert_eq!(
            Some(again.as_slice()),
            v3_document_bytes(&spec.key),
            "{}",
            spec.key
        );
    }
}

#[test]
fn every_served_kind_and_list_carries_its_gvk() {
    for r in RESOURCES {
        let doc = v3_document(&gv_key(r.group, r.version)).unwrap();
        let schemas = &doc["components"]["schemas"];
        for kind in [r.kind.to_string(), format!("{}List", r.kind)] {
            let schema = &schemas[schema_name(r.group, r.version, &kind)];
            assert!(schema["properties"].is_object(), "{kind}");
            assert!(
                gvk_matches(
                    &schema["x-kubernetes-group-version-kind"],
                    r.group,
                    r.version,
                    &kind
                ),
                "{kind}"
            );
        }
        let v2 = v2_document();
        let schema = &v2["definitions"][schema_name(r.group, r.version, r.kind)];
        assert!(gvk_matches(
            &schema["x-kubernetes-group-version-kind"],
            r.group,
            r.version,
            r.kind
        ));
    }
}

#[test]
fn every_ref_resolves_inside_its_document() {
    for (key, _) in v3_index()["paths"].as_object().unwrap() {
        let doc = v3_document(key).unwrap();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty(), "{key}");
        for r in found {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r}"));
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{key}: {r}"
            );
        }
    }
    let doc = v2_document();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    for r in found {
        let name = r
            .strip_prefix("#/definitions/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(doc["definitions"].get(name).is_some(), "{r}");
    }
}

/// What kubectl's `queryParamVerifierV3` and v2 `QueryParamVerifier` look for.
fn patch_supports_field_validation(paths: &Value, group: &str, version: &str, kind: &str) -> bool {
    paths.as_object().unwrap().values().any(|item| {
        let op = &item["patch"];
        gvk_matches(&op["x-kubernetes-group-version-kind"], group, version, kind)
            && op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
    })
}

#[test]
fn every_kind_has_a_patch_with_field_validation() {
    let v2 = v2_document();
    for r in RESOURCES {
        let doc = v3_document(&gv_key(r.group, r.version)).unwrap();
        assert!(
            patch_supports_field_validation(&doc["paths"], r.group, r.version, r.kind),
            "{}",
            r.kind
        );
        assert!(
            patch_supports_field_validation(&v2["paths"], r.group, r.version, r.kind),
            "{}",
            r.kind
        );
    }
    let doc = v3_document("api/v1").unwrap();
    let patch = &doc["paths"]["/api/v1/namespaces/{namespace}/services/{name}"]["patch"];
    assert_eq!(patch["operationId"], "patchCoreV1NamespacedService");
    assert_eq!(patch["x-kubernetes-action"], "patch");
    assert!(patch["requestBody"]["content"]["application/strategic-merge-patch+json"].is_object());
    for name in ["dryRun", "fieldManager", "fieldValidation", "force"] {
        assert!(
            patch["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == name),
            "{name}"
        );
    }
}

#[test]
fn explain_paths_resolve_to_upstream_docs() {
    let doc = v3_document("api/v1").unwrap();
    let schemas = &doc["components"]["schemas"];
    let spec_ref = &schemas["io.k8s.api.core.v1.Service"]["properties"]["spec"];
    assert_eq!(
        spec_ref["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.ServiceSpec"
    );
    assert!(
        spec_ref["description"]
            .as_str()
            .unwrap()
            .starts_with("Spec defines the behavior of a service.")
    );
    let ports = &schemas["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"];
    assert_eq!(
        ports["items"]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.ServicePort"
    );
    assert_eq!(ports["x-kubernetes-patch-merge-key"], "port");
    assert_eq!(
        ports["x-kubernetes-list-map-keys"],
        serde_json::json!(["port", "protocol"])
    );
    assert_eq!(
        schemas["io.k8s.api.core.v1.ServicePort"]["properties"]["port"]["description"],
        "The port that will be exposed by this service."
    );
    let int_or_string = &schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert_eq!(int_or_string["format"], "int-or-string");
    assert!(int_or_string["oneOf"].is_array());
}

#[test]
fn v2_is_swagger_with_definitions_and_protobuf_form() {
    let doc = v2_document();
    assert_eq!(doc["swagger"], "2.0");
    let spec = &doc["definitions"]["io.k8s.api.core.v1.Service"]["properties"]["spec"];
    assert_eq!(spec["$ref"], "#/definitions/io.k8s.api.core.v1.ServiceSpec");
    assert_eq!(
        doc["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"],
        "string"
    );
    let create = &doc["paths"]["/api/v1/namespaces/{namespace}/pods"]["post"];
    assert_eq!(create["parameters"][0]["in"], "body");
    assert_eq!(
        create["parameters"][0]["schema"]["$ref"],
        "#/definitions/io.k8s.api.core.v1.Pod"
    );
    let mut unsupported = Vec::new();
    for schema in doc["definitions"].as_object().unwrap().values() {
        gnostic::unsupported_schema_keys(schema, &mut unsupported);
    }
    assert_eq!(unsupported, Vec::<String>::new());
    let pb = v2_document_protobuf();
    assert_eq!(&pb[..5], b"\x0a\x032.0");
    assert_eq!(
        serde_json::from_slice::<Value>(v2_document_bytes()).unwrap(),
        doc
    );
}

/// The schema `name` in the v3 document of `key` and in the v2 document.
fn both_dialects(key: &str, name: &str) -> [Value; 2] {
    [
        v3_document(key).unwrap()["components"]["schemas"][name].clone(),
        v2_document()["definitions"][name].clone(),
    ]
}

#[test]
fn enum_fields_carry_upstream_values_and_description_tails() {
    // (document, schema, field, enum, description tail) as kube-apiserver 1.33 serves them.
    let cases: &[(&str, &str, &str, &[&str], &str)] = &[
        (
            "api/v1",
            "io.k8s.api.core.v1.ServicePort",
            "protocol",
            &["SCTP", "TCP", "UDP"],
            "Default is TCP.\n\nPossible enum values:\n - `\"SCTP\"` is the SCTP protocol.\n - `\"TCP\"` is the TCP protocol.\n - `\"UDP\"` is the UDP protocol.",
        ),
        (
            "api/v1",
            "io.k8s.api.core.v1.ServiceSpec",
            "type",
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
            "Possible enum values:\n - `\"ClusterIP\"` means a service will only be accessible inside the cluster, via the cluster IP.\n - `\"ExternalName\"` means a service consists of only a reference to an external name that kubedns or equivalent will return as a CNAME record, with no exposing or proxying of any pods involved.\n - `\"LoadBalancer\"` means a service will be exposed via an external load balancer (if the cloud provider supports it), in addition to 'NodePort' type.\n - `\"NodePort\"` means a service will be exposed on one port of every node, in addition to 'ClusterIP' type.",
        ),
        (
            "api/v1",
            "io.k8s.api.core.v1.ServiceSpec",
            "internalTrafficPolicy",
            &["Cluster", "Local"],
            "Possible enum values:\n - `\"Cluster\"` routes traffic to all endpoints.\n - `\"Local\"` routes traffic only to endpoints on the same node as the client pod (dropping the traffic if there are no local endpoints).",
        ),
        (
            "api/v1",
            "io.k8s.api.core.v1.PodSpec",
            "restartPolicy",
            &["Always", "Never", "OnFailure"],
            "More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy\n\nPossible enum values:\n - `\"Always\"`\n - `\"Never\"`\n - `\"OnFailure\"`",
        ),
        (
            "api/v1",
            "io.k8s.api.core.v1.Container",
            "imagePullPolicy",
            &["Always", "IfNotPresent", "Never"],
            "Possible enum values:\n - `\"Always\"` means that kubelet always attempts to pull the latest image. Container will fail If the pull fails.\n - `\"IfNotPresent\"` means that kubelet pulls if the image isn't present on disk. Container will fail if the image isn't present and the pull fails.\n - `\"Never\"` means that kubelet never pulls an image, but only uses a local image. Container will fail if the image isn't present",
        ),
        (
            "api/v1",
            "io.k8s.api.core.v1.PodStatus",
            "phase",
            &["Failed", "Pending", "Running", "Succeeded", "Unknown"],
            "\n - `\"Unknown\"` means that for some reason the state of the pod could not be obtained, typically due to an error in communicating with the host of the pod. Deprecated: It isn't being set since 2015 (74da3b14b0c0f658b3bb8d2def5094686d0e9095)",
        ),
        (
            "api/v1",
            "io.k8s.api.core.v1.Toleration",
            "operator",
            &["Equal", "Exists"],
            "Possible enum values:\n - `\"Equal\"`\n - `\"Exists\"`",
        ),
        (
            "api/v1",
            "io.k8s.api.core.v1.NamespaceStatus",
            "phase",
            &["Active", "Terminating"],
            "Possible enum values:\n - `\"Active\"` means the namespace is available for use in the system\n - `\"Terminating\"` means the namespace is undergoing graceful termination",
        ),
        (
            "apis/discovery.k8s.io/v1",
            "io.k8s.api.discovery.v1.EndpointSlice",
            "addressType",
            &["FQDN", "IPv4", "IPv6"],
            "Possible enum values:\n - `\"FQDN\"` represents a FQDN.\n - `\"IPv4\"` represents an IPv4 Address.\n - `\"IPv6\"` represents an IPv6 Address.",
        ),
        (
            "apis/discovery.k8s.io/v1",
            "io.k8s.api.discovery.v1.EndpointPort",
            "protocol",
            &["SCTP", "TCP", "UDP"],
            "Default is TCP.\n\nPossible enum values:\n - `\"SCTP\"` is the SCTP protocol.",
        ),
    ];
    for (key, name, field, values, tail) in cases {
        for schema in both_dialects(key, name) {
            let property = &schema["properties"][field];
            assert_eq!(
                property["enum"],
                serde_json::json!(values),
                "{name}.{field}"
            );
            let description = property["description"].as_str().unwrap();
            assert!(
                description.ends_with(tail) || description.contains(&format!("{tail}\n")),
                "{name}.{field}: {description}"
            );
        }
    }
    // A list of an enum type gets the values on its items only.
    for schema in both_dialects("api/v1", "io.k8s.api.core.v1.ServiceSpec") {
        let families = &schema["properties"]["ipFamilies"];
        assert_eq!(
            families["items"]["enum"],
            serde_json::json!(["", "IPv4", "IPv6"])
        );
        assert!(families.get("enum").is_none());
        assert!(
            !families["description"]
                .as_str()
                .unwrap()
                .contains("Possible enum values")
        );
    }
}

#[test]
fn required_lists_match_upstream() {
    // (document, schema, upstream `required`; empty = no list).
    let cases: &[(&str, &str, &[&str])] = &[
        ("api/v1", "io.k8s.api.core.v1.Pod", &[]),
        ("api/v1", "io.k8s.api.core.v1.Service", &[]),
        ("api/v1", "io.k8s.api.core.v1.Namespace", &[]),
        ("api/v1", "io.k8s.api.core.v1.ServicePort", &["port"]),
        ("api/v1", "io.k8s.api.core.v1.Container", &["name"]),
        ("api/v1", "io.k8s.api.core.v1.PodSpec", &["containers"]),
        ("api/v1", "io.k8s.api.core.v1.LocalObjectReference", &[]),
        ("api/v1", "io.k8s.api.core.v1.SecretKeySelector", &["key"]),
        (
            "api/v1",
            "io.k8s.api.core.v1.Event",
            &["metadata", "involvedObject"],
        ),
        ("api/v1", "io.k8s.api.core.v1.Binding", &["target"]),
        (
            "api/v1",
            "io.k8s.api.core.v1.ContainerStatus",
            &["name", "ready", "restartCount", "image", "imageID"],
        ),
        ("api/v1", "io.k8s.api.core.v1.PodList", &["items"]),
        (
            "api/v1",
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            &[],
        ),
        ("api/v1", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", &[]),
        (
            "api/v1",
            "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
            &["type", "object"],
        ),
        (
            "apis/discovery.k8s.io/v1",
            "io.k8s.api.discovery.v1.EndpointSlice",
            &["addressType", "endpoints"],
        ),
    ];
    for (key, name, want) in cases {
        for schema in both_dialects(key, name) {
            assert!(schema.is_object(), "{name}");
            match schema.get("required") {
                None => assert!(want.is_empty(), "{name}: no required list"),
                Some(got) => assert_eq!(got, &serde_json::json!(want), "{name}"),
            }
        }
    }
}

#[test]
fn enum_and_required_tables_name_published_schemas() {
    let doc = v2_document();
    let definitions = doc["definitions"].as_object().unwrap();
    for short in enums::schema_names().chain(required::schema_names()) {
        assert!(
            definitions.contains_key(&format!("io.k8s.{short}")),
            "{short} is not published"
        );
    }
}

#[test]
fn list_and_watch_event_descriptions_follow_upstream() {
    let doc = v3_document("apis/discovery.k8s.io/v1").unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["io.k8s.api.discovery.v1.EndpointSliceList"]["properties"]["metadata"]["description"],
        "Standard list metadata."
    );
    let watch = &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"];
    assert_eq!(
        watch["description"],
        "Event represents a single event to a watched resource."
    );
    assert!(
        watch["properties"]["object"]["description"]
            .as_str()
            .unwrap()
            .starts_with(
                "Object is:\n * If Type is Added or Modified: the new state of the object."
            )
    );
    let core = v3_document("api/v1").unwrap();
    assert_eq!(
        core["components"]["schemas"]["io.k8s.api.core.v1.EndpointsList"]["description"],
        "EndpointsList is a list of endpoints. Deprecated: This API is deprecated in v1.33+."
    );
}
