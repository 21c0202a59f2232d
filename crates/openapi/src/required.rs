//! The `required` list of every schema kubelite publishes, as kube-apiserver 1.33 has it.
//! k8s-openapi marks every non-`Option` Rust field required (`metadata` of every kind,
//! `name` of `LocalObjectReference`, ...), which `kubectl explain` shows as `-required-`;
//! upstream's openapi-gen only lists fields without `omitempty`/`+optional`, in declaration
//! order. Taken from the 1.33 OpenAPI spec (api/openapi-spec); a schema not listed here has
//! no `required` list upstream.

use serde_json::Value;

#[rustfmt::skip]
const REQUIRED: &[(&str, &[&str])] = &[
    ("api.core.v1.AWSElasticBlockStoreVolumeSource", &["volumeID"]),
    ("api.core.v1.AppArmorProfile", &["type"]),
    ("api.core.v1.AttachedVolume", &["name", "devicePath"]),
    ("api.core.v1.AzureDiskVolumeSource", &["diskName", "diskURI"]),
    ("api.core.v1.AzureFileVolumeSource", &["secretName", "shareName"]),
    ("api.core.v1.Binding", &["target"]),
    ("api.core.v1.CSIVolumeSource", &["driver"]),
    ("api.core.v1.CephFSVolumeSource", &["monitors"]),
    ("api.core.v1.CinderVolumeSource", &["volumeID"]),
    ("api.core.v1.ClusterTrustBundleProjection", &["path"]),
    ("api.core.v1.ConfigMapKeySelector", &["key"]),
    ("api.core.v1.ConfigMapNodeConfigSource", &["namespace", "name", "kubeletConfigKey"]),
    ("api.core.v1.Container", &["name"]),
    ("api.core.v1.ContainerPort", &["containerPort"]),
    ("api.core.v1.ContainerResizePolicy", &["resourceName", "restartPolicy"]),
    ("api.core.v1.ContainerStateTerminated", &["exitCode"]),
    ("api.core.v1.ContainerStatus", &["name", "ready", "restartCount", "image", "imageID"]),
    ("api.core.v1.DaemonEndpoint", &["Port"]),
    ("api.core.v1.DownwardAPIVolumeFile", &["path"]),
    ("api.core.v1.EndpointAddress", &["ip"]),
    ("api.core.v1.EndpointPort", &["port"]),
    ("api.core.v1.EndpointsList", &["items"]),
    ("api.core.v1.EnvVar", &["name"]),
    ("api.core.v1.EphemeralContainer", &["name"]),
    ("api.core.v1.Event", &["metadata", "involvedObject"]),
    ("api.core.v1.EventList", &["items"]),
    ("api.core.v1.FlexVolumeSource", &["driver"]),
    ("api.core.v1.GCEPersistentDiskVolumeSource", &["pdName"]),
    ("api.core.v1.GRPCAction", &["port"]),
    ("api.core.v1.GitRepoVolumeSource", &["repository"]),
    ("api.core.v1.GlusterfsVolumeSource", &["endpoints", "path"]),
    ("api.core.v1.HTTPGetAction", &["port"]),
    ("api.core.v1.HTTPHeader", &["name", "value"]),
    ("api.core.v1.HostAlias", &["ip"]),
    ("api.core.v1.HostIP", &["ip"]),
    ("api.core.v1.HostPathVolumeSource", &["path"]),
    ("api.core.v1.ISCSIVolumeSource", &["targetPortal", "iqn", "lun"]),
    ("api.core.v1.KeyToPath", &["key", "path"]),
    ("api.core.v1.LinuxContainerUser", &["uid", "gid"]),
    ("api.core.v1.NFSVolumeSource", &["server", "path"]),
    ("api.core.v1.NamespaceCondition", &["type", "status"]),
    ("api.core.v1.NamespaceList", &["items"]),
    ("api.core.v1.NodeAddress", &["type", "address"]),
    ("api.core.v1.NodeCondition", &["type", "status"]),
    ("api.core.v1.NodeList", &["items"]),
    ("api.core.v1.NodeSelector", &["nodeSelectorTerms"]),
    ("api.core.v1.NodeSelectorRequirement", &["key", "operator"]),
    ("api.core.v1.NodeSystemInfo", &["machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion", "operatingSystem", "architecture"]),
    ("api.core.v1.ObjectFieldSelector", &["fieldPath"]),
    ("api.core.v1.PersistentVolumeClaimTemplate", &["spec"]),
    ("api.core.v1.PersistentVolumeClaimVolumeSource", &["claimName"]),
    ("api.core.v1.PhotonPersistentDiskVolumeSource", &["pdID"]),
    ("api.core.v1.PodAffinityTerm", &["topologyKey"]),
    ("api.core.v1.PodCondition", &["type", "status"]),
    ("api.core.v1.PodIP", &["ip"]),
    ("api.core.v1.PodList", &["items"]),
    ("api.core.v1.PodOS", &["name"]),
    ("api.core.v1.PodReadinessGate", &["conditionType"]),
    ("api.core.v1.PodResourceClaim", &["name"]),
    ("api.core.v1.PodResourceClaimStatus", &["name"]),
    ("api.core.v1.PodSchedulingGate", &["name"]),
    ("api.core.v1.PodSpec", &["containers"]),
    ("api.core.v1.PortStatus", &["port", "protocol"]),
    ("api.core.v1.PortworxVolumeSource", &["volumeID"]),
    ("api.core.v1.PreferredSchedulingTerm", &["weight", "preference"]),
    ("api.core.v1.QuobyteVolumeSource", &["registry", "volume"]),
    ("api.core.v1.RBDVolumeSource", &["monitors", "image"]),
    ("api.core.v1.ResourceClaim", &["name"]),
    ("api.core.v1.ResourceFieldSelector", &["resource"]),
    ("api.core.v1.ResourceHealth", &["resourceID"]),
    ("api.core.v1.ResourceStatus", &["name"]),
    ("api.core.v1.ScaleIOVolumeSource", &["gateway", "system", "secretRef"]),
    ("api.core.v1.SeccompProfile", &["type"]),
    ("api.core.v1.SecretKeySelector", &["key"]),
    ("api.core.v1.ServiceAccountList", &["items"]),
    ("api.core.v1.ServiceAccountTokenProjection", &["path"]),
    ("api.core.v1.ServiceList", &["items"]),
    ("api.core.v1.ServicePort", &["port"]),
    ("api.core.v1.SleepAction", &["seconds"]),
    ("api.core.v1.Sysctl", &["name", "value"]),
    ("api.core.v1.TCPSocketAction", &["port"]),
    ("api.core.v1.Taint", &["key", "effect"]),
    ("api.core.v1.TopologySpreadConstraint", &["maxSkew", "topologyKey", "whenUnsatisfiable"]),
    ("api.core.v1.TypedLocalObjectReference", &["kind", "name"]),
    ("api.core.v1.TypedObjectReference", &["kind", "name"]),
    ("api.core.v1.Volume", &["name"]),
    ("api.core.v1.VolumeDevice", &["name", "devicePath"]),
    ("api.core.v1.VolumeMount", &["name", "mountPath"]),
    ("api.core.v1.VolumeMountStatus", &["name", "mountPath"]),
    ("api.core.v1.VsphereVirtualDiskVolumeSource", &["volumePath"]),
    ("api.core.v1.WeightedPodAffinityTerm", &["weight", "podAffinityTerm"]),
    ("api.discovery.v1.Endpoint", &["addresses"]),
    ("api.discovery.v1.EndpointSlice", &["addressType", "endpoints"]),
    ("api.discovery.v1.EndpointSliceList", &["items"]),
    ("api.discovery.v1.ForNode", &["name"]),
    ("api.discovery.v1.ForZone", &["name"]),
    ("apimachinery.pkg.apis.meta.v1.APIGroup", &["name", "versions"]),
    ("apimachinery.pkg.apis.meta.v1.APIGroupList", &["groups"]),
    ("apimachinery.pkg.apis.meta.v1.APIResource", &["name", "singularName", "namespaced", "kind", "verbs"]),
    ("apimachinery.pkg.apis.meta.v1.APIResourceList", &["groupVersion", "resources"]),
    ("apimachinery.pkg.apis.meta.v1.APIVersions", &["versions", "serverAddressByClientCIDRs"]),
    ("apimachinery.pkg.apis.meta.v1.Condition", &["type", "status", "lastTransitionTime", "reason", "message"]),
    ("apimachinery.pkg.apis.meta.v1.GroupVersionForDiscovery", &["groupVersion", "version"]),
    ("apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", &["key", "operator"]),
    ("apimachinery.pkg.apis.meta.v1.OwnerReference", &["apiVersion", "kind", "name", "uid"]),
    ("apimachinery.pkg.apis.meta.v1.ServerAddressByClientCIDR", &["clientCIDR", "serverAddress"]),
    ("apimachinery.pkg.apis.meta.v1.WatchEvent", &["type", "object"]),
    ("apimachinery.pkg.version.Info", &["major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"]),
];

