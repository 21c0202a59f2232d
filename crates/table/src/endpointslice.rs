//! The endpointslices Table (`printEndpointSlice`, `formatDiscoveryPorts`,
//! `formatDiscoveryEndpoints`, 1.33).
//!
//! Columns: Name, AddressType, Ports (port number, else port name, else `*`), Endpoints (every
//! address of every endpoint), Age. Both lists show at most three entries then ` + N more...`,
//! and an empty list shows `<unset>`.

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;
use crate::descriptions;
use crate::fields::{get, list_at, str_at};
use crate::printer::{Printer, Row};
use crate::timestamp;

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::new(
            "AddressType",
            "string",
            descriptions::ENDPOINT_SLICE_ADDRESS_TYPE,
        ),
        Column::new("Ports", "string", descriptions::ENDPOINT_SLICE_PORTS),
        Column::new(
            "Endpoints",
            "string",
            descriptions::ENDPOINT_SLICE_ENDPOINTS,
        ),
        Column::age(),
    ],
    row,
    empty_rows_are_null: false,
};

/// At most this many entries are listed.
const MAX_SHOWN: usize = 3;

/// `listWithMoreString` over all `items`.
fn list_with_more(items: Vec<String>) -> String {
    let count = items.len();
    let shown = items
        .into_iter()
        .take(MAX_SHOWN)
        .collect::<Vec<_>>()
        .join(",");
    if count > MAX_SHOWN {
        format!("{shown} + {} more...", count - MAX_SHOWN)
    } else if shown.is_empty() {
        "<unset>".to_owned()
    } else {
        shown
    }
}

fn port_label(port: &Value) -> String {
    if let Some(number) = get(port, &["port"]).and_then(Value::as_i64) {
        number.to_string()
    } else if let Some(name) = get(port, &["name"]).and_then(Value::as_str) {
        name.to_owned()
    } else {
        "*".to_owned()
    }
}

fn row(slice: &Value, now: Timestamp) -> Row {
    let ports = list_at(slice, &["ports"]).iter().map(port_label).collect();
    let addresses = list_at(slice, &["endpoints"])
        .iter()
        .flat_map(|ep| list_at(ep, &["addresses"]))
        .map(|a| a.as_str().unwrap_or("").to_owned())
        .collect();
    Row::new(vec![
        str_at(slice, &["metadata", "name"]).into(),
        str_at(slice, &["addressType"]).into(),
        list_with_more(ports).into(),
        list_with_more(addresses).into(),
        timestamp::since(
            timestamp::at(slice, &["metadata", "creationTimestamp"]),
            now,
        )
        .into(),
    ])
}
