//! Server-side apply and `metadata.managedFields` tracking for kubelite, on `serde_json::Value`,
//! behaving like kube-apiserver's field manager (`k8s.io/apimachinery/pkg/util/managedfields`
//! over sigs.k8s.io/structured-merge-diff).
//!
//! The pipeline mirrors upstream's manager chain: version check → last-applied upgrade for
//! `kubectl` → skip tracking of objects never tracked → manager identity → time stamping →
//! strip of metadata fields → structured merge. Callers pass already-defaulted objects and the
//! current time; this crate does no IO.
//!
//! Status: for kinds whose main resource resets `status` (Pod, Service, Node, Namespace) an
//! apply or update of the main resource neither owns nor changes `status`: apply drops
//! `status` from the configuration and keeps the live status; update excludes it from sets.
//! Use [`update_subresource`] with `"status"` for status writes.

mod conflict;
mod fieldpath;
mod managed;
mod schema;
mod schema_table;
mod typed;
mod updater;

use std::sync::LazyLock;

use serde_json::{Map, Value};

pub use conflict::{Conflict, conflict_causes, conflict_message};
pub use fieldpath::{Path, PathElement, Set, path_string};
pub use schema::Schema;

use managed::{Managed, ManagerId, Operation};
use updater::Updater;

/// Why an apply was refused.
#[derive(thiserror::Error, Debug)]
pub enum ApplyError {
    /// Fields owned by other managers would change (409 Conflict, see [`conflict_message`]).
    #[error("{}", conflict_message(.0))]
    Conflicts(Vec<Conflict>),
    /// The request is malformed (400 Bad Request); the text is upstream's.
    #[error("{0}")]
    Invalid(String),
}

/// The annotation client-side `kubectl apply` keeps its configuration in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Metadata fields nobody owns (upstream `stripMetaManager`).
const STRIPPED: &[&[&str]] = &[
    &["apiVersion"],
    &["kind"],
    &["metadata"],
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["metadata", "creationTimestamp"],
    &["metadata", "selfLink"],
    &["metadata", "uid"],
    &["metadata", "clusterName"],
    &["metadata", "generation"],
    &["metadata", "managedFields"],
    &["metadata", "resourceVersion"],
];

fn strip_meta(managed: &mut Managed, id: &ManagerId) {
    static STRIP: LazyLock<Set> = LazyLock::new(|| {
        let mut strip = Set::new();
        for path in STRIPPED {
            let p: Path = path
                .iter()
                .map(|s| PathElement::Field((*s).to_string()))
                .collect();
            strip.insert(&p);
        }
        strip
    });
    if let Some(vs) = managed.fields.get_mut(id) {
        vs.set.subtract(&STRIP);
        if vs.set.is_empty() {
            managed.fields.remove(id);
        }
    }
}

fn updater(schema: &Schema, subresource: &str) -> Updater {
    Updater {
        root: schema.root_ty(),
        api_version: schema.api_version().to_string(),
        reset_status: schema.resets_status() && subresource.is_empty(),
    }
}

fn without_managed_fields(v: &Value) -> Value {
    let mut v = v.clone();
    remove_managed_fields(&mut v);
    v
}

fn remove_managed_fields(v: &mut Value) {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
}

fn set_managed_fields(obj: &mut Value, managed: &Managed) {
    let Value::Object(root) = obj else { return };
    let encoded = managed::encode(managed);
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    if let Value::Object(meta) = meta {
        match encoded {
            Some(entries) => {
                meta.insert("managedFields".to_string(), entries);
            }
            None => {
                meta.remove("managedFields");
            }
        }
    }
}

/// Upstream `managedFieldsUpdater.Update`: runs the update as a temporary manager and, if it
/// took any field, merges that into `manager`'s entry and stamps `now`.
fn tracked_update(
    up: &Updater,
    old: &Value,
    new: &Value,
    managed: &mut Managed,
    manager: &ManagerId,
    now: &str,
) {
    let current = ManagerId::new("current-operation", Operation::Update, "", "");
    up.record_update(old, new, managed, &current);
    strip_meta(managed, &current);
    if let Some(mut vs) = managed.fields.remove(&current) {
        if let Some(previous) = managed.fields.get(manager) {
            vs.set.extend(&previous.set);
        }
        managed.fields.insert(manager.clone(), vs);
        managed.times.insert(manager.clone(), now.to_string());
    }
    cap_update_managers(managed);
}

/// Upstream keeps at most 10 Update entries, folding the oldest into `ancient-changes`.
const MAX_UPDATE_MANAGERS: usize = 10;