/// Upstream's required fields of the schema named `name` (an upstream `io.k8s.…` name).
pub(crate) fn required(name: &str) -> &'static [&'static str] {
    name.strip_prefix("io.k8s.")
        .and_then(|short| REQUIRED.iter().find(|(n, _)| *n == short))
        .map_or(&[], |(_, fields)| *fields)
}

/// Replaces the schema's `required` list with upstream's (or removes it).
pub(crate) fn apply(name: &str, schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let fields = required(name);
    if fields.is_empty() {
        obj.remove("required");
    } else {
        obj.insert("required".into(), fields.to_vec().into());
    }
}

/// Every schema name (without `io.k8s.`) the table lists.
#[cfg(test)]
pub(crate) fn schema_names() -> impl Iterator<Item = &'static str> {
    REQUIRED.iter().map(|row| row.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_or_removes_the_list() {
        let mut pod = json!({"required": ["metadata"], "type": "object"});
        apply("io.k8s.api.core.v1.Pod", &mut pod);
        assert_eq!(pod, json!({"type": "object"}));

        let mut status = json!({"required": ["image", "imageID", "name", "ready", "restartCount"]});
        apply("io.k8s.api.core.v1.ContainerStatus", &mut status);
        assert_eq!(
            status["required"],
            json!(["name", "ready", "restartCount", "image", "imageID"])
        );
    }
}
