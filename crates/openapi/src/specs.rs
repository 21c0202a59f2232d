//! The set of documents kube-apiserver publishes for what kubelite serves, keyed like the
//! `/openapi/v3` index (`api`, `api/v1`, `apis`, `apis/discovery.k8s.io`,
//! `apis/discovery.k8s.io/v1`, `version`), each as its paths plus the schemas they reference.
//! The OpenAPI 3 renderer serves them one by one; Swagger 2 merges them into one document.

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::apimachinery::pkg::version;
use kubelite_api::resources::{RESOURCES, ResourceInfo, group_versions};
use schemars::JsonSchema;
use serde_json::{Map, Value};

use crate::components::{self, Dialect};
use crate::operations::{self, Method, OBJECT_MEDIA, Operation, PathItem, Payload};

/// One published document before rendering.
pub(crate) struct Spec {
    /// The `/openapi/v3` index key (`api/v1`).
    pub key: String,
    pub paths: Vec<PathItem>,
    pub schemas: Map<String, Value>,
}

/// Every document, sorted by key as the index lists them.
pub(crate) fn specs(dialect: Dialect) -> Vec<Spec> {
    let gvs = group_versions();
    let mut out = vec![
        discovery_root::<meta::APIVersions>(
            "api",
            "/api/",
            "getCoreAPIVersions",
            "core",
            "get available API versions",
            dialect,
        ),
        discovery_root::<meta::APIGroupList>(
            "apis",
            "/apis/",
            "getAPIVersions",
            "apis",
            "get available API versions",
            dialect,
        ),
        discovery_root::<version::Info>(
            "version",
            "/version/",
            "getCodeVersion",
            "version",
            "get the version information for this server",
            dialect,
        ),
    ];
    let mut groups: Vec<&str> = Vec::new();
    for &(group, version) in &gvs {
        let resources: Vec<&ResourceInfo> = RESOURCES
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .collect();
        let mut paths = vec![operations::resources_path(group, version)];
        paths.extend(resources.iter().flat_map(|r| operations::resource_paths(r)));
        let root = operations::root(group, version);
        out.push(Spec {
            key: root.trim_start_matches('/').to_string(),
            paths,
            schemas: components::schemas(&resources, &gvs, dialect),
        });
        if !group.is_empty() && !groups.contains(&group) {
            groups.push(group);
            let name = group
                .trim_end_matches(".k8s.io")
                .split('.')
                .next()
                .unwrap_or(group);
            let id = format!("get{}APIGroup", &operations::id_prefix(group, ""));
            out.push(discovery_root::<meta::APIGroup>(
                &format!("apis/{group}"),
                &format!("/apis/{group}/"),
                &id,
                name,
                "get information of a group",
                dialect,
            ));
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// A document with the single `GET` of a discovery or version endpoint.
fn discovery_root<T: JsonSchema>(
    key: &str,
    path: &str,
    id: &str,
    tag: &str,
    description: &str,
    dialect: Dialect,
) -> Spec {
    let operation = Operation {
        method: Method::Get,
        id: id.to_string(),
        description: description.to_string(),
        tag: tag.to_string(),
        action: None,
        gvk: None,
        params: Vec::new(),
        body: None,
        responses: vec![("200", Payload::Schema(T::schema_name().into_owned()))],
        produces: if key == "version" {
            &["application/json"]
        } else {
            OBJECT_MEDIA
        },
    };
    Spec {
        key: key.to_string(),
        paths: vec![PathItem {
            path: path.to_string(),
            params: Vec::new(),
            operations: vec![operation],
        }],
        schemas: components::type_schemas::<T>(dialect),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_the_index_kube_apiserver_serves() {
        let keys: Vec<String> = specs(Dialect::V3).into_iter().map(|s| s.key).collect();
        assert_eq!(
            keys,
            [
                "api",
                "api/v1",
                "apis",
                "apis/discovery.k8s.io",
                "apis/discovery.k8s.io/v1",
                "version"
            ]
        );
    }

    #[test]
    fn group_document_reads_the_api_group() {
        let spec = specs(Dialect::V3)
            .into_iter()
            .find(|s| s.key == "apis/discovery.k8s.io")
            .unwrap();
        let op = &spec.paths[0].operations[0];
        assert_eq!(
            (spec.paths[0].path.as_str(), op.id.as_str()),
            ("/apis/discovery.k8s.io/", "getDiscoveryAPIGroup")
        );
        assert!(
            spec.schemas
                .contains_key("io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup")
        );
    }
}
