//! The generic Table for resources without a printer (apiserver `rest.NewDefaultTableConvertor`,
//! `pkg/registry/rest/table.go`, v0.33).
//!
//! Columns: Name (`format: name`) and "Created At" (`type: date`), whose cell is the creation time
//! as RFC 3339 in UTC with whole seconds (kubectl turns it into an age), or
//! `0001-01-01T00:00:00Z` when unset. Neither column is wide.

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;
use crate::descriptions;
use crate::fields::str_at;
use crate::printer::{Printer, Row};
use crate::timestamp;

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::new(
            "Created At",
            "date",
            descriptions::OBJECT_CREATION_TIMESTAMP,
        ),
    ],
    row,
    empty_rows_are_null: true,
};

fn row(obj: &Value, _now: Timestamp) -> Row {
    Row::new(vec![
        str_at(obj, &["metadata", "name"]).into(),
        timestamp::rfc3339(timestamp::at(obj, &["metadata", "creationTimestamp"])).into(),
    ])
}
