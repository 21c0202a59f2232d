//! What a resource's Table is made of: its columns and the function that renders one row.

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;

/// The cells of one `rows[]` entry, plus `conditions` (only pods set them).
pub(crate) struct Row {
    pub(crate) cells: Vec<Value>,
    pub(crate) conditions: Option<Value>,
}

impl Row {
    /// A row without conditions.
    pub(crate) fn new(cells: Vec<Value>) -> Self {
        Row {
            cells,
            conditions: None,
        }
    }
}

/// A Table convertor for one resource.
pub(crate) struct Printer {
    pub(crate) columns: &'static [Column],
    /// Renders one object; `now` is the reference for ages.
    pub(crate) row: fn(&Value, Timestamp) -> Row,
    /// The generic convertor appends rows to a nil Go slice, so an empty list encodes as
    /// `rows: null`; the `printers.go` list printers start from an empty slice and send `[]`.
    pub(crate) empty_rows_are_null: bool,
}
