//! `components.schemas` (OpenAPI 3) / `definitions` (Swagger 2) for one group-version: the
//! schemas of its served kinds, their lists and the meta types the operations use, generated
//! from k8s-openapi's `JsonSchema` impls (upstream names and descriptions) and completed with
//! what k8s-openapi leaves out or gets wrong: GVK extensions, list/patch extensions, enums,
//! upstream `required` lists, list kinds and the upstream shapes of `IntOrString`, `Quantity`
//! and `WatchEvent`.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::discovery::v1 as discovery;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use kubelite_api::resources::ResourceInfo;
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use crate::{enums, extensions, required};

/// Where `$ref`s point while generating; the Swagger 2 renderer rewrites the prefix.
pub(crate) const REF_PREFIX: &str = "#/components/schemas/";

pub(crate) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(crate) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(crate) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
pub(crate) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(crate) const API_RESOURCE_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";
const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// Which OpenAPI dialect the schemas are rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// OpenAPI 3.0: a `$ref` with siblings becomes `allOf: [{$ref}]`, as kube-openapi emits.
    V3,
    /// Swagger 2.0: `$ref` keeps its `description` sibling, int-or-string is `type: string`.
    V2,
}

/// Upstream name of a kind's schema: `io.k8s.api.core.v1.Pod`, `io.k8s.api.discovery.v1.EndpointSlice`.
pub(crate) fn schema_name(group: &str, version: &str, kind: &str) -> String {
    let pkg = if group.is_empty() {
        "core"
    } else {
        group.split('.').next().unwrap_or(group)
    };
    format!("io.k8s.api.{pkg}.{version}.{kind}")
}

/// Registers the Rust type of a served (or subresource) kind; `false` if kubelite has no type for it.
fn register_kind(generator: &mut SchemaGenerator, group: &str, version: &str, kind: &str) -> bool {
    match (group, version, kind) {
        ("", "v1", "Namespace") => generator.subschema_for::<core::Namespace>(),
        ("", "v1", "Node") => generator.subschema_for::<core::Node>(),
        ("", "v1", "Pod") => generator.subschema_for::<core::Pod>(),
        ("", "v1", "Service") => generator.subschema_for::<core::Service>(),
        ("", "v1", "Endpoints") => generator.subschema_for::<core::Endpoints>(),
        ("", "v1", "Event") => generator.subschema_for::<core::Event>(),
        ("", "v1", "ServiceAccount") => generator.subschema_for::<core::ServiceAccount>(),
        ("", "v1", "Binding") => generator.subschema_for::<core::Binding>(),
        ("discovery.k8s.io", "v1", "EndpointSlice") => {
            generator.subschema_for::<discovery::EndpointSlice>()
        }
        _ => return false,
    };
    true
}

/// Upstream descriptions of the list kinds (from the `XxxList` Go types), keyed by item kind:
/// (list description, `items` description).
fn list_descriptions(kind: &str) -> (String, String) {
    let (list, items) = match kind {
        "Pod" => (
            "PodList is a list of Pods.",
            "List of pods. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
        ),
        "Service" => ("ServiceList holds a list of services.", "List of services"),
        "ServiceAccount" => (
            "ServiceAccountList is a list of ServiceAccount objects",
            "List of ServiceAccounts. More info: https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
        ),
        "Endpoints" => (
            "EndpointsList is a list of endpoints. Deprecated: This API is deprecated in v1.33+.",
            "List of endpoints.",
        ),
        "Node" => (
            "NodeList is the whole list of all Nodes which have been registered with master.",
            "List of nodes",
        ),
        "Namespace" => (
            "NamespaceList is a list of Namespaces.",
            "Items is the list of Namespace objects in the list. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
        ),
        "Event" => ("EventList is a list of events.", "List of events"),
        "EndpointSlice" => (
            "EndpointSliceList represents a list of endpoint slices",
            "items is the list of endpoint slices",
        ),
        _ => {
            return (
                format!("{kind}List is a list of {kind} objects."),
                format!("List of {kind} objects."),
            );
        }
    };
    (list.to_string(), items.to_string())
}

