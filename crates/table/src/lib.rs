//! `meta.k8s.io/v1` Tables, as kube-apiserver 1.33 renders them for
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
//!
//! kubectl prints the cells of these Tables as they are, so column names, descriptions, cell
//! formats and JSON types follow upstream exactly: `pkg/printers/internalversion/printers.go` for
//! pods, services, endpoints, endpointslices, nodes, namespaces, events and serviceaccounts, and
//! the apiserver's default convertor (Name, "Created At") for every other resource. As upstream,
//! the wide (priority 1) columns are always filled; kubectl hides them without `-o wide`.
//!
//! The crate is pure: objects come in as JSON, the current time comes in as `now`, and a Table
//! comes out. Fields are read with Go zero-value semantics (a missing field is `""`, 0 or
//! absent), so any object yields a row. The caller fills `metadata.resourceVersion` / `metadata.continue`.

mod column;
mod default;
mod descriptions;
mod duration;
mod endpoints;
mod endpointslice;
mod event;
mod fields;
mod namespace;
mod node;
mod pod;
mod printer;
mod service;
mod serviceaccount;
mod timestamp;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

pub use duration::human_duration;

use printer::Printer;

/// What each row's `object` holds (`metav1.TableOptions.includeObject`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncludeObject {
    /// `object: null`.
    None,
    /// The server default: a `meta.k8s.io/v1` `PartialObjectMetadata` carrying the object's
    /// metadata. kubectl reads `--show-labels` and the `-A` namespace column from it.
    #[default]
    Metadata,
    /// The full object, as given.
    Object,
}

/// Builds the Table for `items` of `resource` (the plural name, e.g. `"pods"`; names are unique
/// across the groups kubelite serves, so no group is needed). `now` is the reference for ages.
///
/// The Table carries `columnDefinitions`. `metadata` is `{}` for the caller to fill.
pub fn table(
    resource: &str,
    items: &[Value],
    now: Timestamp,
    include_object: IncludeObject,
) -> Value {
    build(resource, items, now, include_object, true)
}

/// The same Table without headers (`TableOptions.noHeaders`): `columnDefinitions` is `null`,
/// as kube-apiserver sends it for every watch event after the first one.
pub fn table_without_columns(
    resource: &str,
    items: &[Value],
    now: Timestamp,
    include_object: IncludeObject,
) -> Value {
    build(resource, items, now, include_object, false)
}

fn printer_for(resource: &str) -> &'static Printer {
    match resource {
        "pods" => &pod::PRINTER,
        "services" => &service::PRINTER,
        "endpoints" => &endpoints::PRINTER,
        "endpointslices" => &endpointslice::PRINTER,
        "nodes" => &node::PRINTER,
        "namespaces" => &namespace::PRINTER,
        "events" => &event::PRINTER,
        "serviceaccounts" => &serviceaccount::PRINTER,
        _ => &default::PRINTER,
    }
}

fn row_object(item: &Value, include_object: IncludeObject) -> Value {
    match include_object {
        IncludeObject::None => Value::Null,
        IncludeObject::Metadata => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": item.get("metadata").filter(|m| !m.is_null()).cloned().unwrap_or_else(|| json!({})),
        }),
        IncludeObject::Object => item.clone(),
    }
}

fn build(
    resource: &str,
    items: &[Value],
    now: Timestamp,
    include_object: IncludeObject,
    headers: bool,
) -> Value {
    let printer = printer_for(resource);
    let columns = if headers {
        Value::Array(
            printer
                .columns
                .iter()
                .map(column::Column::to_json)
                .collect(),
        )
    } else {
        Value::Null
    };
    let rows = if items.is_empty() && printer.empty_rows_are_null {
        Value::Null
    } else {
        items
            .iter()
            .map(|item| {
                let row = (printer.row)(item, now);
                let mut out = Map::new();
                out.insert("cells".to_owned(), Value::Array(row.cells));
                if let Some(conditions) = row.conditions {
                    out.insert("conditions".to_owned(), conditions);
                }
                out.insert("object".to_owned(), row_object(item, include_object));
                Value::Object(out)
            })
            .collect()
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    })
}
