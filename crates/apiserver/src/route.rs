//! Maps a request path onto what it names: a discovery document or a resource URL.

use kubelite_api::resources::{self, ResourceInfo};

/// What a resource URL names.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePath {
    pub resource: &'static ResourceInfo,
    /// The namespace from the URL (`/namespaces/{ns}/...`); for the `namespaces` resource itself
    /// this stays `None` and the namespace is the `name`.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Version,
    Health(&'static str),
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/{group}`
    Group(String),
    /// `/api/v1`, `/apis/{group}/{version}`
    ResourceList {
        group: String,
        version: String,
    },
    OpenApiV2,
    OpenApiV3Index,
    OpenApiV3(String),
    Resource(ResourcePath),
    NotFound,
}

pub fn route(path: &str) -> Route {
    let trimmed = path.trim_end_matches('/');
    match trimmed {
        "/version" => return Route::Version,
        "/healthz" => return Route::Health("healthz"),
        "/livez" => return Route::Health("livez"),
        "/readyz" => return Route::Health("readyz"),
        "/api" => return Route::CoreVersions,
        "/apis" => return Route::Groups,
        "/openapi/v2" => return Route::OpenApiV2,
        "/openapi/v3" => return Route::OpenApiV3Index,
        _ => {}
    }
    if let Some(rest) = trimmed.strip_prefix("/openapi/v3/") {
        return Route::OpenApiV3(rest.to_string());
    }
    let segs: Vec<&str> = trimmed.split('/').skip(1).collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group] => return Route::Group(group.to_string()),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Route::NotFound,
    };
    if rest.is_empty() {
        return Route::ResourceList {
            group: group.into(),
            version: version.into(),
        };
    }
    resource_path(group, version, rest).map_or(Route::NotFound, Route::Resource)
}

fn resource_path(group: &str, version: &str, rest: &[&str]) -> Option<ResourcePath> {
    let lookup = |plural: &str| resources::lookup(group, version, plural);
    let build =
        |r: &'static ResourceInfo, ns: Option<&str>, name: Option<&str>, sub: Option<&str>| {
            Some(ResourcePath {
                resource: r,
                namespace: ns.map(String::from),
                name: name.map(String::from),
                subresource: sub.map(String::from),
            })
        };
    match rest {
        // /namespaces/{ns}/{plural}[/{name}[/{sub}]] for namespaced resources.
        ["namespaces", ns, plural, tail @ ..] if lookup(plural).is_some_and(|r| r.namespaced) => {
            let r = lookup(plural)?;
            match tail {
                [] => build(r, Some(ns), None, None),
                [name] => build(r, Some(ns), Some(name), None),
                [name, sub] => build(r, Some(ns), Some(name), Some(sub)),
                _ => None,
            }
        }
        [plural, tail @ ..] => {
            let r = lookup(plural)?;
            match tail {
                // A namespaced resource listed across all namespaces.
                [] => build(r, None, None, None),
                [name] if !r.namespaced => build(r, None, Some(name), None),
                [name, sub] if !r.namespaced => build(r, None, Some(name), Some(sub)),
                _ => None,
            }
        }
        [] => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> (String, Option<String>, Option<String>, Option<String>) {
        match route(path) {
            Route::Resource(p) => (
                p.resource.plural.to_string(),
                p.namespace,
                p.name,
                p.subresource,
            ),
            other => panic!("{path}: {other:?}"),
        }
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn resource_urls() {
        assert_eq!(res("/api/v1/pods"), ("pods".into(), None, None, None));
        assert_eq!(
            res("/api/v1/namespaces/default/pods/sleep/exec"),
            ("pods".into(), s("default"), s("sleep"), s("exec"))
        );
        assert_eq!(
            res("/api/v1/namespaces"),
            ("namespaces".into(), None, None, None)
        );
        assert_eq!(
            res("/api/v1/namespaces/kube-system"),
            ("namespaces".into(), None, s("kube-system"), None)
        );
        assert_eq!(
            res("/api/v1/namespaces/foo/status"),
            ("namespaces".into(), None, s("foo"), s("status"))
        );
        assert_eq!(
            res("/api/v1/namespaces/foo/finalize"),
            ("namespaces".into(), None, s("foo"), s("finalize"))
        );
        assert_eq!(
            res("/api/v1/nodes/n1/status"),
            ("nodes".into(), None, s("n1"), s("status"))
        );
        assert_eq!(
            res("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"),
            ("endpointslices".into(), s("default"), None, None)
        );
    }

    #[test]
    fn other_urls() {
        assert_eq!(route("/version"), Route::Version);
        assert_eq!(route("/readyz"), Route::Health("readyz"));
        assert_eq!(route("/api"), Route::CoreVersions);
        assert_eq!(route("/apis/"), Route::Groups);
        assert_eq!(
            route("/apis/discovery.k8s.io"),
            Route::Group("discovery.k8s.io".into())
        );
        assert_eq!(
            route("/api/v1"),
            Route::ResourceList {
                group: "".into(),
                version: "v1".into()
            }
        );
        assert_eq!(
            route("/openapi/v3/api/v1"),
            Route::OpenApiV3("api/v1".into())
        );
        assert_eq!(route("/api/v1/widgets"), Route::NotFound);
        assert_eq!(route("/api/v1/pods/x"), Route::NotFound);
        assert_eq!(
            route("/api/v1/namespaces/default/pods/a/b/c"),
            Route::NotFound
        );
        assert_eq!(route("/nope"), Route::NotFound);
    }
}