fn cap_update_managers(managed: &mut Managed) {
    let mut updaters: Vec<ManagerId> = managed
        .fields
        .iter()
        .filter(|(_, vs)| !vs.applied)
        .map(|(id, _)| id.clone())
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    let secs = |id: &ManagerId| {
        managed
            .times
            .get(id)
            .and_then(|t| t.parse::<k8s_openapi::jiff::Timestamp>().ok())
            .map_or(0, |t| t.as_second())
    };
    updaters.sort_by(|a, b| {
        secs(a)
            .cmp(&secs(b))
            .then_with(|| a.encoded().cmp(&b.encoded()))
    });
    let mut first_of_version: Vec<(String, ManagerId)> = Vec::new();
    let mut length = updaters.len();
    for id in updaters {
        if length <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(vs) = managed.fields.get(&id).cloned() else {
            continue;
        };
        let time = managed.times.get(&id).cloned();
        let bucket = ManagerId::new("ancient-changes", Operation::Update, &vs.api_version, "");
        match first_of_version.iter().find(|(v, _)| *v == vs.api_version) {
            Some((_, first)) => {
                if !managed.fields.contains_key(&bucket)
                    && let Some(first_vs) = managed.fields.remove(first)
                {
                    managed.fields.insert(bucket.clone(), first_vs);
                }
                let union = managed
                    .fields
                    .get(&bucket)
                    .map_or_else(|| vs.set.clone(), |b| b.set.union(&vs.set));
                let merged = managed::VersionedSet { set: union, ..vs };
                managed.fields.insert(bucket.clone(), merged);
                managed.fields.remove(&id);
                match time {
                    Some(t) => managed.times.insert(bucket, t),
                    None => managed.times.remove(&bucket),
                };
                length -= 1;
            }
            None => first_of_version.push((vs.api_version.clone(), id)),
        }
    }
}

/// The `GroupVersionKind` text upstream prints, e.g. `/v1, Kind=Pod`.
fn gvk_string(obj: &Value) -> String {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    format!("{group}/{version}, Kind={kind}")
}

/// Server-side apply (PATCH with `application/apply-patch+yaml`). `live` is `None` when the
/// object does not exist (the apply creates it). `applied` is the user's configuration.
/// Returns the merged object with updated `metadata.managedFields`; `now` (RFC 3339) is the
/// entry time, set only when the object changed, as upstream.
pub fn apply(
    kind: &str,
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, ApplyError> {
    let schema = Schema::for_kind(kind)
        .ok_or_else(|| ApplyError::Invalid(format!("no schema for kind {kind:?}")))?;
    if !applied.is_object() {
        return Err(ApplyError::Invalid(
            "apply patch must be a JSON object".to_string(),
        ));
    }
    let expected_kind = applied.get("kind").and_then(Value::as_str) == Some(kind);
    let expected_version =
        applied.get("apiVersion").and_then(Value::as_str) == Some(schema.api_version());
    if !expected_kind || !expected_version {
        return Err(ApplyError::Invalid(format!(
            "invalid object type: {}",
            gvk_string(applied)
        )));
    }
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|v| !v.is_null())
    {
        return Err(ApplyError::Invalid(
            "metadata.managedFields must be nil".to_string(),
        ));
    }
    let live_obj = live.cloned().unwrap_or_else(|| Value::Object(Map::new()));
    let mut managed = managed::decode(live_obj.pointer("/metadata/managedFields"))
        .map_err(|e| ApplyError::Invalid(format!("failed to decode managed fields: {e}")))?;
    let live_plain = without_managed_fields(&live_obj);
    let up = updater(&schema, "");

    // An object nobody tracked yet: its current fields go to `before-first-apply`.
    if managed.fields.is_empty() {
        let before = ManagerId::new(
            "before-first-apply",
            Operation::Update,
            schema.api_version(),
            "",
        );
        tracked_update(
            &up,
            &Value::Object(Map::new()),
            &live_plain,
            &mut managed,
            &before,
            now,
        );
    }

    let mut config = applied.clone();
    if up.reset_status
        && let Value::Object(m) = &mut config
    {
        m.remove("status");
    }
    let id = ManagerId::new(manager, Operation::Apply, schema.api_version(), "");
    let attempt =
        |managed: &mut Managed, force: bool| up.apply(&live_plain, &config, managed, &id, force);
    let mut trial = managed.clone();
    let outcome = match attempt(&mut trial, force) {
        Err(ApplyError::Conflicts(conflicts)) if manager == "kubectl" => {
            let allowed = allowed_by_last_applied(&up, &live_plain, schema.api_version());
            let remaining: Vec<Conflict> = conflicts
                .iter()
                .filter(|c| !allowed.as_ref().is_some_and(|a| a.contains(&c.field)))
                .cloned()
                .collect();
            if allowed.is_some() && remaining.is_empty() {
                trial = managed.clone();
                attempt(&mut trial, true)
            } else if allowed.is_some() {
                Err(ApplyError::Conflicts(remaining))
            } else {
                Err(ApplyError::Conflicts(conflicts))
            }
        }
        other => other,
    };
    let changed = outcome?;
    managed = trial;
    strip_meta(&mut managed, &id);
    let mut result = match changed {
        Some(mut obj) => {
            managed.times.insert(id.clone(), now.to_string());
            typed::strip_nulls(&mut obj);
            obj
        }
        None => live_plain,
    };
    if manager == "kubectl" {
        refresh_last_applied(&mut result, applied);
    }
    set_managed_fields(&mut result, &managed);
    Ok(result)
}

