//! The serviceaccounts Table (`printServiceAccount`, 1.33): Name, Secrets, Age.
//!
//! Secrets is the number of `secrets[]` entries. Its column is declared `string` but the cell is a
//! JSON integer, exactly as upstream sends it.

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;
use crate::descriptions;
use crate::fields::{list_at, str_at};
use crate::printer::{Printer, Row};
use crate::timestamp;

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::new("Secrets", "string", descriptions::SERVICE_ACCOUNT_SECRETS),
        Column::age(),
    ],
    row,
    empty_rows_are_null: false,
};

fn row(sa: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        str_at(sa, &["metadata", "name"]).into(),
        list_at(sa, &["secrets"]).len().into(),
        timestamp::since(timestamp::at(sa, &["metadata", "creationTimestamp"]), now).into(),
    ])
}
