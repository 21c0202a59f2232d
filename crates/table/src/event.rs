//! The events Table (`printEvent`, 1.33).
//!
//! Columns: Last Seen, Type, Reason, Object (`kind/name` with the kind lower-cased, or just the
//! kind), Message (trimmed), and wide: Subobject (`involvedObject.fieldPath`), Source
//! (`component, host`, falling back to `reportingController` / `reportingInstance`), First Seen,
//! Count (a JSON integer under a `string` column), Name.
//!
//! First Seen is `firstTimestamp`, else `eventTime`. Last Seen is `series.lastObservedTime` for
//! a series, else `lastTimestamp`, else First Seen. Count is `series.count`, else `count`, and a
//! zero count (singleton events from the events.k8s.io API) shows 1. The table has no
//! "x4 over 5m" form; that belongs to `kubectl describe` and `kubectl events`.

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;
use crate::descriptions;
use crate::fields::{get, int_at, str_at};
use crate::printer::{Printer, Row};
use crate::timestamp;

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::new("Last Seen", "string", descriptions::EVENT_LAST_TIMESTAMP),
        Column::new("Type", "string", descriptions::EVENT_TYPE),
        Column::new("Reason", "string", descriptions::EVENT_REASON),
        Column::new("Object", "string", descriptions::EVENT_INVOLVED_OBJECT),
        Column::new(
            "Subobject",
            "string",
            descriptions::OBJECT_REFERENCE_FIELD_PATH,
        )
        .wide(),
        Column::new("Source", "string", descriptions::EVENT_SOURCE).wide(),
        Column::new("Message", "string", descriptions::EVENT_MESSAGE),
        Column::new("First Seen", "string", descriptions::EVENT_FIRST_TIMESTAMP).wide(),
        Column::new("Count", "string", descriptions::EVENT_COUNT).wide(),
        Column::name().wide(),
    ],
    row,
    empty_rows_are_null: false,
};

fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

/// `formatEventSource`: `component, host`, or `component` alone when there is no host.
fn source(ev: &Value) -> String {
    let component = first_non_empty(
        str_at(ev, &["source", "component"]),
        str_at(ev, &["reportingComponent"]),
    );
    let instance = first_non_empty(
        str_at(ev, &["source", "host"]),
        str_at(ev, &["reportingInstance"]),
    );
    if instance.is_empty() {
        component.to_owned()
    } else {
        format!("{component}, {instance}")
    }
}

fn target(ev: &Value) -> String {
    let kind = str_at(ev, &["involvedObject", "kind"]).to_lowercase();
    match str_at(ev, &["involvedObject", "name"]) {
        "" => kind,
        name => format!("{kind}/{name}"),
    }
}

fn row(ev: &Value, now: Timestamp) -> Row {
    let first_seen = match timestamp::at(ev, &["firstTimestamp"]) {
        Some(t) => timestamp::since(Some(t), now),
        None => timestamp::since(timestamp::at(ev, &["eventTime"]), now),
    };
    let mut last_seen = match timestamp::at(ev, &["lastTimestamp"]) {
        Some(t) => timestamp::since(Some(t), now),
        None => first_seen.clone(),
    };
    let mut count = int_at(ev, &["count"]);
    if let Some(series) = get(ev, &["series"]) {
        last_seen = timestamp::since(timestamp::at(series, &["lastObservedTime"]), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    Row::new(vec![
        last_seen.into(),
        str_at(ev, &["type"]).into(),
        str_at(ev, &["reason"]).into(),
        target(ev).into(),
        str_at(ev, &["involvedObject", "fieldPath"]).into(),
        source(ev).into(),
        str_at(ev, &["message"]).trim().into(),
        first_seen.into(),
        count.into(),
        str_at(ev, &["metadata", "name"]).into(),
    ])
}
