//! The upstream OpenAPI extensions k8s-openapi does not carry: `x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys`, `x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`
//! and `x-kubernetes-map-type`. kubectl reads the patch ones to build strategic merge patches
//! (`kubectl apply`); the list ones describe server-side apply merging.
//!
//! The table holds the markers and struct tags of the Go types (k8s.io/api v0.33,
//! k8s.io/apimachinery v0.33) for every schema reachable from a kind kubelite serves.

use serde_json::{Map, Value};

/// (schema name without `io.k8s.`, JSON field or `""` for the type itself, list-type,
/// list-map-keys, patch-strategy, patch-merge-key, map-type); `""` means absent.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const TABLE: &[Row] = &[
    ("api.core.v1.Capabilities", "add", "atomic", &[], "", "", ""),
    ("api.core.v1.Capabilities", "drop", "atomic", &[], "", "", ""),
    ("api.core.v1.CephFSVolumeSource", "monitors", "atomic", &[], "", "", ""),
    ("api.core.v1.ConfigMapKeySelector", "", "", &[], "", "", "atomic"),
    ("api.core.v1.ConfigMapProjection", "items", "atomic", &[], "", "", ""),
    ("api.core.v1.ConfigMapVolumeSource", "items", "atomic", &[], "", "", ""),
    ("api.core.v1.Container", "args", "atomic", &[], "", "", ""),
    ("api.core.v1.Container", "command", "atomic", &[], "", "", ""),
    ("api.core.v1.Container", "env", "map", &["name"], "merge", "name", ""),
    ("api.core.v1.Container", "envFrom", "atomic", &[], "", "", ""),
    ("api.core.v1.Container", "ports", "map", &["containerPort", "protocol"], "merge", "containerPort", ""),
    ("api.core.v1.Container", "resizePolicy", "atomic", &[], "", "", ""),
    ("api.core.v1.Container", "volumeDevices", "map", &["devicePath"], "merge", "devicePath", ""),
    ("api.core.v1.Container", "volumeMounts", "map", &["mountPath"], "merge", "mountPath", ""),
    ("api.core.v1.ContainerImage", "names", "atomic", &[], "", "", ""),
    ("api.core.v1.ContainerStatus", "allocatedResourcesStatus", "map", &["name"], "merge", "name", ""),
    ("api.core.v1.ContainerStatus", "volumeMounts", "map", &["mountPath"], "merge", "mountPath", ""),
    ("api.core.v1.DownwardAPIProjection", "items", "atomic", &[], "", "", ""),
    ("api.core.v1.DownwardAPIVolumeSource", "items", "atomic", &[], "", "", ""),
    ("api.core.v1.EndpointAddress", "", "", &[], "", "", "atomic"),
    ("api.core.v1.EndpointPort", "", "", &[], "", "", "atomic"),
    ("api.core.v1.EndpointSubset", "addresses", "atomic", &[], "", "", ""),
    ("api.core.v1.EndpointSubset", "notReadyAddresses", "atomic", &[], "", "", ""),
    ("api.core.v1.EndpointSubset", "ports", "atomic", &[], "", "", ""),
    ("api.core.v1.Endpoints", "subsets", "atomic", &[], "", "", ""),
    ("api.core.v1.ExecAction", "command", "atomic", &[], "", "", ""),
    ("api.core.v1.FCVolumeSource", "targetWWNs", "atomic", &[], "", "", ""),
    ("api.core.v1.FCVolumeSource", "wwids", "atomic", &[], "", "", ""),
    ("api.core.v1.HTTPGetAction", "httpHeaders", "atomic", &[], "", "", ""),
    ("api.core.v1.HostAlias", "hostnames", "atomic", &[], "", "", ""),
    ("api.core.v1.ISCSIVolumeSource", "portals", "atomic", &[], "", "", ""),
    ("api.core.v1.LinuxContainerUser", "supplementalGroups", "atomic", &[], "", "", ""),
    ("api.core.v1.LoadBalancerIngress", "ports", "atomic", &[], "", "", ""),
    ("api.core.v1.LoadBalancerStatus", "ingress", "atomic", &[], "", "", ""),
    ("api.core.v1.LocalObjectReference", "", "", &[], "", "", "atomic"),
    ("api.core.v1.NamespaceSpec", "finalizers", "atomic", &[], "", "", ""),
    ("api.core.v1.NamespaceStatus", "conditions", "map", &["type"], "merge", "type", ""),
    ("api.core.v1.NodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeSelector", "", "", &[], "", "", "atomic"),
    ("api.core.v1.NodeSelector", "nodeSelectorTerms", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeSelectorRequirement", "values", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeSelectorTerm", "", "", &[], "", "", "atomic"),
    ("api.core.v1.NodeSelectorTerm", "matchExpressions", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeSelectorTerm", "matchFields", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeSpec", "podCIDRs", "set", &[], "merge", "", ""),
    ("api.core.v1.NodeSpec", "taints", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeStatus", "addresses", "map", &["type"], "merge", "type", ""),
    ("api.core.v1.NodeStatus", "conditions", "map", &["type"], "merge", "type", ""),
    ("api.core.v1.NodeStatus", "images", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeStatus", "runtimeHandlers", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeStatus", "volumesAttached", "atomic", &[], "", "", ""),
    ("api.core.v1.NodeStatus", "volumesInUse", "atomic", &[], "", "", ""),
    ("api.core.v1.ObjectFieldSelector", "", "", &[], "", "", "atomic"),
    ("api.core.v1.ObjectReference", "", "", &[], "", "", "atomic"),
    ("api.core.v1.PersistentVolumeClaimSpec", "accessModes", "atomic", &[], "", "", ""),
    ("api.core.v1.PodAffinity", "preferredDuringSchedulingIgnoredDuringExecution", "atomic", &[], "", "", ""),
    ("api.core.v1.PodAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "atomic", &[], "", "", ""),
    ("api.core.v1.PodAffinityTerm", "matchLabelKeys", "atomic", &[], "", "", ""),
    ("api.core.v1.PodAffinityTerm", "mismatchLabelKeys", "atomic", &[], "", "", ""),
    ("api.core.v1.PodAffinityTerm", "namespaces", "atomic", &[], "", "", ""),
    ("api.core.v1.PodAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution", "atomic", &[], "", "", ""),
    ("api.core.v1.PodAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "atomic", &[], "", "", ""),
    ("api.core.v1.PodDNSConfig", "nameservers", "atomic", &[], "", "", ""),
    ("api.core.v1.PodDNSConfig", "options", "atomic", &[], "", "", ""),
    ("api.core.v1.PodDNSConfig", "searches", "atomic", &[], "", "", ""),
    ("api.core.v1.PodSecurityContext", "supplementalGroups", "atomic", &[], "", "", ""),
    ("api.core.v1.PodSecurityContext", "sysctls", "atomic", &[], "", "", ""),
    ("api.core.v1.PodSpec", "containers", "map", &["name"], "merge", "name", ""),
    ("api.core.v1.PodSpec", "ephemeralContainers", "map", &["name"], "merge", "name", ""),
    ("api.core.v1.PodSpec", "hostAliases", "map", &["ip"], "merge", "ip", ""),
    ("api.core.v1.PodSpec", "imagePullSecrets", "map", &["name"], "merge", "name", ""),
    ("api.core.v1.PodSpec", "initContainers", "map", &["name"], "merge", "name", ""),
    ("api.core.v1.PodSpec", "nodeSelector", "", &[], "", "", "atomic"),
    ("api.core.v1.PodSpec", "readinessGates", "atomic", &[], "", "", ""),
    ("api.core.v1.PodSpec", "resourceClaims", "map", &["name"], "merge,retainKeys", "name", ""),
    ("api.core.v1.PodSpec", "schedulingGates", "map", &["name"], "merge", "name", ""),
    ("api.core.v1.PodSpec", "tolerations", "atomic", &[], "", "", ""),
    ("api.core.v1.PodSpec", "topologySpreadConstraints", "map", &["topologyKey", "whenUnsatisfiable"], "merge", "topologyKey", ""),
    ("api.core.v1.PodSpec", "volumes", "map", &["name"], "merge,retainKeys", "name", ""),
    ("api.core.v1.PodStatus", "conditions", "map", &["type"], "merge", "type", ""),
    ("api.core.v1.PodStatus", "containerStatuses", "atomic", &[], "", "", ""),
    ("api.core.v1.PodStatus", "ephemeralContainerStatuses", "atomic", &[], "", "", ""),
    ("api.core.v1.PodStatus", "hostIPs", "atomic", &[], "merge", "ip", ""),
    ("api.core.v1.PodStatus", "initContainerStatuses", "atomic", &[], "", "", ""),
    ("api.core.v1.PodStatus", "podIPs", "map", &["ip"], "merge", "ip", ""),
    ("api.core.v1.PodStatus", "resourceClaimStatuses", "map", &["name"], "merge,retainKeys", "name", ""),
    ("api.core.v1.ProjectedVolumeSource", "sources", "atomic", &[], "", "", ""),
    ("api.core.v1.RBDVolumeSource", "monitors", "atomic", &[], "", "", ""),
    ("api.core.v1.ResourceFieldSelector", "", "", &[], "", "", "atomic"),
    ("api.core.v1.ResourceRequirements", "claims", "map", &["name"], "", "", ""),
    ("api.core.v1.ResourceStatus", "resources", "map", &["resourceID"], "", "", ""),
    ("api.core.v1.SecretKeySelector", "", "", &[], "", "", "atomic"),
    ("api.core.v1.SecretProjection", "items", "atomic", &[], "", "", ""),
    ("api.core.v1.SecretVolumeSource", "items", "atomic", &[], "", "", ""),
    ("api.core.v1.ServiceAccount", "imagePullSecrets", "atomic", &[], "", "", ""),
    ("api.core.v1.ServiceAccount", "secrets", "map", &["name"], "merge", "name", ""),
    ("api.core.v1.ServiceSpec", "clusterIPs", "atomic", &[], "", "", ""),
    ("api.core.v1.ServiceSpec", "externalIPs", "atomic", &[], "", "", ""),
    ("api.core.v1.ServiceSpec", "ipFamilies", "atomic", &[], "", "", ""),
    ("api.core.v1.ServiceSpec", "loadBalancerSourceRanges", "atomic", &[], "", "", ""),
    ("api.core.v1.ServiceSpec", "ports", "map", &["port", "protocol"], "merge", "port", ""),
    ("api.core.v1.ServiceSpec", "selector", "", &[], "", "", "atomic"),
    ("api.core.v1.ServiceStatus", "conditions", "map", &["type"], "merge", "type", ""),
    ("api.core.v1.TopologySpreadConstraint", "matchLabelKeys", "atomic", &[], "", "", ""),
    ("api.core.v1.TypedLocalObjectReference", "", "", &[], "", "", "atomic"),
    ("api.discovery.v1.Endpoint", "addresses", "set", &[], "", "", ""),
    ("api.discovery.v1.EndpointHints", "forNodes", "atomic", &[], "", "", ""),
    ("api.discovery.v1.EndpointHints", "forZones", "atomic", &[], "", "", ""),
    ("api.discovery.v1.EndpointPort", "", "", &[], "", "", "atomic"),
    ("api.discovery.v1.EndpointSlice", "endpoints", "atomic", &[], "", "", ""),
    ("api.discovery.v1.EndpointSlice", "ports", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.APIResource", "categories", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.APIResource", "shortNames", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.APIResourceList", "resources", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.DeleteOptions", "dryRun", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.LabelSelector", "", "", &[], "", "", "atomic"),
    ("apimachinery.pkg.apis.meta.v1.LabelSelector", "matchExpressions", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", "values", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers", "set", &[], "merge", "", ""),
    ("apimachinery.pkg.apis.meta.v1.ObjectMeta", "managedFields", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences", "map", &["uid"], "merge", "uid", ""),
    ("apimachinery.pkg.apis.meta.v1.OwnerReference", "", "", &[], "", "", "atomic"),
    ("apimachinery.pkg.apis.meta.v1.Status", "details", "atomic", &[], "", "", ""),
    ("apimachinery.pkg.apis.meta.v1.StatusDetails", "causes", "atomic", &[], "", "", ""),
];

/// Adds the table's extensions to the schema named `name` (an upstream `io.k8s.…` name).
pub(crate) fn apply(name: &str, schema: &mut Value) {
    let Some(short) = name.strip_prefix("io.k8s.") else {
        return;
    };
    for &(schema_name, field, list_type, keys, strategy, merge_key, map_type) in TABLE {
        if schema_name != short {
            continue;
        }
        let target = if field.is_empty() {
            schema.as_object_mut()
        } else {
            schema
                .get_mut("properties")
                .and_then(|p| p.get_mut(field))
                .and_then(Value::as_object_mut)
        };
        let Some(target) = target else {
            continue;
        };
        insert_non_empty(target, "x-kubernetes-list-type", list_type);
        if !keys.is_empty() {
            target.insert("x-kubernetes-list-map-keys".into(), keys.to_vec().into());
        }
        insert_non_empty(target, "x-kubernetes-map-type", map_type);
        insert_non_empty(target, "x-kubernetes-patch-merge-key", merge_key);
        insert_non_empty(target, "x-kubernetes-patch-strategy", strategy);
    }
}

fn insert_non_empty(target: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        target.insert(key.into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_keys_kubectl_relies_on() {
        for (schema, field, key, strategy) in [
            ("api.core.v1.PodSpec", "containers", "name", "merge"),
            ("api.core.v1.PodSpec", "volumes", "name", "merge,retainKeys"),
            ("api.core.v1.Container", "env", "name", "merge"),
            ("api.core.v1.Container", "ports", "containerPort", "merge"),
            (
                "api.core.v1.Container",
                "volumeMounts",
                "mountPath",
                "merge",
            ),
            ("api.core.v1.ServiceSpec", "ports", "port", "merge"),
            (
                "apimachinery.pkg.apis.meta.v1.ObjectMeta",
                "ownerReferences",
                "uid",
                "merge",
            ),
        ] {
            let row = TABLE
                .iter()
                .find(|r| r.0 == schema && r.1 == field)
                .unwrap_or_else(|| panic!("{schema}.{field} missing"));
            assert_eq!((row.4, row.5), (strategy, key), "{schema}.{field}");
        }
    }

    #[test]
    fn apply_sets_field_and_type_extensions() {
        let mut spec =
            json!({"properties": {"ports": {"type": "array"}, "type": {"type": "string"}}});
        apply("io.k8s.api.core.v1.ServiceSpec", &mut spec);
        assert_eq!(
            spec["properties"]["ports"],
            json!({
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["port", "protocol"],
                "x-kubernetes-patch-merge-key": "port",
                "x-kubernetes-patch-strategy": "merge"
            })
        );
        assert_eq!(spec["properties"]["type"], json!({"type": "string"}));

        let mut reference = json!({"type": "object"});
        apply("io.k8s.api.core.v1.LocalObjectReference", &mut reference);
        assert_eq!(reference["x-kubernetes-map-type"], "atomic");
    }
}
