//! Golden Tables: `tests/data/<resource>.objects.json` in, `tests/data/<resource>.table.json` out.
//!
//! Each golden is the exact JSON kube-apiserver would send for those objects at `NOW` with
//! `includeObject=None`, laid out with one column definition and one row per line so the cells
//! read like `kubectl get -o wide`. Run with `UPDATE_EXPECT=1` to rewrite the goldens after an
//! intended change, then review the diff.

use std::fmt::Write as _;
use std::path::PathBuf;

use k8s_openapi::jiff::Timestamp;
use kubelite_table::{IncludeObject, table};
use serde_json::Value;

const NOW: &str = "2025-06-01T12:00:00Z";

fn data_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

/// Valid JSON, with the top-level arrays broken into one compact element per line.
fn render(table: &Value) -> String {
    let fields = table.as_object().expect("a Table is an object");
    let mut out = String::from("{\n");
    for (i, (key, value)) in fields.iter().enumerate() {
        let comma = if i + 1 == fields.len() { "" } else { "," };
        let key = serde_json::to_string(key).unwrap();
        match value {
            Value::Array(items) if !items.is_empty() => {
                writeln!(out, "  {key}: [").unwrap();
                for (j, item) in items.iter().enumerate() {
                    let item_comma = if j + 1 == items.len() { "" } else { "," };
                    writeln!(out, "    {item}{item_comma}").unwrap();
                }
                writeln!(out, "  ]{comma}").unwrap();
            }
            _ => writeln!(out, "  {key}: {value}{comma}").unwrap(),
        }
    }
    out.push_str("}\n");
    out
}

fn check(resource: &str) {
    let objects: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(data_path(&format!("{resource}.objects.json"))).unwrap(),
    )
    .unwrap();
    let now: Timestamp = NOW.parse().unwrap();
    let actual = render(&table(resource, &objects, now, IncludeObject::None));
    let golden = data_path(&format!("{resource}.table.json"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&golden, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs (rerun with UPDATE_EXPECT=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}",
        golden.display()
    );
}

#[test]
fn pods() {
    check("pods");
}

#[test]
fn services() {
    check("services");
}

#[test]
fn endpoints() {
    check("endpoints");
}

#[test]
fn endpointslices() {
    check("endpointslices");
}

#[test]
fn nodes() {
    check("nodes");
}

#[test]
fn namespaces() {
    check("namespaces");
}

#[test]
fn events() {
    check("events");
}

#[test]
fn serviceaccounts() {
    check("serviceaccounts");
}

/// Any resource without a printer gets the default Name / "Created At" table.
#[test]
fn configmaps_use_the_default_table() {
    check("configmaps");
}
