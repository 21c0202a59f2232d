//! ObjectMeta validation (`ValidateObjectMeta`, `ValidateObjectMetaUpdate`), plus label and
//! annotation checks shared with specs (selectors, node selectors).

use super::field::{FieldError, Path};
use super::names;
use serde_json::{Map, Value};

/// Which name rule a kind uses for `metadata.name`.
#[derive(Debug, Clone, Copy)]
pub enum NameRule {
    Dns1123Subdomain,
    Dns1123Label,
    Dns1035Label,
}

impl NameRule {
    fn check(self, name: &str, prefix: bool) -> Vec<String> {
        let name = if prefix {
            names::mask_trailing_dash(name)
        } else {
            name.to_string()
        };
        match self {
            NameRule::Dns1123Subdomain => names::dns1123_subdomain(&name),
            NameRule::Dns1123Label => names::dns1123_label(&name),
            NameRule::Dns1035Label => names::dns1035_label(&name),
        }
    }
}

const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

pub(crate) fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = match v.and_then(Value::as_object) {
        Some(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect(),
        None => Vec::new(),
    };
    out.sort();
    out
}

/// `ValidateLabels`: keys are qualified names, values label values.
pub fn validate_labels(labels: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in string_map(labels) {
        for msg in names::qualified_name(&k) {
            errs.push(FieldError::invalid(path, k.as_str(), &msg));
        }
        for msg in names::label_value(&v) {
            errs.push(FieldError::invalid(path, v.as_str(), &msg));
        }
    }
    errs
}

/// `ValidateAnnotations`: qualified (lower-cased) keys and a 256 KiB total.
pub fn validate_annotations(annotations: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let pairs = string_map(annotations);
    for (k, _) in &pairs {
        for msg in names::qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, k.as_str(), &msg));
        }
    }
    let total: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

fn validate_finalizers(meta: &Map<String, Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let finalizers: Vec<&str> = meta
        .get("finalizers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for f in &finalizers {
        for msg in names::qualified_name(f) {
            errs.push(FieldError::invalid(path, *f, &msg));
        }
    }
    if finalizers.contains(&"orphan") && finalizers.contains(&"foregroundDeletion") {
        errs.push(FieldError::invalid(
            path,
            Value::from(finalizers.clone()),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

fn validate_owner_references(meta: &Map<String, Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(refs) = meta.get("ownerReferences").and_then(Value::as_array) else {
        return errs;
    };
    let mut first_controller = String::new();
    for r in refs {
        let api_version = str_at(r, "apiVersion");
        let kind = str_at(r, "kind");
        let version = api_version.rsplit('/').next().unwrap_or("");
        if version.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        if kind.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("kind"),
                kind,
                "kind must not be empty",
            ));
        }
        if str_at(r, "name").is_empty() {
            errs.push(FieldError::invalid(
                &path.child("name"),
                "",
                "name must not be empty",
            ));
        }
        if str_at(r, "uid").is_empty() {
            errs.push(FieldError::invalid(
                &path.child("uid"),
                "",
                "uid must not be empty",
            ));
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            let name = format!("{}/{}", kind, str_at(r, "name"));
            if first_controller.is_empty() {
                first_controller = name;
            } else {
                errs.push(FieldError::invalid(
                    path,
                    Value::Array(refs.clone()),
                    &format!("Only one reference can have Controller set to true. Found \"true\" in references for {first_controller} and {name}"),
                ));
            }
        }
    }
    errs
}

/// `ValidateObjectMeta` for a create (or the new object of an update).
pub fn validate_object_meta(obj: &Value, namespaced: bool, rule: NameRule) -> Vec<FieldError> {
    let path = Path::new("metadata");
    let empty = Map::new();
    let meta = obj
        .get("metadata")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut errs = Vec::new();
    let generate_name = meta
        .get("generateName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !generate_name.is_empty() {
        for msg in rule.check(generate_name, true) {
            errs.push(FieldError::invalid(
                &path.child("generateName"),
                generate_name,
                &msg,
            ));
        }
    }
    let name = meta.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() {
        errs.push(FieldError::required(
            &path.child("name"),
            "name or generateName is required",
        ));
    } else {
        for msg in rule.check(name, false) {
            errs.push(FieldError::invalid(&path.child("name"), name, &msg));
        }
    }
    let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required(&path.child("namespace"), ""));
        } else {
            for msg in names::dns1123_label(namespace) {
                errs.push(FieldError::invalid(
                    &path.child("namespace"),
                    namespace,
                    &msg,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("namespace"),
            "not allowed on this type",
        ));
    }
    if let Some(g) = meta
        .get("generation")
        .and_then(Value::as_i64)
        .filter(|g| *g < 0)
    {
        errs.push(FieldError::invalid(
            &path.child("generation"),
            g,
            "must be greater than or equal to 0",
        ));
    }
    errs.extend(validate_labels(meta.get("labels"), &path.child("labels")));
    errs.extend(validate_annotations(
        meta.get("annotations"),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        meta,
        &path.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(meta, &path.child("finalizers")));
    errs
}

/// Go's `metav1.Time.String()` rendering of an RFC 3339 timestamp (`2024-01-02 03:04:05 +0000 UTC`).
fn go_time(v: &Value) -> String {
    match v.as_str() {
        Some(s) if s.len() >= 19 => {
            let (date, rest) = s.split_at(10);
            format!("{} {} +0000 UTC", date, &rest[1..9])
        }
        _ => "0001-01-01 00:00:00 +0000 UTC".to_string(),
    }
}

/// `ValidateObjectMetaUpdate`: identity fields are immutable.
pub fn validate_object_meta_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let path = Path::new("metadata");
    let null = Value::Null;
    let nm = new.get("metadata").unwrap_or(&null);
    let om = old.get("metadata").unwrap_or(&null);
    let mut errs = Vec::new();
    if om.get("deletionTimestamp").is_some_and(|v| !v.is_null()) {
        let old_f = string_list(om.get("finalizers"));
        let mut extra: Vec<String> = string_list(nm.get("finalizers"))
            .into_iter()
            .filter(|f| !old_f.contains(f))
            .collect();
        extra.sort();
        extra.dedup();
        if !extra.is_empty() {
            let quoted: Vec<String> = extra.iter().map(|f| super::field::go_quote(f)).collect();
            errs.push(FieldError::forbidden(
                &path.child("finalizers"),
                &format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    quoted.join(", ")
                ),
            ));
        }
    }
    let (ng, og) = (
        nm.get("generation").and_then(Value::as_i64).unwrap_or(0),
        om.get("generation").and_then(Value::as_i64).unwrap_or(0),
    );
    if ng < og {
        errs.push(FieldError::invalid(
            &path.child("generation"),
            ng,
            "must not be decremented",
        ));
    }
    for field in ["name", "namespace", "uid"] {
        let (n, o) = (str_at(nm, field), str_at(om, field));
        if n != o {
            errs.push(FieldError::invalid(
                &path.child(field),
                n,
                "field is immutable",
            ));
        }
    }
    for field in ["creationTimestamp", "deletionTimestamp"] {
        let (n, o) = (
            nm.get(field).unwrap_or(&null),
            om.get(field).unwrap_or(&null),
        );
        if n != o {
            let repr = if n.is_null() && field == "deletionTimestamp" {
                "null".to_string()
            } else {
                go_time(n)
            };
            errs.push(
                FieldError::invalid(&path.child(field), n.clone(), "field is immutable")
                    .with_go_repr(repr),
            );
        }
    }
    let (n, o) = (
        nm.get("deletionGracePeriodSeconds").unwrap_or(&null),
        om.get("deletionGracePeriodSeconds").unwrap_or(&null),
    );
    if n != o {
        errs.push(FieldError::invalid(
            &path.child("deletionGracePeriodSeconds"),
            n.clone(),
            "field is immutable",
        ));
    }
    let empty = Map::new();
    let nmap = nm.as_object().unwrap_or(&empty);
    errs.extend(validate_labels(nmap.get("labels"), &path.child("labels")));
    errs.extend(validate_annotations(
        nmap.get("annotations"),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        nmap,
        &path.child("ownerReferences"),
    ));
    errs
}

