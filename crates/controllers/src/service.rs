//! What the endpoint controllers read from a Service: its selector and which Pods it picks, the
//! labels its slices carry, the owner reference to it, and the endpoints' trigger time.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::names::{LABEL_HEADLESS, LABEL_MANAGED_BY, LABEL_SERVICE_NAME};
use crate::pod;

/// The Service's selector; `None` for a Service without one (missing or empty), whose endpoints
/// are managed by the user.
pub fn selector(svc: &Service) -> Option<&BTreeMap<String, String>> {
    svc.spec
        .as_ref()?
        .selector
        .as_ref()
        .filter(|s| !s.is_empty())
}

/// Whether the endpoints and endpointslice controllers build endpoints for this Service: it has a
/// selector and is not of type `ExternalName`.
pub fn has_managed_endpoints(svc: &Service) -> bool {
    let external = svc.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("ExternalName");
    !external && selector(svc).is_some()
}

/// Whether `labels` satisfy every `key=value` of `selector`.
pub fn matches(
    selector: &BTreeMap<String, String>,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// Whether the Service selects the Pod (same namespace, selector matches its labels).
pub fn selects(svc: &Service, pod: &Pod) -> bool {
    svc.metadata.namespace == pod.metadata.namespace
        && selector(svc).is_some_and(|s| matches(s, pod.metadata.labels.as_ref()))
}

/// The Service has a ClusterIP (it is not headless).
pub fn is_ip_set(svc: &Service) -> bool {
    let ip = svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref());
    !matches!(ip, None | Some("") | Some("None"))
}

/// The controller owner reference children of the Service carry.
pub fn owner_reference(svc: &Service) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "Service".into(),
        name: svc.metadata.name.clone().unwrap_or_default(),
        uid: svc.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Whether a label key is one the slice controllers own (never copied from the Service).
pub fn is_reserved_label(key: &str) -> bool {
    key == LABEL_SERVICE_NAME || key == LABEL_MANAGED_BY || key == LABEL_HEADLESS
}

/// The Service's labels minus the reserved ones.
fn copied_labels(labels: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    labels
        .into_iter()
        .flatten()
        .filter(|(k, _)| !is_reserved_label(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The labels a slice of this Service carries: the Service's own (except reserved keys), the
/// headless marker when it has no ClusterIP, its name and the managing controller.
pub fn slice_labels(svc: &Service, controller: &str) -> BTreeMap<String, String> {
    let mut labels = copied_labels(svc.metadata.labels.as_ref());
    if !is_ip_set(svc) {
        labels.insert(LABEL_HEADLESS.into(), String::new());
    }
    labels.insert(
        LABEL_SERVICE_NAME.into(),
        svc.metadata.name.clone().unwrap_or_default(),
    );
    labels.insert(LABEL_MANAGED_BY.into(), controller.into());
    labels
}

/// Whether an existing slice's non-reserved labels differ from the Service's.
pub fn slice_labels_changed(
    svc: &Service,
    slice_labels: Option<&BTreeMap<String, String>>,
) -> bool {
    copied_labels(slice_labels) != copied_labels(svc.metadata.labels.as_ref())
}

/// The `last-change-trigger-time` of the Service's endpoints: the latest of the Service's
/// creation and its Pods' readiness changes. Upstream remembers which Pods changed since the last
/// sync and takes the earliest of those; without that memory the latest change is the closest
/// level-triggered answer.
pub fn trigger_time(svc: &Service, pods: &[&Pod]) -> Option<Timestamp> {
    let created = svc.metadata.creation_timestamp.as_ref().map(|t| t.0);
    pods.iter()
        .filter_map(|p| pod::readiness_changed_at(p))
        .chain(created)
        .max()
}

/// The annotation value for a trigger time: RFC 3339 in UTC, fractional seconds only when set.
pub fn format_trigger_time(t: Timestamp) -> String {
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs<'a> = &'a [(&'a str, &'a str)];

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selector_matching() {
        let cases: &[(Pairs, Option<Pairs>, bool)] = &[
            (
                &[("app", "web")],
                Some(&[("app", "web"), ("tier", "x")]),
                true,
            ),
            (&[("app", "web")], Some(&[("app", "db")]), false),
            (
                &[("app", "web"), ("tier", "x")],
                Some(&[("app", "web")]),
                false,
            ),
            (&[("app", "web")], None, false),
        ];
        for (sel, labels, want) in cases {
            let labels = labels.map(map);
            assert_eq!(
                matches(&map(sel), labels.as_ref()),
                *want,
                "{sel:?} {labels:?}"
            );
        }
    }

    #[test]
    fn trigger_time_format_is_rfc3339_utc() {
        let t: Timestamp = "2024-05-06T07:08:09Z".parse().unwrap();
        assert_eq!(format_trigger_time(t), "2024-05-06T07:08:09Z");
        let t: Timestamp = "2024-05-06T07:08:09.5Z".parse().unwrap();
        assert_eq!(format_trigger_time(t), "2024-05-06T07:08:09.5Z");
    }
}
