//! Pod validation: `ValidatePodCreate` (the PodSpec rules kubectl users hit) and
//! `ValidatePodUpdate` (everything but images, activeDeadlineSeconds, tolerations additions
//! and the grace-period relaxation is immutable).

use super::field::{FieldError, Path};
use super::meta::{
    NameRule, str_at, validate_labels, validate_object_meta, validate_object_meta_update,
};
use super::names;
use serde_json::{Map, Value};

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

const UPDATABLE_POD_SPEC_FIELDS: &[&str] = &[
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
];

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn int_at(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// `ValidatePortNumOrName` for an IntOrString JSON value.
pub(crate) fn validate_port_num_or_name(port: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match port {
        Some(Value::String(s)) => {
            for msg in names::port_name(s) {
                errs.push(FieldError::invalid(path, s.as_str(), &msg));
            }
        }
        other => {
            let n = other.and_then(Value::as_i64).unwrap_or(0);
            for msg in names::port_num(n) {
                errs.push(FieldError::invalid(path, n, &msg));
            }
        }
    }
    errs
}

fn validate_container_ports(ports: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names_seen: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        let name = str_at(port, "name");
        if !name.is_empty() {
            let msgs = names::port_name(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    errs.push(FieldError::invalid(&p.child("name"), name, &msg));
                }
            } else if names_seen.contains(&name) {
                errs.push(FieldError::duplicate(&p.child("name"), name));
            } else {
                names_seen.push(name);
            }
        }
        let cp = int_at(port, "containerPort");
        if cp == 0 {
            errs.push(FieldError::required(&p.child("containerPort"), ""));
        } else {
            for msg in names::port_num(cp) {
                errs.push(FieldError::invalid(&p.child("containerPort"), cp, &msg));
            }
        }
        let hp = int_at(port, "hostPort");
        if hp != 0 {
            for msg in names::port_num(hp) {
                errs.push(FieldError::invalid(&p.child("hostPort"), hp, &msg));
            }
        }
        let proto = str_at(port, "protocol");
        if proto.is_empty() {
            errs.push(FieldError::required(&p.child("protocol"), ""));
        } else if !PROTOCOLS.contains(&proto) {
            errs.push(FieldError::not_supported(
                &p.child("protocol"),
                proto,
                PROTOCOLS,
            ));
        }
    }
    errs
}

fn validate_env(env: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ev) in env.iter().enumerate() {
        let p = path.index(i);
        let name = str_at(ev, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        } else {
            for msg in names::env_var_name(name) {
                errs.push(FieldError::invalid(&p.child("name"), name, &msg));
            }
        }
        if let Some(from) = ev.get("valueFrom").filter(|v| !v.is_null()) {
            let vp = p.child("valueFrom");
            if ev
                .get("value")
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
            {
                errs.push(FieldError::invalid(
                    &vp,
                    "",
                    "may not be specified when `value` is not empty",
                ));
            }
            let sources = [
                "fieldRef",
                "resourceFieldRef",
                "configMapKeyRef",
                "secretKeyRef",
                "fileKeyRef",
            ];
            let count = sources
                .iter()
                .filter(|s| from.get(**s).is_some_and(|v| !v.is_null()))
                .count();
            if count == 0 {
                errs.push(FieldError::invalid(&vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
            } else if count > 1 {
                errs.push(FieldError::invalid(
                    &vp,
                    "",
                    "may not have more than one field specified at a time",
                ));
            }
        }
    }
    errs
}

fn validate_probe(
    probe: Option<&Value>,
    path: &Path,
    liveness_or_startup: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(probe) = probe.filter(|p| !p.is_null()) else {
        return errs;
    };
    errs.extend(validate_handler(
        probe,
        path,
        &["exec", "httpGet", "tcpSocket", "grpc"],
    ));
    for f in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        let v = int_at(probe, f);
        if v < 0 {
            errs.push(FieldError::invalid(
                &path.child(f),
                v,
                "must be greater than or equal to 0",
            ));
        }
    }
    if liveness_or_startup && int_at(probe, "successThreshold") != 1 {
        let v = int_at(probe, "successThreshold");
        errs.push(FieldError::invalid(
            &path.child("successThreshold"),
            v,
            "must be 1",
        ));
    }
    errs
}