pub(crate) fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn create_meta() {
        let cases = [
            (
                json!({"metadata": {"namespace": "default"}}),
                vec!["metadata.name: Required value: name or generateName is required"],
            ),
            (
                json!({"metadata": {"name": "ok", "namespace": ""}}),
                vec!["metadata.namespace: Required value"],
            ),
            (
                json!({"metadata": {"name": "ok", "namespace": "default", "labels": {"a/b/c": "x"}}}),
                vec![
                    "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                ],
            ),
            (
                json!({"metadata": {"name": "ok", "namespace": "default", "labels": {"app": "-bad"}}}),
                vec![
                    "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ],
            ),
            (
                json!({"metadata": {"generateName": "web-", "namespace": "default"}}),
                vec!["metadata.name: Required value: name or generateName is required"],
            ),
            (
                json!({"metadata": {"generateName": "Web-", "name": "web-x", "namespace": "default"}}),
                vec![
                    "metadata.generateName: Invalid value: \"Web-\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                ],
            ),
        ];
        for (obj, want) in cases {
            assert_eq!(
                msgs(validate_object_meta(&obj, true, NameRule::Dns1123Subdomain)),
                want,
                "{obj}"
            );
        }
        let cluster = json!({"metadata": {"name": "n", "namespace": "x"}});
        assert_eq!(
            msgs(validate_object_meta(
                &cluster,
                false,
                NameRule::Dns1123Label
            )),
            vec!["metadata.namespace: Forbidden: not allowed on this type"]
        );
        let big = json!({"metadata": {"name": "n", "annotations": {"a": "x".repeat(262144)}}});
        assert_eq!(
            msgs(validate_object_meta(&big, false, NameRule::Dns1123Label)),
            vec!["metadata.annotations: Too long: may not be more than 262144 bytes"]
        );
    }

    #[test]
    fn update_meta() {
        let old = json!({"metadata": {"name": "a", "namespace": "ns", "uid": "u1", "creationTimestamp": "2024-01-02T03:04:05Z"}});
        let new = json!({"metadata": {"name": "b", "namespace": "ns", "uid": "u2", "creationTimestamp": "2024-01-02T03:04:06Z"}});
        assert_eq!(
            msgs(validate_object_meta_update(&new, &old)),
            vec![
                "metadata.name: Invalid value: \"b\": field is immutable",
                "metadata.uid: Invalid value: \"u2\": field is immutable",
                "metadata.creationTimestamp: Invalid value: 2024-01-02 03:04:06 +0000 UTC: field is immutable",
            ]
        );
        assert!(validate_object_meta_update(&old, &old).is_empty());
    }
}
