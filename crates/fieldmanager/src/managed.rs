//! `metadata.managedFields` decoding and encoding: manager identities, their field sets and
//! times, and the entry order kube-apiserver writes (upstream `internal/managedfields.go`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::fieldpath::Set;

/// `Apply` or `Update`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Operation {
    Apply,
    Update,
}

impl Operation {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// A manager identity: one Apply entry per manager, one Update entry per manager, apiVersion
/// and subresource (upstream `BuildManagerIdentifier`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ManagerId {
    pub(crate) manager: String,
    pub(crate) operation: Operation,
    /// Empty for Apply entries, which are not keyed by version.
    pub(crate) api_version: String,
    pub(crate) subresource: String,
}

impl ManagerId {
    pub(crate) fn new(
        manager: &str,
        operation: Operation,
        api_version: &str,
        subresource: &str,
    ) -> Self {
        let manager = if manager.is_empty() {
            "unknown"
        } else {
            manager
        };
        ManagerId {
            manager: manager.to_string(),
            operation,
            api_version: match operation {
                Operation::Apply => String::new(),
                Operation::Update => api_version.to_string(),
            },
            subresource: subresource.to_string(),
        }
    }

    /// The identifier as upstream serialises it; managers in conflict messages sort by this.
    pub(crate) fn encoded(&self) -> String {
        let mut m = Map::new();
        m.insert("manager".into(), Value::String(self.manager.clone()));
        m.insert(
            "operation".into(),
            Value::String(self.operation.as_str().into()),
        );
        if !self.api_version.is_empty() {
            m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        }
        if !self.subresource.is_empty() {
            m.insert(
                "subresource".into(),
                Value::String(self.subresource.clone()),
            );
        }
        Value::Object(m).to_string()
    }
}

/// One manager's fields.
#[derive(Clone, Debug)]
pub(crate) struct VersionedSet {
    pub(crate) set: Set,
    pub(crate) api_version: String,
    pub(crate) applied: bool,
}

/// All managers of an object with the time of their last change.
#[derive(Clone, Debug, Default)]
pub(crate) struct Managed {
    pub(crate) fields: BTreeMap<ManagerId, VersionedSet>,
    pub(crate) times: BTreeMap<ManagerId, String>,
}

/// Decodes `metadata.managedFields`; errors are worded as upstream `DecodeManagedFields`.
pub(crate) fn decode(entries: Option<&Value>) -> Result<Managed, String> {
    let mut managed = Managed::default();
    let Some(entries) = entries else {
        return Ok(managed);
    };
    if entries.is_null() {
        return Ok(managed);
    }
    let Value::Array(entries) = entries else {
        return Err("managedFields must be a list".to_string());
    };
    for (i, e) in entries.iter().enumerate() {
        let get = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
        let operation = match get("operation") {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return Err("operation must be `Apply` or `Update`".to_string()),
        };
        let api_version = get("apiVersion");
        if api_version.is_empty() {
            return Err("apiVersion must not be empty".to_string());
        }
        match get("fieldsType") {
            "FieldsV1" => {}
            "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
            other => {
                return Err(format!(
                    "invalid fieldsType {other:?} in managed fields entry {i}"
                ));
            }
        }
        let set = match e.get("fieldsV1") {
            None | Some(Value::Null) => Set::new(),
            Some(v) => {
                Set::from_fields_v1(v).map_err(|err| format!("error decoding set: {err}"))?
            }
        };
        let id = ManagerId {
            manager: get("manager").to_string(),
            operation,
            api_version: match operation {
                Operation::Apply => String::new(),
                Operation::Update => api_version.to_string(),
            },
            subresource: get("subresource").to_string(),
        };
        if let Some(t) = e.get("time").and_then(Value::as_str) {
            managed.times.insert(id.clone(), t.to_string());
        }
        let applied = operation == Operation::Apply;
        managed.fields.insert(
            id,
            VersionedSet {
                set,
                api_version: api_version.to_string(),
                applied,
            },
        );
    }
    Ok(managed)
}

fn unix_seconds(t: Option<&String>) -> i64 {
    t.and_then(|t| t.parse::<k8s_openapi::jiff::Timestamp>().ok())
        .map_or(0, |ts| ts.as_second())
}

/// Encodes managers as `managedFields` entries, sorted as upstream `sortEncodedManagedFields`
/// (operation, then time, manager, apiVersion, subresource); `None` when there are none.
pub(crate) fn encode(managed: &Managed) -> Option<Value> {
    if managed.fields.is_empty() {
        return None;
    }
    let mut rows: Vec<(&ManagerId, &VersionedSet, Option<&String>)> = managed
        .fields
        .iter()
        .map(|(id, vs)| (id, vs, managed.times.get(id)))
        .collect();
    rows.sort_by(|a, b| {
        let op = |vs: &VersionedSet| if vs.applied { "Apply" } else { "Update" };
        op(a.1)
            .cmp(op(b.1))
            .then_with(|| unix_seconds(a.2).cmp(&unix_seconds(b.2)))
            .then_with(|| a.0.manager.cmp(&b.0.manager))
            .then_with(|| a.1.api_version.cmp(&b.1.api_version))
            .then_with(|| a.0.subresource.cmp(&b.0.subresource))
    });
    let entries = rows
        .into_iter()
        .map(|(id, vs, time)| {
            let mut m = Map::new();
            m.insert("manager".into(), Value::String(id.manager.clone()));
            let op = if vs.applied { "Apply" } else { "Update" };
            m.insert("operation".into(), Value::String(op.into()));
            m.insert("apiVersion".into(), Value::String(vs.api_version.clone()));
            if let Some(t) = time {
                m.insert("time".into(), Value::String(t.clone()));
            }
            m.insert("fieldsType".into(), Value::String("FieldsV1".into()));
            m.insert("fieldsV1".into(), vs.set.to_fields_v1());
            if !id.subresource.is_empty() {
                m.insert("subresource".into(), Value::String(id.subresource.clone()));
            }
            Value::Object(m)
        })
        .collect();
    Some(Value::Array(entries))
}