/// The `metadata` description of a list kind (the `XxxList.ListMeta` field comment).
fn list_metadata_description(kind: &str) -> &'static str {
    match kind {
        "EndpointSlice" => "Standard list metadata.",
        _ => {
            "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
        }
    }
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "kind": kind, "version": version})
}

/// The `XxxList` schema of a kind (k8s-openapi models lists generically, so it has none).
fn list_schema(r: &ResourceInfo) -> Value {
    let (description, items) = list_descriptions(r.kind);
    let item_ref = format!("{REF_PREFIX}{}", schema_name(r.group, r.version, r.kind));
    json!({
        "description": description,
        "type": "object",
        "properties": {
            "apiVersion": {
                "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                "type": "string"
            },
            "items": {"description": items, "type": "array", "items": {"$ref": item_ref}},
            "kind": {
                "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                "type": "string"
            },
            "metadata": {
                "$ref": format!("{REF_PREFIX}{LIST_META}"),
                "description": list_metadata_description(r.kind)
            }
        },
        "x-kubernetes-group-version-kind": [gvk(r.group, r.version, &format!("{}List", r.kind))]
    })
}

fn generator() -> SchemaGenerator {
    SchemaGenerator::new(SchemaSettings::draft07().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
        s.transforms.clear();
    }))
}

/// The schemas a document serving `resources` (all of one group-version) references, keyed by
/// upstream name. `all_group_versions` is what the meta kinds' GVK extensions list, as upstream
/// tags `DeleteOptions` and `WatchEvent` with every group-version they are used in.
pub(crate) fn schemas(
    resources: &[&ResourceInfo],
    all_group_versions: &[(&str, &str)],
    dialect: Dialect,
) -> Map<String, Value> {
    let mut generator = generator();
    let mut gvks: Vec<(String, Value)> = Vec::new();
    for r in resources {
        assert!(
            register_kind(&mut generator, r.group, r.version, r.kind),
            "no schema for served kind {}",
            r.kind
        );
        gvks.push((
            schema_name(r.group, r.version, r.kind),
            gvk(r.group, r.version, r.kind),
        ));
        for sub in r.subresources {
            let group = if sub.version.is_empty() {
                r.group
            } else {
                sub.group
            };
            let version = if sub.version.is_empty() {
                r.version
            } else {
                sub.version
            };
            if register_kind(&mut generator, group, version, sub.kind) {
                gvks.push((
                    schema_name(group, version, sub.kind),
                    gvk(group, version, sub.kind),
                ));
            }
        }
    }
    generator.subschema_for::<meta::DeleteOptions>();
    generator.subschema_for::<meta::Status>();
    generator.subschema_for::<meta::WatchEvent<()>>();
    generator.subschema_for::<meta::Patch>();
    generator.subschema_for::<meta::APIResourceList>();
    let mut defs = generator.take_definitions(false);
    for r in resources {
        defs.insert(
            format!("{}List", schema_name(r.group, r.version, r.kind)),
            list_schema(r),
        );
    }
    for (name, value) in gvks {
        if let Some(Value::Object(schema)) = defs.get_mut(&name) {
            schema.insert(
                "x-kubernetes-group-version-kind".into(),
                Value::Array(vec![value]),
            );
        }
    }
    for meta_kind in [DELETE_OPTIONS, WATCH_EVENT] {
        let kind = meta_kind.rsplit('.').next().unwrap_or(meta_kind);
        let list: Vec<Value> = all_group_versions
            .iter()
            .map(|(g, v)| gvk(g, v, kind))
            .collect();
        if let Some(Value::Object(schema)) = defs.get_mut(meta_kind) {
            schema.insert("x-kubernetes-group-version-kind".into(), Value::Array(list));
        }
    }
    finish(defs, dialect)
}

