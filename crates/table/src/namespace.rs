//! The namespaces Table (`printNamespace`, 1.33): Name, Status (`status.phase`), Age.

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;
use crate::fields::str_at;
use crate::printer::{Printer, Row};
use crate::timestamp;

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::new("Status", "string", "The status of the namespace"),
        Column::age(),
    ],
    row,
    empty_rows_are_null: false,
};

fn row(ns: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        str_at(ns, &["metadata", "name"]).into(),
        str_at(ns, &["status", "phase"]).into(),
        timestamp::since(timestamp::at(ns, &["metadata", "creationTimestamp"]), now).into(),
    ])
}