/// Paths (rendered) the last-applied annotation proves `kubectl` owned via client-side apply
/// (upstream `lastAppliedManager`); `None` when there is no usable annotation.
fn allowed_by_last_applied(up: &Updater, live: &Value, api_version: &str) -> Option<Vec<String>> {
    let text = live
        .pointer("/metadata/annotations")?
        .get(LAST_APPLIED_ANNOTATION)?
        .as_str()?;
    if text.is_empty() {
        return None;
    }
    let last: Value = serde_json::from_str(text).ok()?;
    if last.get("apiVersion").and_then(Value::as_str) != Some(api_version) {
        return None;
    }
    let set = typed::to_field_set(&last, up.root, true).ok()?;
    let cmp = typed::compare(Some(&last), Some(live), up.root);
    let owned = set
        .difference(&cmp.modified)
        .difference(&cmp.added)
        .difference(&cmp.removed);
    Some(owned.paths().iter().map(|p| path_string(p)).collect())
}

/// Upstream `lastAppliedUpdater`: a `kubectl` apply rewrites an existing last-applied annotation.
fn refresh_last_applied(obj: &mut Value, applied: &Value) {
    let has = obj
        .pointer(&format!(
            "/metadata/annotations/{}",
            LAST_APPLIED_ANNOTATION.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    if !has {
        return;
    }
    let mut config = applied.clone();
    if let Some(ann) = config
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        ann.remove(LAST_APPLIED_ANNOTATION);
    }
    let text = format!("{}\n", sorted_json(&config));
    if let Some(ann) = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        ann.insert(LAST_APPLIED_ANNOTATION.to_string(), Value::String(text));
    }
}

/// JSON with object keys sorted, as Go's encoder writes a `map[string]interface{}`.
fn sorted_json(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sort(v))
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Records a non-apply write (create/update/patch) by `manager` with operation `Update`:
/// changed or added fields become owned by `manager` and are taken from other managers.
/// `old` is `None` on create. `new` must be the object as it will be stored (defaulted).
/// Returns `new` with `metadata.managedFields` set.
pub fn update(kind: &str, old: Option<&Value>, new: Value, manager: &str, now: &str) -> Value {
    update_subresource(kind, old, new, manager, "", now)
}

/// Like [`update`], for a write through a subresource such as `status` (empty for the main
/// resource); the entry records the subresource.
pub fn update_subresource(
    kind: &str,
    old: Option<&Value>,
    new: Value,
    manager: &str,
    subresource: &str,
    now: &str,
) -> Value {
    let Some(schema) = Schema::for_kind(kind) else {
        return new;
    };
    let empty = Value::Object(Map::new());
    let old = old.unwrap_or(&empty);
    let mut managed = decode_live_or_new(old, &new, !subresource.is_empty());
    let mut result = new;
    remove_managed_fields(&mut result);
    let is_create = old
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    if managed.fields.is_empty() && !is_create {
        return result;
    }
    let up = updater(&schema, subresource);
    let id = ManagerId::new(
        manager,
        Operation::Update,
        schema.api_version(),
        subresource,
    );
    tracked_update(
        &up,
        &without_managed_fields(old),
        &result,
        &mut managed,
        &id,
        now,
    );
    set_managed_fields(&mut result, &managed);
    result
}

/// Upstream `decodeLiveOrNew`: managedFields written in the request win (an empty list resets
/// them); otherwise, or when they do not decode, the live object's are kept.
fn decode_live_or_new(old: &Value, new: &Value, ignore_request: bool) -> Managed {
    let from_old = || managed::decode(old.pointer("/metadata/managedFields")).unwrap_or_default();
    if ignore_request {
        return from_old();
    }
    let requested = new.pointer("/metadata/managedFields");
    if let Some(Value::Array(entries)) = requested {
        let reset = entries.is_empty()
            || (entries.len() == 1 && entries[0].as_object().is_some_and(Map::is_empty));
        if reset {
            return Managed::default();
        }
    }
    match managed::decode(requested) {
        Ok(m) if !m.fields.is_empty() => m,
        _ => from_old(),
    }
}
