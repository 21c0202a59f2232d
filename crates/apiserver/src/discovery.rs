//! Discovery documents, aggregated (`apidiscovery.k8s.io/v2`) and legacy (`APIVersions`,
//! `APIGroupList`, `APIResourceList`), all derived from the resource registry.

use kubelite_api::resources::{self, ResourceInfo};
use serde_json::{Value, json};

/// `GET /version`.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": concat!("v1.33.0-kubelite.", env!("CARGO_PKG_VERSION")),
        "gitCommit": "kubelite",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn in_group(group: &str) -> impl Iterator<Item = &'static ResourceInfo> + '_ {
    resources::RESOURCES
        .iter()
        .filter(move |r| r.group == group)
}

/// Aggregated discovery for the core group (`/api`) or all named groups (`/apis`).
pub fn aggregated(core: bool, version: &str) -> Value {
    let mut items = Vec::new();
    for (group, gv) in resources::group_versions() {
        if group.is_empty() != core {
            continue;
        }
        let resources: Vec<Value> = in_group(group)
            .filter(|r| r.version == gv)
            .map(aggregated_resource)
            .collect();
        let metadata = if group.is_empty() {
            json!({"creationTimestamp": null})
        } else {
            json!({"name": group, "creationTimestamp": null})
        };
        items.push(json!({
            "metadata": metadata,
            "versions": [{"version": gv, "resources": resources, "freshness": "Current"}],
        }));
    }
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    })
}

fn aggregated_resource(r: &ResourceInfo) -> Value {
    let mut v = json!({
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": r.singular,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        v["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        v["categories"] = json!(r.categories);
    }
    if !r.subresources.is_empty() {
        v["subresources"] = r
            .subresources
            .iter()
            .map(|s| {
                json!({
                    "subresource": s.name,
                    "responseKind": {
                        "group": if s.version.is_empty() { r.group } else { s.group },
                        "version": if s.version.is_empty() { r.version } else { s.version },
                        "kind": s.kind,
                    },
                    "verbs": s.verbs,
                })
            })
            .collect();
    }
    v
}

/// Legacy `GET /api`.
pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]})
}

fn api_group(group: &str) -> Value {
    let versions: Vec<Value> = resources::group_versions()
        .into_iter()
        .filter(|(g, _)| *g == group)
        .map(|(g, v)| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": versions,
        "preferredVersion": versions.first().cloned().unwrap_or(Value::Null),
    })
}

/// Legacy `GET /apis`.
pub fn groups() -> Value {
    let mut names: Vec<&str> = Vec::new();
    for (g, _) in resources::group_versions() {
        if !g.is_empty() && !names.contains(&g) {
            names.push(g);
        }
    }
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": names.into_iter().map(api_group).collect::<Vec<_>>(),
    })
}

/// Legacy `GET /apis/{group}`; `None` for a group not served.
pub fn group(name: &str) -> Option<Value> {
    if name.is_empty() || in_group(name).next().is_none() {
        return None;
    }
    let mut g = api_group(name);
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    Some(g)
}

/// Legacy `GET /api/v1` or `/apis/{group}/{version}`; `None` when not served.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let served: Vec<&ResourceInfo> = in_group(group).filter(|r| r.version == version).collect();
    if served.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for r in served {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        list.push(entry);
        for s in r.subresources {
            let mut sub = json!({
                "name": format!("{}/{}", r.plural, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.kind,
                "verbs": s.verbs,
            });
            if !s.version.is_empty() {
                sub["group"] = json!(s.group);
                sub["version"] = json!(s.version);
            }
            list.push(sub);
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": list,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_core_lists_pods_with_short_names_and_subresources() {
        let doc = aggregated(true, "v2");
        assert_eq!(doc["items"].as_array().unwrap().len(), 1);
        let resources = doc["items"][0]["versions"][0]["resources"]
            .as_array()
            .unwrap();
        let pods = resources.iter().find(|r| r["resource"] == "pods").unwrap();
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
        assert_eq!(pods["scope"], "Namespaced");
        let exec = pods["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "exec")
            .unwrap();
        assert_eq!(exec["responseKind"]["kind"], "PodExecOptions");
        let status = pods["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "status")
            .unwrap();
        assert_eq!(
            status["responseKind"],
            json!({"group": "", "version": "v1", "kind": "Pod"})
        );
    }

    #[test]
    fn aggregated_groups_name_discovery() {
        let doc = aggregated(false, "v2beta1");
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2beta1");
        assert_eq!(doc["items"][0]["metadata"]["name"], "discovery.k8s.io");
    }

    #[test]
    fn legacy_documents() {
        let core = resource_list("", "v1").unwrap();
        let names: Vec<&str> = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"pods/exec"));
        assert!(names.contains(&"services"));
        assert!(resource_list("apps", "v1").is_none());
        assert_eq!(
            groups()["groups"][0]["preferredVersion"]["groupVersion"],
            "discovery.k8s.io/v1"
        );
        assert!(group("discovery.k8s.io").is_some());
        assert!(group("apps").is_none());
    }
}
