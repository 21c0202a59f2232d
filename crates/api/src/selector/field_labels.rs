//! The field labels each kind supports in field selectors (the `AddFieldLabelConversionFunc`
//! lists) and how their values are read from an object (the registries' `ToSelectableFields`).

use serde_json::Value;

fn supported(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
            "spec.host",
        ],
        "Node" => &["metadata.name", "spec.unschedulable"],
        "Namespace" => &["status.phase", "metadata.name"],
        "Service" => &[
            "metadata.namespace",
            "metadata.name",
            "spec.clusterIP",
            "spec.type",
        ],
        "Event" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
            "metadata.namespace",
            "metadata.name",
        ],
        _ => return None,
    })
}

/// Whether `field` may appear in a field selector for this kind.
pub fn supported_field(kind: &str, field: &str) -> bool {
    field_label_error(kind, field).is_none()
}

/// The upstream error for an unsupported field label (the server answers 400 with it), or
/// `None` when the label is supported. Kinds without their own list accept only
/// `metadata.name` and `metadata.namespace`.
pub fn field_label_error(kind: &str, field: &str) -> Option<String> {
    match supported(kind) {
        Some(list) if list.contains(&field) => None,
        Some(_) => Some(format!("field label not supported: {field}")),
        None if field == "metadata.name" || field == "metadata.namespace" => None,
        None => Some(format!(
            "\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        )),
    }
}

fn string_at(obj: &Value, pointer: &str) -> String {
    obj.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// What [`field_value`] reads of an object for `field`: top-level members, each whole (`None`)
/// or only one of its own members, so a caller may decode just those.
pub fn field_sources<'a>(kind: &str, field: &'a str) -> Vec<(&'a str, Option<&'a str>)> {
    match (kind, field) {
        ("Pod", "spec.host") => vec![("spec", Some("nodeName"))],
        ("Pod", "status.podIP") => vec![("status", Some("podIPs"))],
        ("Event", "source") => vec![("source", None), ("reportingComponent", None)],
        _ => match field.split_once('.') {
            Some((member, rest)) => vec![(member, Some(rest.split('.').next().unwrap_or(rest)))],
            None => vec![(field, None)],
        },
    }
}

/// The value of a field label on an object, as its registry exposes it to field selectors;
/// `None` for labels the kind does not expose (they match as `""`).
pub fn field_value(kind: &str, obj: &Value, field: &str) -> Option<String> {
    let canonical = if kind == "Pod" && field == "spec.host" {
        "spec.nodeName"
    } else {
        field
    };
    let value = match (kind, canonical) {
        ("Node" | "Namespace", "metadata.namespace") => return None,
        (_, "metadata.name") => string_at(obj, "/metadata/name"),
        (_, "metadata.namespace") => string_at(obj, "/metadata/namespace"),
        (
            "Pod",
            "spec.nodeName"
            | "spec.restartPolicy"
            | "spec.schedulerName"
            | "spec.serviceAccountName"
            | "status.phase"
            | "status.nominatedNodeName",
        ) => string_at(obj, &format!("/{}", canonical.replace('.', "/"))),
        ("Pod", "spec.hostNetwork") => obj
            .pointer("/spec/hostNetwork")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            .to_string(),
        ("Pod", "status.podIP") => obj
            .pointer("/status/podIPs/0/ip")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        ("Node", "spec.unschedulable") => obj
            .pointer("/spec/unschedulable")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            .to_string(),
        ("Namespace", "status.phase") => string_at(obj, "/status/phase"),
        ("Service", "spec.clusterIP" | "spec.type") => {
            string_at(obj, &format!("/{}", canonical.replace('.', "/")))
        }
        ("Event", "source") => {
            let component = string_at(obj, "/source/component");
            if component.is_empty() {
                string_at(obj, "/reportingComponent")
            } else {
                component
            }
        }
        ("Event", "reason" | "reportingComponent" | "type") => {
            string_at(obj, &format!("/{canonical}"))
        }
        ("Event", f) if f.starts_with("involvedObject.") => string_at(
            obj,
            &format!("/involvedObject/{}", &f["involvedObject.".len()..]),
        ),
        _ => return None,
    };
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selector::FieldSelector;
    use serde_json::json;

    #[test]
    fn supported_labels() {
        assert!(supported_field("Pod", "spec.nodeName"));
        assert!(supported_field("Endpoints", "metadata.namespace"));
        assert!(!supported_field("Node", "metadata.namespace"));
        assert_eq!(
            field_label_error("Pod", "foo").unwrap(),
            "field label not supported: foo"
        );
        assert_eq!(
            field_label_error("EndpointSlice", "spec.x").unwrap(),
            "\"spec.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
    }

    #[test]
    fn values() {
        let pod = json!({"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": "n1", "restartPolicy": "Always"}, "status": {"phase": "Running", "podIPs": [{"ip": "10.1.0.5"}]}});
        let cases = [
            ("metadata.name", Some("p")),
            ("metadata.namespace", Some("ns")),
            ("spec.nodeName", Some("n1")),
            ("spec.host", Some("n1")),
            ("spec.hostNetwork", Some("false")),
            ("status.phase", Some("Running")),
            ("status.podIP", Some("10.1.0.5")),
            ("status.nominatedNodeName", Some("")),
            ("status.podIPs", None),
        ];
        for (f, want) in cases {
            assert_eq!(field_value("Pod", &pod, f).as_deref(), want, "{f}");
        }
        let ev = json!({"involvedObject": {"kind": "Pod", "name": "p", "uid": "u"}, "reason": "Started", "reportingComponent": "kubelet", "type": "Normal"});
        assert_eq!(
            field_value("Event", &ev, "involvedObject.kind").as_deref(),
            Some("Pod")
        );
        assert_eq!(
            field_value("Event", &ev, "source").as_deref(),
            Some("kubelet")
        );
        let node = json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}});
        assert_eq!(
            field_value("Node", &node, "spec.unschedulable").as_deref(),
            Some("true")
        );
        let sel = FieldSelector::parse("spec.nodeName=n1,status.phase!=Failed").unwrap();
        assert!(sel.matches(|f| field_value("Pod", &pod, f)));
    }

    /// The object with only `metadata` and what `field_sources` names.
    fn only_sources(kind: &str, obj: &Value, field: &str) -> Value {
        let mut out = json!({"metadata": obj["metadata"].clone()});
        for (member, key) in field_sources(kind, field) {
            match (key, obj.get(member)) {
                (None, Some(v)) => out[member] = v.clone(),
                (Some(k), Some(v)) => {
                    if let Some(inner) = v.get(k) {
                        out[member][k] = inner.clone();
                    }
                }
                (_, None) => {}
            }
        }
        out
    }

    #[test]
    fn sources_are_all_a_value_reads() {
        let pod = json!({"metadata": {"name": "p", "namespace": "ns"},
            "spec": {"nodeName": "n1", "restartPolicy": "Never", "hostNetwork": true, "schedulerName": "s", "serviceAccountName": "sa"},
            "status": {"phase": "Running", "podIPs": [{"ip": "10.1.0.5"}], "nominatedNodeName": "n2"}});
        let event = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "reason": "Started", "reportingComponent": "kubelet", "type": "Normal", "source": {}});
        let node =
            json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}, "status": {}});
        let service = json!({"metadata": {"name": "s"}, "spec": {"clusterIP": "10.43.0.9", "type": "NodePort"}});
        let cases = [
            ("Pod", &pod, "spec.nodeName"),
            ("Pod", &pod, "spec.host"),
            ("Pod", &pod, "spec.restartPolicy"),
            ("Pod", &pod, "spec.schedulerName"),
            ("Pod", &pod, "spec.serviceAccountName"),
            ("Pod", &pod, "spec.hostNetwork"),
            ("Pod", &pod, "status.phase"),
            ("Pod", &pod, "status.podIP"),
            ("Pod", &pod, "status.nominatedNodeName"),
            ("Pod", &pod, "metadata.name"),
            ("Event", &event, "involvedObject.kind"),
            ("Event", &event, "involvedObject.name"),
            ("Event", &event, "source"),
            ("Event", &event, "reason"),
            ("Event", &event, "type"),
            ("Node", &node, "spec.unschedulable"),
            ("Service", &service, "spec.clusterIP"),
            ("Service", &service, "spec.type"),
        ];
        for (kind, obj, field) in cases {
            let full = field_value(kind, obj, field);
            assert!(
                full.as_deref().is_some_and(|v| !v.is_empty()),
                "{kind} {field}"
            );
            let reduced = only_sources(kind, obj, field);
            assert_eq!(field_value(kind, &reduced, field), full, "{kind} {field}");
        }
    }
}