/// The schemas of one meta type (`APIVersions`, `version.Info`, ...) and what it references.
pub(crate) fn type_schemas<T: JsonSchema>(dialect: Dialect) -> Map<String, Value> {
    let mut generator = generator();
    generator.subschema_for::<T>();
    finish(generator.take_definitions(false), dialect)
}

fn finish(mut defs: Map<String, Value>, dialect: Dialect) -> Map<String, Value> {
    for (name, schema) in defs.iter_mut() {
        extensions::apply(name, schema);
        enums::apply(name, schema);
        required::apply(name, schema);
    }
    apply_scalar_overrides(&mut defs, dialect);
    split_watch_event_description(&mut defs);
    if dialect == Dialect::V3 {
        for schema in defs.values_mut() {
            wrap_ref_siblings(schema);
        }
    }
    defs
}

/// kube-openapi's shapes for the two int-or-string scalars (k8s-openapi only marks them with
/// `x-kubernetes-int-or-string`).
fn apply_scalar_overrides(defs: &mut Map<String, Value>, dialect: Dialect) {
    for (name, v3, v2) in [
        (
            INT_OR_STRING,
            json!({"format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]}),
            json!({"format": "int-or-string", "type": "string"}),
        ),
        (
            QUANTITY,
            json!({"oneOf": [{"type": "string"}, {"type": "number"}]}),
            json!({"type": "string"}),
        ),
    ] {
        if let Some(Value::Object(schema)) = defs.get_mut(name) {
            schema.remove("x-kubernetes-int-or-string");
            let shape = if dialect == Dialect::V3 { v3 } else { v2 };
            if let Value::Object(fields) = shape {
                schema.extend(fields);
            }
        }
    }
}

/// k8s-openapi puts the whole `WatchEvent` comment on the type; upstream keeps only its first
/// sentence there and gives the rest ("Object is: ...") to the `object` field.
fn split_watch_event_description(defs: &mut Map<String, Value>) {
    let Some(Value::Object(schema)) = defs.get_mut(WATCH_EVENT) else {
        return;
    };
    let Some(Value::String(description)) = schema.get("description") else {
        return;
    };
    let Some((head, object)) = description.split_once("\n\n") else {
        return;
    };
    let (head, object) = (head.to_string(), object.trim_end().to_string());
    schema.insert("description".into(), head.into());
    if let Some(Value::Object(field)) = schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("object"))
    {
        field.insert("description".into(), object.into());
    }
}

/// OpenAPI 3.0 ignores siblings of `$ref`, so kube-openapi writes `{allOf:[{$ref}], description}`.
fn wrap_ref_siblings(schema: &mut Value) {
    match schema {
        Value::Object(obj) => {
            for child in obj.values_mut() {
                wrap_ref_siblings(child);
            }
            if obj.len() > 1
                && let Some(reference) = obj.remove("$ref")
            {
                obj.insert("allOf".into(), json!([{"$ref": reference}]));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(wrap_ref_siblings),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_follow_upstream() {
        for (group, kind, want) in [
            ("", "Pod", "io.k8s.api.core.v1.Pod"),
            (
                "discovery.k8s.io",
                "EndpointSlice",
                "io.k8s.api.discovery.v1.EndpointSlice",
            ),
            (
                "networking.k8s.io",
                "Ingress",
                "io.k8s.api.networking.v1.Ingress",
            ),
        ] {
            assert_eq!(schema_name(group, "v1", kind), want);
        }
    }

    #[test]
    fn ref_siblings_become_all_of() {
        let mut schema = json!({"properties": {
            "a": {"$ref": "#/components/schemas/X", "description": "d"},
            "b": {"$ref": "#/components/schemas/Y"}
        }});
        wrap_ref_siblings(&mut schema);
        assert_eq!(
            schema,
            json!({"properties": {
                "a": {"description": "d", "allOf": [{"$ref": "#/components/schemas/X"}]},
                "b": {"$ref": "#/components/schemas/Y"}
            }})
        );
    }
}
