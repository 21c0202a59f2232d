//! The schema tables, one file per API area, and the registry from (apiVersion, kind) to the
//! top-level message.

mod container;
mod meta;
mod node;
mod pod;
mod service;
mod small_kinds;
mod volume;

use crate::schema::Message;

/// The kinds whose protobuf this crate decodes, with their apiVersion. `DeleteOptions` is
/// accepted under any apiVersion: every group registers it.
static KINDS: &[(&str, &str, &Message)] = &[
    ("v1", "Namespace", &small_kinds::NAMESPACE),
    ("v1", "Service", &service::SERVICE),
    ("v1", "ServiceAccount", &small_kinds::SERVICE_ACCOUNT),
    ("v1", "Pod", &pod::POD),
    ("v1", "Endpoints", &small_kinds::ENDPOINTS),
    ("v1", "Event", &small_kinds::EVENT),
    ("v1", "Node", &node::NODE),
];

/// The schema of `kind` in `api_version`, if this crate has one.
pub(crate) fn lookup(api_version: &str, kind: &str) -> Option<&'static Message> {
    if kind == "DeleteOptions" {
        return Some(&meta::DELETE_OPTIONS);
    }
    KINDS
        .iter()
        .find(|(v, k, _)| *v == api_version && *k == kind)
        .map(|(_, _, message)| *message)
}

/// Every (apiVersion, kind) with a schema, `DeleteOptions` listed under `meta.k8s.io/v1`.
#[cfg(test)]
pub(crate) fn all() -> impl Iterator<Item = (&'static str, &'static str, &'static Message)> {
    KINDS.iter().copied().chain(std::iter::once((
        "meta.k8s.io/v1",
        "DeleteOptions",
        &meta::DELETE_OPTIONS,
    )))
}
