//! The structural schema of the built-in kinds kubelite serves, as structured-merge-diff sees it.
//!
//! Derived from the markers in upstream `k8s.io/api/core/v1/types.go`, `discovery/v1/types.go` and
//! `k8s.io/apimachinery/pkg/apis/meta/v1/types.go`: `+listType=map` with `+listMapKey=` (or, for
//! older fields, `+patchStrategy=merge` with `+patchMergeKey=`) makes an associative list,
//! `+listType=set` a set, `+structType=atomic`/`+mapType=atomic`/unmarked lists are atomic.
//! Only fields that are not plain optional scalars are listed: an undeclared field is a scalar
//! (or, for objects, a granular struct). `always` marks fields present in the Go zero value of
//! their struct (no `omitempty`, or a non-pointer struct), which decides what counts as "added".

use crate::schema::{Elem, FieldDef, Ty};

const fn f(name: &'static str, ty: Ty, always: bool) -> FieldDef {
    FieldDef { name, ty, always }
}

/// List-map key fields that have a schema default, used when an applied item omits them.
pub(crate) const KEY_DEFAULTS: &[(&str, &str, &str)] = &[
    ("ContainerPort", "protocol", "TCP"),
    ("ServicePort", "protocol", "TCP"),
];

/// Struct types by name (`metav1.` and `discovery.` prefixes for the other packages).
pub(crate) static STRUCTS: &[(&str, &[FieldDef])] = &[
    (
        "AWSElasticBlockStoreVolumeSource",
        &[f("volumeID", Ty::Scalar, true)],
    ),
    (
        "Affinity",
        &[
            f("nodeAffinity", Ty::Struct("NodeAffinity"), false),
            f("podAffinity", Ty::Struct("PodAffinity"), false),
            f("podAntiAffinity", Ty::Struct("PodAntiAffinity"), false),
        ],
    ),
    ("AppArmorProfile", &[f("type", Ty::Scalar, true)]),
    (
        "AzureDiskVolumeSource",
        &[
            f("diskName", Ty::Scalar, true),
            f("diskURI", Ty::Scalar, true),
        ],
    ),
    (
        "AzureFileVolumeSource",
        &[
            f("secretName", Ty::Scalar, true),
            f("shareName", Ty::Scalar, true),
        ],
    ),
    (
        "CSIVolumeSource",
        &[
            f("driver", Ty::Scalar, true),
            f("volumeAttributes", Ty::Map(Elem::Scalar), false),
            f("nodePublishSecretRef", Ty::Atomic, false),
        ],
    ),
    (
        "Capabilities",
        &[f("add", Ty::Atomic, false), f("drop", Ty::Atomic, false)],
    ),
    (
        "CephFSVolumeSource",
        &[
            f("monitors", Ty::Atomic, true),
            f("secretRef", Ty::Atomic, false),
        ],
    ),
    (
        "CinderVolumeSource",
        &[
            f("volumeID", Ty::Scalar, true),
            f("secretRef", Ty::Atomic, false),
        ],
    ),
    ("ClientIPConfig", &[]),
    ("ConfigMapKeySelector", &[f("key", Ty::Scalar, true)]),
    (
        "ConfigMapNodeConfigSource",
        &[
            f("namespace", Ty::Scalar, true),
            f("name", Ty::Scalar, true),
            f("kubeletConfigKey", Ty::Scalar, true),
        ],
    ),
    ("ConfigMapVolumeSource", &[f("items", Ty::Atomic, false)]),
    (
        "Container",
        &[
            f("name", Ty::Scalar, true),
            f("command", Ty::Atomic, false),
            f("args", Ty::Atomic, false),
            f(
                "ports",
                Ty::List(
                    &["containerPort", "protocol"],
                    Elem::Struct("ContainerPort"),
                ),
                false,
            ),
            f("envFrom", Ty::Atomic, false),
            f("env", Ty::List(&["name"], Elem::Struct("EnvVar")), false),
            f("resources", Ty::Struct("ResourceRequirements"), true),
            f("resizePolicy", Ty::Atomic, false),
            f("restartPolicyRules", Ty::Atomic, false),
            f(
                "volumeMounts",
                Ty::List(&["mountPath"], Elem::Struct("VolumeMount")),
                false,
            ),
            f(
                "volumeDevices",
                Ty::List(&["devicePath"], Elem::Struct("VolumeDevice")),
                false,
            ),
            f("livenessProbe", Ty::Struct("Probe"), false),
            f("readinessProbe", Ty::Struct("Probe"), false),
            f("startupProbe", Ty::Struct("Probe"), false),
            f("lifecycle", Ty::Struct("Lifecycle"), false),
            f("securityContext", Ty::Struct("SecurityContext"), false),
        ],
    ),
    ("ContainerPort", &[f("containerPort", Ty::Scalar, true)]),
    ("DaemonEndpoint", &[f("Port", Ty::Scalar, true)]),
    ("DownwardAPIVolumeSource", &[f("items", Ty::Atomic, false)]),
    ("EmptyDirVolumeSource", &[]),
    (
        "Endpoints",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("subsets", Ty::Atomic, false),
        ],
    ),
    (
        "EnvVar",
        &[
            f("name", Ty::Scalar, true),
            f("valueFrom", Ty::Struct("EnvVarSource"), false),
        ],
    ),
    (
        "EnvVarSource",
        &[
            f("fieldRef", Ty::Atomic, false),
            f("resourceFieldRef", Ty::Atomic, false),
            f("configMapKeyRef", Ty::Atomic, false),
            f("secretKeyRef", Ty::Atomic, false),
            f("fileKeyRef", Ty::Atomic, false),
        ],
    ),
    (
        "EphemeralContainer",
        &[
            f("name", Ty::Scalar, true),
            f("command", Ty::Atomic, false),
            f("args", Ty::Atomic, false),
            f(
                "ports",
                Ty::List(
                    &["containerPort", "protocol"],
                    Elem::Struct("ContainerPort"),
                ),
                false,
            ),
            f("envFrom", Ty::Atomic, false),
            f("env", Ty::List(&["name"], Elem::Struct("EnvVar")), false),
            f("resources", Ty::Struct("ResourceRequirements"), true),
            f("resizePolicy", Ty::Atomic, false),
            f("restartPolicyRules", Ty::Atomic, false),
            f(
                "volumeMounts",
                Ty::List(&["mountPath"], Elem::Struct("VolumeMount")),
                false,
            ),
            f(
                "volumeDevices",
                Ty::List(&["devicePath"], Elem::Struct("VolumeDevice")),
                false,
            ),
            f("livenessProbe", Ty::Struct("Probe"), false),
            f("readinessProbe", Ty::Struct("Probe"), false),
            f("startupProbe", Ty::Struct("Probe"), false),
            f("lifecycle", Ty::Struct("Lifecycle"), false),
            f("securityContext", Ty::Struct("SecurityContext"), false),
        ],
    ),
    (
        "EphemeralContainerCommon",
        &[
            f("name", Ty::Scalar, true),
            f("command", Ty::Atomic, false),
            f("args", Ty::Atomic, false),
            f(
                "ports",
                Ty::List(
                    &["containerPort", "protocol"],
                    Elem::Struct("ContainerPort"),
                ),
                false,
            ),
            f("envFrom", Ty::Atomic, false),
            f("env", Ty::List(&["name"], Elem::Struct("EnvVar")), false),
            f("resources", Ty::Struct("ResourceRequirements"), true),
            f("resizePolicy", Ty::Atomic, false),
            f("restartPolicyRules", Ty::Atomic, false),
            f(
                "volumeMounts",
                Ty::List(&["mountPath"], Elem::Struct("VolumeMount")),
                false,
            ),
            f(
                "volumeDevices",
                Ty::List(&["devicePath"], Elem::Struct("VolumeDevice")),
                false,
            ),
            f("livenessProbe", Ty::Struct("Probe"), false),
            f("readinessProbe", Ty::Struct("Probe"), false),
            f("startupProbe", Ty::Struct("Probe"), false),
            f("lifecycle", Ty::Struct("Lifecycle"), false),
            f("securityContext", Ty::Struct("SecurityContext"), false),
        ],
    ),
    (
        "EphemeralVolumeSource",
        &[f(
            "volumeClaimTemplate",
            Ty::Struct("PersistentVolumeClaimTemplate"),
            false,
        )],
    ),
    (
        "Event",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("involvedObject", Ty::Atomic, true),
            f("source", Ty::Struct("EventSource"), true),
            f("series", Ty::Struct("EventSeries"), false),
            f("related", Ty::Atomic, false),
            f("reportingComponent", Ty::Scalar, true),
            f("reportingInstance", Ty::Scalar, true),
        ],
    ),
    ("EventSeries", &[]),
    ("EventSource", &[]),
    (
        "EvictionResponder",
        &[f("name", Ty::Scalar, true), f("priority", Ty::Scalar, true)],
    ),
    ("ExecAction", &[f("command", Ty::Atomic, false)]),
    (
        "FCVolumeSource",
        &[
            f("targetWWNs", Ty::Atomic, false),
            f("wwids", Ty::Atomic, false),
        ],
    ),
    (
        "FileKeySelector",
        &[
            f("volumeName", Ty::Scalar, true),
            f("path", Ty::Scalar, true),
            f("key", Ty::Scalar, true),
        ],
    ),
    (
        "FlexVolumeSource",
        &[
            f("driver", Ty::Scalar, true),
            f("secretRef", Ty::Atomic, false),
            f("options", Ty::Map(Elem::Scalar), false),
        ],
    ),
    ("FlockerVolumeSource", &[]),
    (
        "GCEPersistentDiskVolumeSource",
        &[f("pdName", Ty::Scalar, true)],
    ),
    (
        "GRPCAction",
        &[f("port", Ty::Scalar, true), f("service", Ty::Scalar, true)],
    ),
    ("GitRepoVolumeSource", &[f("repository", Ty::Scalar, true)]),
    (
        "GlusterfsVolumeSource",
        &[
            f("endpoints", Ty::Scalar, true),
            f("path", Ty::Scalar, true),
        ],
    ),
    (
        "HTTPGetAction",
        &[
            f("port", Ty::Scalar, true),
            f("httpHeaders", Ty::Atomic, false),
        ],
    ),
    (
        "HostAlias",
        &[f("ip", Ty::Scalar, true), f("hostnames", Ty::Atomic, false)],
    ),
    ("HostPathVolumeSource", &[f("path", Ty::Scalar, true)]),
    (
        "ISCSIVolumeSource",
        &[
            f("targetPortal", Ty::Scalar, true),
            f("iqn", Ty::Scalar, true),
            f("lun", Ty::Scalar, true),
            f("portals", Ty::Atomic, false),
            f("secretRef", Ty::Atomic, false),
        ],
    ),
    ("ImageVolumeSource", &[]),
    (
        "Lifecycle",
        &[
            f("postStart", Ty::Struct("LifecycleHandler"), false),
            f("preStop", Ty::Struct("LifecycleHandler"), false),
        ],
    ),
    (
        "LifecycleHandler",
        &[
            f("exec", Ty::Struct("ExecAction"), false),
            f("httpGet", Ty::Struct("HTTPGetAction"), false),
            f("tcpSocket", Ty::Struct("TCPSocketAction"), false),
            f("sleep", Ty::Struct("SleepAction"), false),
        ],
    ),
    ("LoadBalancerStatus", &[f("ingress", Ty::Atomic, false)]),
    ("LocalObjectReference", &[]),
    (
        "NFSVolumeSource",
        &[f("server", Ty::Scalar, true), f("path", Ty::Scalar, true)],
    ),
    (
        "Namespace",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("spec", Ty::Struct("NamespaceSpec"), true),
            f("status", Ty::Struct("NamespaceStatus"), true),
        ],
    ),
    (
        "NamespaceCondition",
        &[f("type", Ty::Scalar, true), f("status", Ty::Scalar, true)],
    ),
    ("NamespaceSpec", &[f("finalizers", Ty::Atomic, false)]),
    (
        "NamespaceStatus",
        &[f(
            "conditions",
            Ty::List(&["type"], Elem::Struct("NamespaceCondition")),
            false,
        )],
    ),
    (
        "Node",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("spec", Ty::Struct("NodeSpec"), true),
            f("status", Ty::Struct("NodeStatus"), true),
        ],
    ),
    (
        "NodeAddress",
        &[f("type", Ty::Scalar, true), f("address", Ty::Scalar, true)],
    ),
    (
        "NodeAffinity",
        &[
            f(
                "requiredDuringSchedulingIgnoredDuringExecution",
                Ty::Atomic,
                false,
            ),
            f(
                "preferredDuringSchedulingIgnoredDuringExecution",
                Ty::Atomic,
                false,
            ),
        ],
    ),
    (
        "NodeAllocatableMappedResources",
        &[f("name", Ty::Scalar, true), f("quantity", Ty::Scalar, true)],
    ),
    (
        "NodeAllocatableOverheadResources",
        &[f("name", Ty::Scalar, true)],
    ),
    (
        "NodeAllocatableResourceClaimStatus",
        &[
            f("resourceClaimName", Ty::Scalar, true),
            f("containers", Ty::Set, false),
            f(
                "mapping",
                Ty::List(&["name"], Elem::Struct("NodeAllocatableMappedResources")),
                false,
            ),
            f(
                "overhead",
                Ty::List(&["name"], Elem::Struct("NodeAllocatableOverheadResources")),
                false,
            ),
        ],
    ),
    (
        "NodeCondition",
        &[f("type", Ty::Scalar, true), f("status", Ty::Scalar, true)],
    ),
    (
        "NodeConfigSource",
        &[f(
            "configMap",
            Ty::Struct("ConfigMapNodeConfigSource"),
            false,
        )],
    ),
    (
        "NodeConfigStatus",
        &[
            f("assigned", Ty::Struct("NodeConfigSource"), false),
            f("active", Ty::Struct("NodeConfigSource"), false),
            f("lastKnownGood", Ty::Struct("NodeConfigSource"), false),
        ],
    ),
    (
        "NodeDaemonEndpoints",
        &[f("kubeletEndpoint", Ty::Struct("DaemonEndpoint"), true)],
    ),
    ("NodeFeatures", &[]),
    (
        "NodePodPreemptionPolicy",
        &[f("disableResizePreemption", Ty::Set, false)],
    ),
    ("NodeSelector", &[f("nodeSelectorTerms", Ty::Atomic, true)]),
    (
        "NodeSpec",
        &[
            f("podCIDRs", Ty::Set, false),
            f("taints", Ty::Atomic, false),
            f("configSource", Ty::Struct("NodeConfigSource"), false),
            f(
                "podPreemptionPolicy",
                Ty::Struct("NodePodPreemptionPolicy"),
                false,
            ),
        ],
    ),
    (
        "NodeStatus",
        &[
            f("capacity", Ty::Map(Elem::Scalar), false),
            f("allocatable", Ty::Map(Elem::Scalar), false),
            f(
                "conditions",
                Ty::List(&["type"], Elem::Struct("NodeCondition")),
                false,
            ),
            f(
                "addresses",
                Ty::List(&["type"], Elem::Struct("NodeAddress")),
                false,
            ),
            f("daemonEndpoints", Ty::Struct("NodeDaemonEndpoints"), true),
            f("nodeInfo", Ty::Struct("NodeSystemInfo"), true),
            f("images", Ty::Atomic, false),
            f("volumesInUse", Ty::Atomic, false),
            f("volumesAttached", Ty::Atomic, false),
            f("config", Ty::Struct("NodeConfigStatus"), false),
            f("runtimeHandlers", Ty::Atomic, false),
            f("features", Ty::Struct("NodeFeatures"), false),
            f("declaredFeatures", Ty::Atomic, false),
        ],
    ),
    ("NodeSwapStatus", &[]),
    (
        "NodeSystemInfo",
        &[
            f("machineID", Ty::Scalar, true),
            f("systemUUID", Ty::Scalar, true),
            f("bootID", Ty::Scalar, true),
            f("kernelVersion", Ty::Scalar, true),
            f("osImage", Ty::Scalar, true),
            f("containerRuntimeVersion", Ty::Scalar, true),
            f("kubeletVersion", Ty::Scalar, true),
            f("kubeProxyVersion", Ty::Scalar, true),
            f("operatingSystem", Ty::Scalar, true),
            f("architecture", Ty::Scalar, true),
            f("swap", Ty::Struct("NodeSwapStatus"), false),
        ],
    ),
    ("ObjectFieldSelector", &[f("fieldPath", Ty::Scalar, true)]),
    ("ObjectReference", &[]),
    (
        "PersistentVolumeClaimSpec",
        &[
            f("accessModes", Ty::Atomic, false),
            f("selector", Ty::Atomic, false),
            f("resources", Ty::Struct("VolumeResourceRequirements"), true),
            f("dataSource", Ty::Atomic, false),
            f("dataSourceRef", Ty::Struct("TypedObjectReference"), false),
        ],
    ),
    (
        "PersistentVolumeClaimTemplate",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("spec", Ty::Struct("PersistentVolumeClaimSpec"), true),
        ],
    ),
    (
        "PersistentVolumeClaimVolumeSource",
        &[f("claimName", Ty::Scalar, true)],
    ),
    (
        "PhotonPersistentDiskVolumeSource",
        &[f("pdID", Ty::Scalar, true)],
    ),
    (
        "Pod",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("spec", Ty::Struct("PodSpec"), true),
            f("status", Ty::Struct("PodStatus"), true),
        ],
    ),
    (
        "PodAffinity",
        &[
            f(
                "requiredDuringSchedulingIgnoredDuringExecution",
                Ty::Atomic,
                false,
            ),
            f(
                "preferredDuringSchedulingIgnoredDuringExecution",
                Ty::Atomic,
                false,
            ),
        ],
    ),
    (
        "PodAntiAffinity",
        &[
            f(
                "requiredDuringSchedulingIgnoredDuringExecution",
                Ty::Atomic,
                false,
            ),
            f(
                "preferredDuringSchedulingIgnoredDuringExecution",
                Ty::Atomic,
                false,
            ),
        ],
    ),
    (
        "PodCondition",
        &[f("type", Ty::Scalar, true), f("status", Ty::Scalar, true)],
    ),
    (
        "PodDNSConfig",
        &[
            f("nameservers", Ty::Atomic, false),
            f("searches", Ty::Atomic, false),
            f("options", Ty::Atomic, false),
        ],
    ),
    (
        "PodExtendedResourceClaimStatus",
        &[
            f("requestMappings", Ty::Atomic, true),
            f("resourceClaimName", Ty::Scalar, true),
        ],
    ),
    ("PodIP", &[f("ip", Ty::Scalar, true)]),
    ("PodOS", &[f("name", Ty::Scalar, true)]),
    ("PodResourceClaim", &[f("name", Ty::Scalar, true)]),
    ("PodResourceClaimStatus", &[f("name", Ty::Scalar, true)]),
    ("PodSchedulingGate", &[f("name", Ty::Scalar, true)]),
    ("PodSchedulingGroup", &[]),
    (
        "PodSecurityContext",
        &[
            f("seLinuxOptions", Ty::Struct("SELinuxOptions"), false),
            f(
                "windowsOptions",
                Ty::Struct("WindowsSecurityContextOptions"),
                false,
            ),
            f("supplementalGroups", Ty::Atomic, false),
            f("sysctls", Ty::Atomic, false),
            f("seccompProfile", Ty::Struct("SeccompProfile"), false),
            f("appArmorProfile", Ty::Struct("AppArmorProfile"), false),
        ],
    ),
    (
        "PodSpec",
        &[
            f(
                "volumes",
                Ty::List(&["name"], Elem::Struct("Volume")),
                false,
            ),
            f(
                "initContainers",
                Ty::List(&["name"], Elem::Struct("Container")),
                false,
            ),
            f(
                "containers",
                Ty::List(&["name"], Elem::Struct("Container")),
                true,
            ),
            f(
                "ephemeralContainers",
                Ty::List(&["name"], Elem::Struct("EphemeralContainer")),
                false,
            ),
            f("nodeSelector", Ty::Atomic, false),
            f("securityContext", Ty::Struct("PodSecurityContext"), false),
            f("imagePullSecrets", Ty::List(&["name"], Elem::Atomic), false),
            f("affinity", Ty::Struct("Affinity"), false),
            f("tolerations", Ty::Atomic, false),
            f(
                "hostAliases",
                Ty::List(&["ip"], Elem::Struct("HostAlias")),
                false,
            ),
            f("dnsConfig", Ty::Struct("PodDNSConfig"), false),
            f("readinessGates", Ty::Atomic, false),
            f("overhead", Ty::Map(Elem::Scalar), false),
            f(
                "topologySpreadConstraints",
                Ty::List(
                    &["topologyKey", "whenUnsatisfiable"],
                    Elem::Struct("TopologySpreadConstraint"),
                ),
                false,
            ),
            f("os", Ty::Struct("PodOS"), false),
            f(
                "schedulingGates",
                Ty::List(&["name"], Elem::Struct("PodSchedulingGate")),
                false,
            ),
            f(
                "resourceClaims",
                Ty::List(&["name"], Elem::Struct("PodResourceClaim")),
                false,
            ),
            f("resources", Ty::Struct("ResourceRequirements"), false),
            f("schedulingGroup", Ty::Struct("PodSchedulingGroup"), false),
            f(
                "evictionResponders",
                Ty::List(&["name"], Elem::Atomic),
                false,
            ),
        ],
    ),
    (
        "PodStatus",
        &[
            f(
                "conditions",
                Ty::List(&["type"], Elem::Struct("PodCondition")),
                false,
            ),
            f("hostIPs", Ty::Atomic, false),
            f("podIPs", Ty::List(&["ip"], Elem::Struct("PodIP")), false),
            f("initContainerStatuses", Ty::Atomic, false),
            f("containerStatuses", Ty::Atomic, false),
            f("ephemeralContainerStatuses", Ty::Atomic, false),
            f(
                "resourceClaimStatuses",
                Ty::List(&["name"], Elem::Struct("PodResourceClaimStatus")),
                false,
            ),
            f(
                "extendedResourceClaimStatus",
                Ty::Struct("PodExtendedResourceClaimStatus"),
                false,
            ),
            f("allocatedResources", Ty::Map(Elem::Scalar), false),
            f("resources", Ty::Struct("ResourceRequirements"), false),
            f(
                "nodeAllocatableResourceClaimStatuses",
                Ty::List(
                    &["resourceClaimName"],
                    Elem::Struct("NodeAllocatableResourceClaimStatus"),
                ),
                false,
            ),
            f(
                "volumeHealth",
                Ty::List(&["name"], Elem::Struct("PodVolumeHealth")),
                false,
            ),
        ],
    ),
    (
        "PodVolumeHealth",
        &[
            f("name", Ty::Scalar, true),
            f(
                "healthConditions",
                Ty::List(&["status", "reason"], Elem::Struct("VolumeHealthCondition")),
                false,
            ),
        ],
    ),
    ("PortworxVolumeSource", &[f("volumeID", Ty::Scalar, true)]),
    (
        "Probe",
        &[
            f("exec", Ty::Struct("ExecAction"), false),
            f("httpGet", Ty::Struct("HTTPGetAction"), false),
            f("tcpSocket", Ty::Struct("TCPSocketAction"), false),
            f("grpc", Ty::Struct("GRPCAction"), false),
        ],
    ),
    (
        "ProbeHandler",
        &[
            f("exec", Ty::Struct("ExecAction"), false),
            f("httpGet", Ty::Struct("HTTPGetAction"), false),
            f("tcpSocket", Ty::Struct("TCPSocketAction"), false),
            f("grpc", Ty::Struct("GRPCAction"), false),
        ],
    ),
    ("ProjectedVolumeSource", &[f("sources", Ty::Atomic, true)]),
    (
        "QuobyteVolumeSource",
        &[
            f("registry", Ty::Scalar, true),
            f("volume", Ty::Scalar, true),
        ],
    ),
    (
        "RBDVolumeSource",
        &[
            f("monitors", Ty::Atomic, true),
            f("image", Ty::Scalar, true),
            f("secretRef", Ty::Atomic, false),
        ],
    ),
    ("ResourceClaim", &[f("name", Ty::Scalar, true)]),
    ("ResourceFieldSelector", &[f("resource", Ty::Scalar, true)]),
    (
        "ResourceRequirements",
        &[
            f("limits", Ty::Map(Elem::Scalar), false),
            f("requests", Ty::Map(Elem::Scalar), false),
            f(
                "claims",
                Ty::List(&["name"], Elem::Struct("ResourceClaim")),
                false,
            ),
        ],
    ),
    ("SELinuxOptions", &[]),
    (
        "ScaleIOVolumeSource",
        &[
            f("gateway", Ty::Scalar, true),
            f("system", Ty::Scalar, true),
            f("secretRef", Ty::Atomic, true),
        ],
    ),
    ("SeccompProfile", &[f("type", Ty::Scalar, true)]),
    ("SecretKeySelector", &[f("key", Ty::Scalar, true)]),
    ("SecretVolumeSource", &[f("items", Ty::Atomic, false)]),
    (
        "SecurityContext",
        &[
            f("capabilities", Ty::Struct("Capabilities"), false),
            f("seLinuxOptions", Ty::Struct("SELinuxOptions"), false),
            f(
                "windowsOptions",
                Ty::Struct("WindowsSecurityContextOptions"),
                false,
            ),
            f("seccompProfile", Ty::Struct("SeccompProfile"), false),
            f("appArmorProfile", Ty::Struct("AppArmorProfile"), false),
        ],
    ),
    (
        "Service",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("spec", Ty::Struct("ServiceSpec"), true),
            f("status", Ty::Struct("ServiceStatus"), true),
        ],
    ),
    (
        "ServiceAccount",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("secrets", Ty::List(&["name"], Elem::Atomic), false),
            f("imagePullSecrets", Ty::Atomic, false),
        ],
    ),
    ("ServicePort", &[f("port", Ty::Scalar, true)]),
    (
        "ServiceSpec",
        &[
            f(
                "ports",
                Ty::List(&["port", "protocol"], Elem::Struct("ServicePort")),
                false,
            ),
            f("selector", Ty::Atomic, false),
            f("clusterIPs", Ty::Atomic, false),
            f("externalIPs", Ty::Atomic, false),
            f("loadBalancerSourceRanges", Ty::Atomic, false),
            f(
                "sessionAffinityConfig",
                Ty::Struct("SessionAffinityConfig"),
                false,
            ),
            f("ipFamilies", Ty::Atomic, false),
        ],
    ),
    (
        "ServiceStatus",
        &[
            f("loadBalancer", Ty::Struct("LoadBalancerStatus"), true),
            f(
                "conditions",
                Ty::List(&["type"], Elem::Struct("metav1.Condition")),
                false,
            ),
        ],
    ),
    (
        "SessionAffinityConfig",
        &[f("clientIP", Ty::Struct("ClientIPConfig"), false)],
    ),
    ("SleepAction", &[f("seconds", Ty::Scalar, true)]),
    (
        "StorageOSVolumeSource",
        &[f("secretRef", Ty::Atomic, false)],
    ),
    ("TCPSocketAction", &[f("port", Ty::Scalar, true)]),
    (
        "TopologySpreadConstraint",
        &[
            f("maxSkew", Ty::Scalar, true),
            f("topologyKey", Ty::Scalar, true),
            f("whenUnsatisfiable", Ty::Scalar, true),
            f("labelSelector", Ty::Atomic, false),
            f("matchLabelKeys", Ty::Atomic, false),
        ],
    ),
    (
        "TypedLocalObjectReference",
        &[
            f("apiGroup", Ty::Scalar, true),
            f("kind", Ty::Scalar, true),
            f("name", Ty::Scalar, true),
        ],
    ),
    (
        "TypedObjectReference",
        &[
            f("apiGroup", Ty::Scalar, true),
            f("kind", Ty::Scalar, true),
            f("name", Ty::Scalar, true),
        ],
    ),
    (
        "Volume",
        &[
            f("name", Ty::Scalar, true),
            f("hostPath", Ty::Struct("HostPathVolumeSource"), false),
            f("emptyDir", Ty::Struct("EmptyDirVolumeSource"), false),
            f(
                "gcePersistentDisk",
                Ty::Struct("GCEPersistentDiskVolumeSource"),
                false,
            ),
            f(
                "awsElasticBlockStore",
                Ty::Struct("AWSElasticBlockStoreVolumeSource"),
                false,
            ),
            f("gitRepo", Ty::Struct("GitRepoVolumeSource"), false),
            f("secret", Ty::Struct("SecretVolumeSource"), false),
            f("nfs", Ty::Struct("NFSVolumeSource"), false),
            f("iscsi", Ty::Struct("ISCSIVolumeSource"), false),
            f("glusterfs", Ty::Struct("GlusterfsVolumeSource"), false),
            f(
                "persistentVolumeClaim",
                Ty::Struct("PersistentVolumeClaimVolumeSource"),
                false,
            ),
            f("rbd", Ty::Struct("RBDVolumeSource"), false),
            f("flexVolume", Ty::Struct("FlexVolumeSource"), false),
            f("cinder", Ty::Struct("CinderVolumeSource"), false),
            f("cephfs", Ty::Struct("CephFSVolumeSource"), false),
            f("flocker", Ty::Struct("FlockerVolumeSource"), false),
            f("downwardAPI", Ty::Struct("DownwardAPIVolumeSource"), false),
            f("fc", Ty::Struct("FCVolumeSource"), false),
            f("azureFile", Ty::Struct("AzureFileVolumeSource"), false),
            f("configMap", Ty::Struct("ConfigMapVolumeSource"), false),
            f(
                "vsphereVolume",
                Ty::Struct("VsphereVirtualDiskVolumeSource"),
                false,
            ),
            f("quobyte", Ty::Struct("QuobyteVolumeSource"), false),
            f("azureDisk", Ty::Struct("AzureDiskVolumeSource"), false),
            f(
                "photonPersistentDisk",
                Ty::Struct("PhotonPersistentDiskVolumeSource"),
                false,
            ),
            f("projected", Ty::Struct("ProjectedVolumeSource"), false),
            f("portworxVolume", Ty::Struct("PortworxVolumeSource"), false),
            f("scaleIO", Ty::Struct("ScaleIOVolumeSource"), false),
            f("storageos", Ty::Struct("StorageOSVolumeSource"), false),
            f("csi", Ty::Struct("CSIVolumeSource"), false),
            f("ephemeral", Ty::Struct("EphemeralVolumeSource"), false),
            f("image", Ty::Struct("ImageVolumeSource"), false),
        ],
    ),
    (
        "VolumeDevice",
        &[
            f("name", Ty::Scalar, true),
            f("devicePath", Ty::Scalar, true),
        ],
    ),
    (
        "VolumeHealthCondition",
        &[f("status", Ty::Scalar, true), f("reason", Ty::Scalar, true)],
    ),
    (
        "VolumeMount",
        &[
            f("name", Ty::Scalar, true),
            f("mountPath", Ty::Scalar, true),
            f("bindMountOptions", Ty::Set, false),
        ],
    ),
    (
        "VolumeResourceRequirements",
        &[
            f("limits", Ty::Map(Elem::Scalar), false),
            f("requests", Ty::Map(Elem::Scalar), false),
        ],
    ),
    (
        "VolumeSource",
        &[
            f("hostPath", Ty::Struct("HostPathVolumeSource"), false),
            f("emptyDir", Ty::Struct("EmptyDirVolumeSource"), false),
            f(
                "gcePersistentDisk",
                Ty::Struct("GCEPersistentDiskVolumeSource"),
                false,
            ),
            f(
                "awsElasticBlockStore",
                Ty::Struct("AWSElasticBlockStoreVolumeSource"),
                false,
            ),
            f("gitRepo", Ty::Struct("GitRepoVolumeSource"), false),
            f("secret", Ty::Struct("SecretVolumeSource"), false),
            f("nfs", Ty::Struct("NFSVolumeSource"), false),
            f("iscsi", Ty::Struct("ISCSIVolumeSource"), false),
            f("glusterfs", Ty::Struct("GlusterfsVolumeSource"), false),
            f(
                "persistentVolumeClaim",
                Ty::Struct("PersistentVolumeClaimVolumeSource"),
                false,
            ),
            f("rbd", Ty::Struct("RBDVolumeSource"), false),
            f("flexVolume", Ty::Struct("FlexVolumeSource"), false),
            f("cinder", Ty::Struct("CinderVolumeSource"), false),
            f("cephfs", Ty::Struct("CephFSVolumeSource"), false),
            f("flocker", Ty::Struct("FlockerVolumeSource"), false),
            f("downwardAPI", Ty::Struct("DownwardAPIVolumeSource"), false),
            f("fc", Ty::Struct("FCVolumeSource"), false),
            f("azureFile", Ty::Struct("AzureFileVolumeSource"), false),
            f("configMap", Ty::Struct("ConfigMapVolumeSource"), false),
            f(
                "vsphereVolume",
                Ty::Struct("VsphereVirtualDiskVolumeSource"),
                false,
            ),
            f("quobyte", Ty::Struct("QuobyteVolumeSource"), false),
            f("azureDisk", Ty::Struct("AzureDiskVolumeSource"), false),
            f(
                "photonPersistentDisk",
                Ty::Struct("PhotonPersistentDiskVolumeSource"),
                false,
            ),
            f("projected", Ty::Struct("ProjectedVolumeSource"), false),
            f("portworxVolume", Ty::Struct("PortworxVolumeSource"), false),
            f("scaleIO", Ty::Struct("ScaleIOVolumeSource"), false),
            f("storageos", Ty::Struct("StorageOSVolumeSource"), false),
            f("csi", Ty::Struct("CSIVolumeSource"), false),
            f("ephemeral", Ty::Struct("EphemeralVolumeSource"), false),
            f("image", Ty::Struct("ImageVolumeSource"), false),
        ],
    ),
    (
        "VsphereVirtualDiskVolumeSource",
        &[f("volumePath", Ty::Scalar, true)],
    ),
    ("WindowsSecurityContextOptions", &[]),
    (
        "discovery.EndpointSlice",
        &[
            f("metadata", Ty::Struct("metav1.ObjectMeta"), true),
            f("addressType", Ty::Scalar, true),
            f("endpoints", Ty::Atomic, true),
            f("ports", Ty::Atomic, true),
        ],
    ),
    (
        "metav1.Condition",
        &[
            f("type", Ty::Scalar, true),
            f("status", Ty::Scalar, true),
            f("lastTransitionTime", Ty::Scalar, true),
            f("reason", Ty::Scalar, true),
            f("message", Ty::Scalar, true),
        ],
    ),
    (
        "metav1.LabelSelector",
        &[
            f("matchLabels", Ty::Map(Elem::Scalar), false),
            f("matchExpressions", Ty::Atomic, false),
        ],
    ),
    (
        "metav1.ObjectMeta",
        &[
            f("labels", Ty::Map(Elem::Scalar), false),
            f("annotations", Ty::Map(Elem::Scalar), false),
            f("ownerReferences", Ty::List(&["uid"], Elem::Atomic), false),
            f("finalizers", Ty::Set, false),
            f("managedFields", Ty::Atomic, false),
        ],
    ),
    (
        "metav1.OwnerReference",
        &[
            f("apiVersion", Ty::Scalar, true),
            f("kind", Ty::Scalar, true),
            f("name", Ty::Scalar, true),
            f("uid", Ty::Scalar, true),
        ],
    ),
];

/// Kind → (root struct, apiVersion, whether the main resource resets `status`).
///
/// The reset mirrors each registry strategy's `GetResetFields` for the main resource.
pub(crate) const KINDS: &[(&str, &str, &str, bool)] = &[
    ("Pod", "Pod", "v1", true),
    ("Service", "Service", "v1", true),
    ("Endpoints", "Endpoints", "v1", false),
    (
        "EndpointSlice",
        "discovery.EndpointSlice",
        "discovery.k8s.io/v1",
        false,
    ),
    ("Node", "Node", "v1", true),
    ("Namespace", "Namespace", "v1", true),
    ("Event", "Event", "v1", false),
    ("ServiceAccount", "ServiceAccount", "v1", false),
];