fn validate_handler(handler: &Value, path: &Path, kinds: &[&str]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut count = 0;
    for kind in kinds {
        let Some(h) = handler.get(*kind).filter(|v| !v.is_null()) else {
            continue;
        };
        let hp = path.child(kind);
        if count > 0 {
            errs.push(FieldError::forbidden(
                &hp,
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        count += 1;
        match *kind {
            "exec" if array(h, "command").is_empty() => {
                errs.push(FieldError::required(&hp.child("command"), ""));
            }
            "httpGet" => {
                if str_at(h, "path").is_empty() {
                    errs.push(FieldError::required(&hp.child("path"), ""));
                }
                errs.extend(validate_port_num_or_name(h.get("port"), &hp.child("port")));
                let scheme = str_at(h, "scheme");
                if scheme != "HTTP" && scheme != "HTTPS" {
                    errs.push(FieldError::not_supported(
                        &hp.child("scheme"),
                        scheme,
                        &["HTTP", "HTTPS"],
                    ));
                }
            }
            "tcpSocket" => errs.extend(validate_port_num_or_name(h.get("port"), &hp.child("port"))),
            "grpc" => {
                let n = int_at(h, "port");
                for msg in names::port_num(n) {
                    errs.push(FieldError::invalid(&hp.child("port"), n, &msg));
                }
            }
            _ => {}
        }
    }
    if count == 0 {
        errs.push(FieldError::required(path, "must specify a handler type"));
    }
    errs
}

fn validate_container_common(c: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_at(c, "name");
    if name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else {
        for msg in names::dns1123_label(name) {
            errs.push(FieldError::invalid(&path.child("name"), name, &msg));
        }
    }
    if str_at(c, "image").is_empty() {
        errs.push(FieldError::required(&path.child("image"), ""));
    }
    match str_at(c, "terminationMessagePolicy") {
        "File" | "FallbackToLogsOnError" => {}
        "" => errs.push(FieldError::required(
            &path.child("terminationMessagePolicy"),
            "",
        )),
        other => errs.push(FieldError::not_supported(
            &path.child("terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    errs.extend(validate_container_ports(
        array(c, "ports"),
        &path.child("ports"),
    ));
    errs.extend(validate_env(array(c, "env"), &path.child("env")));
    match str_at(c, "imagePullPolicy") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => errs.push(FieldError::required(&path.child("imagePullPolicy"), "")),
        other => errs.push(FieldError::not_supported(
            &path.child("imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    errs
}

fn validate_containers(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let containers = array(spec, "containers");
    if containers.is_empty() {
        errs.push(FieldError::required(path, ""));
        return errs;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, &p));
        let name = str_at(c, "name");
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(&p.child("name"), name));
        } else {
            seen.push(name);
        }
        errs.extend(validate_probe(
            c.get("livenessProbe"),
            &p.child("livenessProbe"),
            true,
        ));
        errs.extend(validate_probe(
            c.get("readinessProbe"),
            &p.child("readinessProbe"),
            false,
        ));
        errs.extend(validate_probe(
            c.get("startupProbe"),
            &p.child("startupProbe"),
            true,
        ));
        if c.get("restartPolicy").is_some_and(|v| !v.is_null()) {
            errs.push(FieldError::forbidden(
                &p.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    errs
}

fn validate_init_containers(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = array(spec, "containers")
        .iter()
        .map(|c| str_at(c, "name"))
        .collect();
    for (i, c) in array(spec, "initContainers").iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, &p));
        let restart = c.get("restartPolicy").and_then(Value::as_str);
        if let Some(r) = restart.filter(|r| *r != "Always") {
            errs.push(FieldError::not_supported(
                &p.child("restartPolicy"),
                r,
                &["Always"],
            ));
        }
        let name = str_at(c, "name");
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(&p.child("name"), name));
        } else if !name.is_empty() {
            seen.push(name);
        }
        if restart == Some("Always") {
            errs.extend(validate_probe(
                c.get("livenessProbe"),
                &p.child("livenessProbe"),
                true,
            ));
            errs.extend(validate_probe(
                c.get("readinessProbe"),
                &p.child("readinessProbe"),
                false,
            ));
            errs.extend(validate_probe(
                c.get("startupProbe"),
                &p.child("startupProbe"),
                true,
            ));
        } else {
            for f in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if c.get(f).is_some_and(|v| !v.is_null()) {
                    errs.push(FieldError::forbidden(
                        &p.child(f),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

fn validate_enum(spec: &Value, key: &str, path: &Path, valid: &[&str]) -> Vec<FieldError> {
    match str_at(spec, key) {
        "" => vec![FieldError::required(&path.child(key), "")],
        v if valid.contains(&v) => Vec::new(),
        v => vec![FieldError::not_supported(&path.child(key), v, valid)],
    }
}

fn validate_tolerations(tolerations: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.index(i);
        let key = str_at(t, "key");
        let op = str_at(t, "operator");
        let effect = str_at(t, "effect");
        if !key.is_empty() {
            for msg in names::qualified_name(key) {
                errs.push(FieldError::invalid(&p.child("key"), key, &msg));
            }
        }
        if key.is_empty() && op != "Exists" {
            errs.push(FieldError::invalid(
                &p.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.get("tolerationSeconds").is_some_and(|v| !v.is_null()) && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                &p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        let value = str_at(t, "value");
        match op {
            "Equal" | "" => {
                let msgs = names::label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(
                        &p.child("operator"),
                        value,
                        &msgs.join(";"),
                    ));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(FieldError::invalid(
                        &p.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                &p.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect)
        {
            errs.push(FieldError::not_supported(
                &p.child("effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
    errs
}

/// `ValidatePodSpec`, restricted to the fields kubelite acts on.
fn validate_pod_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if spec
        .get("terminationGracePeriodSeconds")
        .is_none_or(Value::is_null)
    {
        errs.push(FieldError::required(
            &path.child("terminationGracePeriodSeconds"),
            "",
        ));
    }
    errs.extend(validate_containers(spec, &path.child("containers")));
    errs.extend(validate_init_containers(
        spec,
        &path.child("initContainers"),
    ));
    errs.extend(validate_enum(
        spec,
        "restartPolicy",
        path,
        &["Always", "OnFailure", "Never"],
    ));
    errs.extend(validate_enum(
        spec,
        "dnsPolicy",
        path,
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
    ));
    errs.extend(validate_labels(
        spec.get("nodeSelector"),
        &path.child("nodeSelector"),
    ));
    for (key, rule) in [
        (
            "serviceAccountName",
            names::dns1123_subdomain as fn(&str) -> Vec<String>,
        ),
        ("nodeName", names::dns1123_subdomain),
    ] {
        let v = str_at(spec, key);
        if !v.is_empty() {
            for msg in rule(v) {
                errs.push(FieldError::invalid(&path.child(key), v, &msg));
            }
        }
    }
    if let Some(ads) = spec.get("activeDeadlineSeconds").and_then(Value::as_i64)
        && !(1..=i64::from(i32::MAX)).contains(&ads)
    {
        errs.push(FieldError::invalid(
            &path.child("activeDeadlineSeconds"),
            ads,
            &names::inclusive_range_error(1, i64::from(i32::MAX)),
        ));
    }
    for key in ["hostname", "subdomain"] {
        let v = str_at(spec, key);
        if !v.is_empty() {
            for msg in names::dns1123_label(v) {
                errs.push(FieldError::invalid(&path.child(key), v, &msg));
            }
        }
    }
    errs.extend(validate_tolerations(
        array(spec, "tolerations"),
        &path.child("tolerations"),
    ));
    if let Some(pp) = spec.get("preemptionPolicy").and_then(Value::as_str) {
        match pp {
            "PreemptLowerPriority" | "Never" => {}
            "" => errs.push(FieldError::required(&path.child("preemptionPolicy"), "")),
            other => errs.push(FieldError::not_supported(
                &path.child("preemptionPolicy"),
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    errs
}

fn validate_pod_metadata_and_spec(pod: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(pod, true, NameRule::Dns1123Subdomain);
    let null = Value::Null;
    let spec = pod.get("spec").unwrap_or(&null);
    errs.extend(validate_pod_spec(spec, &Path::new("spec")));
    for key in ["containers", "initContainers"] {
        for (i, c) in array(spec, key).iter().enumerate() {
            let image = str_at(c, "image");
            if image.trim() != image {
                errs.push(FieldError::invalid(
                    &Path::new("spec").child(key).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    errs
}

/// `ValidatePodStatusUpdate`'s metadata part (`ValidateObjectMetaUpdate`: immutable fields,
/// labels, annotations, owner references). A status write carries the stored spec (the status
/// strategy puts it back), so the spec is not validated again, as upstream does not.
pub fn validate_pod_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    validate_object_meta_update(new, old)
}

/// `ValidatePodCreate`.
pub fn validate_pod_create(pod: &Value) -> Vec<FieldError> {
    let mut errs = validate_pod_metadata_and_spec(pod);
    let null = Value::Null;
    let spec = pod.get("spec").unwrap_or(&null);
    if !array(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            &Path::new("spec").child("ephemeralContainers"),
            "cannot be set on create",
        ));
    }
    if !str_at(spec, "nodeName").is_empty() && !array(spec, "schedulingGates").is_empty() {
        errs.push(FieldError::forbidden(
            &Path::new("spec").child("nodeName"),
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
    errs
}

/// `ValidatePodUpdate`.
pub fn validate_pod_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_pod_metadata_and_spec(new));
    let spec_path = Path::new("spec");
    let empty = Value::Object(Map::new());
    let new_spec = new.get("spec").unwrap_or(&empty);
    let old_spec = old.get("spec").unwrap_or(&empty);

    for key in ["containers", "initContainers"] {
        let (n, o) = (array(new_spec, key), array(old_spec, key));
        if n.len() != o.len() {
            errs.push(FieldError::forbidden(
                &spec_path.child(key),
                "pod updates may not add or remove containers",
            ));
            return errs;
        }
        for (i, c) in n.iter().enumerate() {
            let image = str_at(c, "image");
            if image.is_empty() {
                errs.push(FieldError::required(
                    &spec_path.child(key).index(i).child("image"),
                    "",
                ));
            }
        }
    }

    let ads_path = spec_path.child("activeDeadlineSeconds");
    match (
        new_spec
            .get("activeDeadlineSeconds")
            .and_then(Value::as_i64),
        old_spec
            .get("activeDeadlineSeconds")
            .and_then(Value::as_i64),
    ) {
        (Some(n), old_ads) => {
            if n < 0 || n > i64::from(i32::MAX) {
                errs.push(FieldError::invalid(
                    &ads_path,
                    n,
                    &names::inclusive_range_error(0, i64::from(i32::MAX)),
                ));
                return errs;
            }
            if old_ads.is_some_and(|o| o < n) {
                errs.push(FieldError::invalid(
                    &ads_path,
                    n,
                    "must be less than or equal to previous value",
                ));
                return errs;
            }
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            &ads_path,
            Value::Null,
            "must not update from a positive integer to nil value",
        )),
        (None, None) => {}
    }

    let new_tol = array(new_spec, "tolerations");
    let old_tol = array(old_spec, "tolerations");
    let mut tol_ok = true;
    for o in old_tol {
        let found = new_tol
            .iter()
            .any(|n| without_key(o, "tolerationSeconds") == without_key(n, "tolerationSeconds"));
        if !found {
            errs.push(FieldError::forbidden(
                &spec_path.child("tolerations"),
                "existing toleration can not be modified except its tolerationSeconds",
            ));
            tol_ok = false;
            break;
        }
    }
    if tol_ok {
        errs.extend(validate_tolerations(
            new_tol,
            &spec_path.child("tolerations"),
        ));
    }

    if new_spec == old_spec {
        return errs;
    }
    let munged = munge_pod_spec(new_spec, old_spec);
    if &munged != old_spec {
        errs.push(FieldError::forbidden(
            &spec_path,
            &format!(
                "pod updates may not change fields other than {}\n{}",
                UPDATABLE_POD_SPEC_FIELDS.join(","),
                spec_diff(old_spec, &munged)
            ),
        ));
    }
    errs
}

fn without_key(v: &Value, key: &str) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove(key);
    }
    v
}

/// The new spec with every mutable field reset to the old value, as ValidatePodUpdate munges it.
fn munge_pod_spec(new_spec: &Value, old_spec: &Value) -> Value {
    let mut munged = new_spec.clone();
    let Some(m) = munged.as_object_mut() else {
        return munged;
    };
    for key in ["containers", "initContainers"] {
        if let Some(cs) = m.get_mut(key).and_then(Value::as_array_mut) {
            for (i, c) in cs.iter_mut().enumerate() {
                let old_image = old_spec[key][i].get("image").cloned();
                if let Some(cm) = c.as_object_mut() {
                    match old_image {
                        Some(img) => cm.insert("image".to_string(), img),
                        None => cm.remove("image"),
                    };
                }
            }
        }
    }
    for key in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
        match old_spec.get(key) {
            Some(v) => m.insert(key.to_string(), v.clone()),
            None => m.remove(key),
        };
    }
    let old_grace = old_spec
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64);
    let new_grace = m
        .get("terminationGracePeriodSeconds")
        .and_then(Value::as_i64);
    if old_grace.is_some_and(|g| g < 0) && new_grace == Some(1) {
        m.insert(
            "terminationGracePeriodSeconds".to_string(),
            Value::from(old_grace),
        );
    }
    munged
}

/// A short go-cmp-like diff of the top-level PodSpec fields that differ.
fn spec_diff(old: &Value, new: &Value) -> String {
    let empty = Map::new();
    let (o, n) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = String::from("  core.PodSpec{\n");
    for k in keys {
        let (ov, nv) = (o.get(k), n.get(k));
        if ov == nv {
            continue;
        }
        let field = go_field_name(k);
        if let Some(v) = ov {
            out.push_str(&format!("- \t{field}: {v},\n"));
        }
        if let Some(v) = nv {
            out.push_str(&format!("+ \t{field}: {v},\n"));
        }
    }
    out.push_str("  }\n");
    out
}

fn go_field_name(json_name: &str) -> String {
    let mut chars = json_name.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::apply_defaults;
    use serde_json::json;

    fn pod(spec: Value) -> Value {
        let mut p = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": spec});
        apply_defaults("Pod", &mut p);
        p
    }

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn create_errors() {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                json!({"containers": [{"name": "c", "image": "nginx"}]}),
                vec![],
            ),
            (
                json!({"containers": []}),
                vec!["spec.containers: Required value"],
            ),
            (
                json!({"containers": [{"name": "c"}]}),
                vec!["spec.containers[0].image: Required value"],
            ),
            (
                json!({"containers": [{"name": "c", "image": "a"}, {"name": "c", "image": "b"}]}),
                vec!["spec.containers[1].name: Duplicate value: \"c\""],
            ),
            (
                json!({"containers": [{"name": "C_1", "image": "a"}]}),
                vec![
                    "spec.containers[0].name: Invalid value: \"C_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                ],
            ),
            (
                json!({"containers": [{"name": "c", "image": "a", "ports": [{"containerPort": 70000}, {"containerPort": 80, "name": "http"}, {"containerPort": 81, "name": "http"}]}]}),
                vec![
                    "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                    "spec.containers[0].ports[2].name: Duplicate value: \"http\"",
                ],
            ),
            (
                json!({"containers": [{"name": "c", "image": "a", "ports": [{"containerPort": 80, "protocol": "XYZ"}]}]}),
                vec![
                    "spec.containers[0].ports[0].protocol: Unsupported value: \"XYZ\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                ],
            ),
            (
                json!({"restartPolicy": "Sometimes", "dnsPolicy": "Magic", "containers": [{"name": "c", "image": "a"}]}),
                vec![
                    "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                    "spec.dnsPolicy: Unsupported value: \"Magic\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
                ],
            ),
            (
                json!({"containers": [{"name": "c", "image": "a", "env": [{"name": ""}, {"name": "A=B"}]}]}),
                vec![
                    "spec.containers[0].env[0].name: Required value",
                    "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
                ],
            ),
            (
                json!({"containers": [{"name": "c", "image": "a", "imagePullPolicy": "Sometimes", "livenessProbe": {"successThreshold": 2, "httpGet": {"port": "HTTP"}}}]}),
                vec![
                    "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
                    "spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                    "spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"HTTP\": must contain at least one letter (a-z)",
                    "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
                ],
            ),
            (
                json!({"containers": [{"name": "c", "image": "a", "readinessProbe": {}}]}),
                vec![
                    "spec.containers[0].readinessProbe: Required value: must specify a handler type",
                ],
            ),
            (
                json!({"containers": [{"name": "c", "image": " a"}]}),
                vec![
                    "spec.containers[0].image: Invalid value: \" a\": must not have leading or trailing whitespace",
                ],
            ),
        ];
        for (spec, want) in cases {
            let p = pod(spec.clone());
            assert_eq!(msgs(validate_pod_create(&p)), want, "{spec}");
        }
    }

    #[test]
    fn status_updates_validate_metadata_not_the_spec() {
        let old = pod(json!({"containers": [{"name": "c", "image": "nginx:1"}]}));
        let mut new = old.clone();
        new["status"] = json!({"phase": "Running"});
        new["spec"]["tolerations"] = json!([{"key": "Bad Key", "operator": "Exists"}]);
        assert!(validate_pod_update(&new, &old).len() > 1);
        assert!(validate_pod_status_update(&new, &old).is_empty());

        new["metadata"]["labels"] = json!({"a": "-bad-"});
        assert_eq!(
            msgs(validate_pod_status_update(&new, &old)),
            vec![
                "metadata.labels: Invalid value: \"-bad-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
            ]
        );
        let mut renamed = old.clone();
        renamed["metadata"]["uid"] = json!("another");
        assert_eq!(
            msgs(validate_pod_status_update(&renamed, &old)),
            vec!["metadata.uid: Invalid value: \"another\": field is immutable"]
        );
    }

    #[test]
    fn update_rules() {
        let old = pod(json!({"containers": [{"name": "c", "image": "nginx:1"}]}));
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("nginx:2");
        new["spec"]["activeDeadlineSeconds"] = json!(30);
        new["metadata"]["labels"] = json!({"a": "b"});
        new["spec"]["tolerations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"key": "k", "operator": "Exists"}));
        assert!(validate_pod_update(&new, &old).is_empty());

        let mut bad = old.clone();
        bad["spec"]["nodeName"] = json!("n1");
        let errs = validate_pod_update(&bad, &old);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "spec");
        assert_eq!(errs[0].reason(), "FieldValueForbidden");
        let first = errs[0].message().lines().next().unwrap().to_string();
        assert_eq!(
            first,
            "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
        );
        assert!(errs[0].message().contains("+ \tNodeName: \"n1\",\n"));

        let mut added = old.clone();
        added["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "d", "image": "x"}));
        apply_defaults("Pod", &mut added);
        assert_eq!(
            msgs(validate_pod_update(&added, &old)),
            vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
        );

        let mut tol = old.clone();
        tol["spec"]["tolerations"] = json!([]);
        assert_eq!(
            msgs(validate_pod_update(&tol, &old)),
            vec![
                "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
            ]
        );

        let mut ads_old = old.clone();
        ads_old["spec"]["activeDeadlineSeconds"] = json!(10);
        let mut ads_new = old.clone();
        ads_new["spec"]["activeDeadlineSeconds"] = json!(20);
        assert_eq!(
            msgs(validate_pod_update(&ads_new, &ads_old)),
            vec![
                "spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value"
            ]
        );
    }
}
