//! The `enum` lists and "Possible enum values" description tails of enum-typed fields, which
//! k8s-openapi leaves out. kube-apiserver (with the default-on `OpenAPIEnums` gate) serves them
//! in both `/openapi/v2` and `/openapi/v3`; the spec files checked into kubernetes/kubernetes
//! are generated with the gate off, so they lack them.
//!
//! The table holds the `+enum` string types of k8s.io/api v0.33 (core/v1, discovery/v1) that
//! a served kind reaches, with each constant's doc comment as openapi-gen reads it (the
//! constant's name trimmed from the front, whitespace collapsed), and the fields typed with
//! them. openapi-gen renders a field of enum type `T` (or `*T`) with `enum` (the values,
//! sorted) and appends to its description:
//!
//! ```text
//! <field doc>
//!
//! Possible enum values:
//!  - `"SCTP"` is the SCTP protocol.
//!  - `"TCP"` is the TCP protocol.
//! ```
//!
//! (one line per value, sorted, trailing spaces trimmed). A `[]T` field only gets `enum` on
//! its `items`; its description is untouched.

use serde_json::Value;

/// Where openapi-gen puts an enum type's values for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// The field is `T` or `*T`: `enum` and description tail on the property.
    Field,
    /// The field is `[]T`: `enum` on the property's `items` only.
    Items,
}

/// The header openapi-gen puts before the value lines.
const HEADER: &str = "Possible enum values:";

#[rustfmt::skip]
const ENUMS: &[(&str, &[(&str, &str)])] = &[
    ("AddressType", &[
        ("IPv4", "represents an IPv4 Address."),
        ("IPv6", "represents an IPv6 Address."),
        ("FQDN", "represents a FQDN."),
    ]),
    ("AppArmorProfileType", &[
        ("Unconfined", "indicates that no AppArmor profile should be enforced."),
        ("RuntimeDefault", "indicates that the container runtime's default AppArmor profile should be used."),
        ("Localhost", "indicates that a profile pre-loaded on the node should be used."),
    ]),
    ("AzureDataDiskCachingMode", &[
        ("None", ""),
        ("ReadOnly", ""),
        ("ReadWrite", ""),
    ]),
    ("AzureDataDiskKind", &[
        ("Shared", ""),
        ("Dedicated", ""),
        ("Managed", ""),
    ]),
    ("DNSPolicy", &[
        ("ClusterFirstWithHostNet", "indicates that the pod should use cluster DNS first, if it is available, then fall back on the default (as determined by kubelet) DNS settings."),
        ("ClusterFirst", "indicates that the pod should use cluster DNS first unless hostNetwork is true, if it is available, then fall back on the default (as determined by kubelet) DNS settings."),
        ("Default", "indicates that the pod should use the default (as determined by kubelet) DNS settings."),
        ("None", "indicates that the pod should use empty DNS settings. DNS parameters such as nameservers and search paths should be defined via DNSConfig."),
    ]),
    ("HostPathType", &[
        ("", "For backwards compatible, leave it empty if unset"),
        ("DirectoryOrCreate", "If nothing exists at the given path, an empty directory will be created there as needed with file mode 0755, having the same group and ownership with Kubelet."),
        ("Directory", "A directory must exist at the given path"),
        ("FileOrCreate", "If nothing exists at the given path, an empty file will be created there as needed with file mode 0644, having the same group and ownership with Kubelet."),
        ("File", "A file must exist at the given path"),
        ("Socket", "A UNIX socket must exist at the given path"),
        ("CharDevice", "A character device must exist at the given path"),
        ("BlockDevice", "A block device must exist at the given path"),
    ]),
    ("IPFamily", &[
        ("IPv4", "indicates that this IP is IPv4 protocol"),
        ("IPv6", "indicates that this IP is IPv6 protocol"),
        ("", "indicates that this IP is unknown protocol"),
    ]),
    ("IPFamilyPolicy", &[
        ("SingleStack", "indicates that this service is required to have a single IPFamily. The IPFamily assigned is based on the default IPFamily used by the cluster or as identified by service.spec.ipFamilies field"),
        ("PreferDualStack", "indicates that this service prefers dual-stack when the cluster is configured for dual-stack. If the cluster is not configured for dual-stack the service will be assigned a single IPFamily. If the IPFamily is not set in service.spec.ipFamilies then the service will be assigned the default IPFamily configured on the cluster"),
        ("RequireDualStack", "indicates that this service requires dual-stack. Using IPFamilyPolicyRequireDualStack on a single stack cluster will result in validation errors. The IPFamilies (and their order) assigned to this service is based on service.spec.ipFamilies. If service.spec.ipFamilies was not provided then it will be assigned according to how they are configured on the cluster. If service.spec.ipFamilies has only one entry then the alternative IPFamily will be added by apiserver"),
    ]),
    ("MountPropagationMode", &[
        ("None", "means that the volume in a container will not receive new mounts from the host or other containers, and filesystems mounted inside the container won't be propagated to the host or other containers. Note that this mode corresponds to \"private\" in Linux terminology."),
        ("HostToContainer", "means that the volume in a container will receive new mounts from the host or other containers, but filesystems mounted inside the container won't be propagated to the host or other containers. Note that this mode is recursively applied to all mounts in the volume (\"rslave\" in Linux terminology)."),
        ("Bidirectional", "means that the volume in a container will receive new mounts from the host or other containers, and its own mounts will be propagated from the container to the host or other containers. Note that this mode is recursively applied to all mounts in the volume (\"rshared\" in Linux terminology)."),
    ]),
    ("NamespacePhase", &[
        ("Active", "means the namespace is available for use in the system"),
        ("Terminating", "means the namespace is undergoing graceful termination"),
    ]),
    ("NodeInclusionPolicy", &[
        ("Ignore", "means ignore this scheduling directive when calculating pod topology spread skew."),
        ("Honor", "means use this scheduling directive when calculating pod topology spread skew."),
    ]),
    ("NodePhase", &[
        ("Pending", "means the node has been created/added by the system, but not configured."),
        ("Running", "means the node has been configured and has Kubernetes components running."),
        ("Terminated", "means the node has been removed from the cluster."),
    ]),
    ("NodeSelectorOperator", &[
        ("In", ""),
        ("NotIn", ""),
        ("Exists", ""),
        ("DoesNotExist", ""),
        ("Gt", ""),
        ("Lt", ""),
    ]),
    ("PersistentVolumeAccessMode", &[
        ("ReadWriteOnce", "can be mounted in read/write mode to exactly 1 host"),
        ("ReadOnlyMany", "can be mounted in read-only mode to many hosts"),
        ("ReadWriteMany", "can be mounted in read/write mode to many hosts"),
        ("ReadWriteOncePod", "can be mounted in read/write mode to exactly 1 pod cannot be used in combination with other access modes"),
    ]),
    ("PersistentVolumeMode", &[
        ("Block", "means the volume will not be formatted with a filesystem and will remain a raw block device."),
        ("Filesystem", "means the volume will be or is formatted with a filesystem."),
    ]),
    ("PodFSGroupChangePolicy", &[
        ("OnRootMismatch", "indicates that volume's ownership and permissions will be changed only when permission and ownership of root directory does not match with expected permissions on the volume. This can help shorten the time it takes to change ownership and permissions of a volume."),
        ("Always", "indicates that volume's ownership and permissions should always be changed whenever volume is mounted inside a Pod. This the default behavior."),
    ]),
    ("PodPhase", &[
        ("Pending", "means the pod has been accepted by the system, but one or more of the containers has not been started. This includes time before being bound to a node, as well as time spent pulling images onto the host."),
        ("Running", "means the pod has been bound to a node and all of the containers have been started. At least one container is still running or is in the process of being restarted."),
        ("Succeeded", "means that all containers in the pod have voluntarily terminated with a container exit code of 0, and the system is not going to restart any of these containers."),
        ("Failed", "means that all containers in the pod have terminated, and at least one container has terminated in a failure (exited with a non-zero exit code or was stopped by the system)."),
        ("Unknown", "means that for some reason the state of the pod could not be obtained, typically due to an error in communicating with the host of the pod. Deprecated: It isn't being set since 2015 (74da3b14b0c0f658b3bb8d2def5094686d0e9095)"),
    ]),
    ("PodQOSClass", &[
        ("Guaranteed", "is the Guaranteed qos class."),
        ("Burstable", "is the Burstable qos class."),
        ("BestEffort", "is the BestEffort qos class."),
    ]),
    ("PreemptionPolicy", &[
        ("PreemptLowerPriority", "means that pod can preempt other pods with lower priority."),
        ("Never", "means that pod never preempts other pods with lower priority."),
    ]),
    ("ProcMountType", &[
        ("Default", "uses the container runtime defaults for readonly and masked paths for /proc. Most container runtimes mask certain paths in /proc to avoid accidental security exposure of special devices or information."),
        ("Unmasked", "bypasses the default masking behavior of the container runtime and ensures the newly created /proc the container stays in tact with no modifications."),
    ]),
    ("Protocol", &[
        ("TCP", "is the TCP protocol."),
        ("UDP", "is the UDP protocol."),
        ("SCTP", "is the SCTP protocol."),
    ]),
    ("PullPolicy", &[
        ("Always", "means that kubelet always attempts to pull the latest image. Container will fail If the pull fails."),
        ("Never", "means that kubelet never pulls an image, but only uses a local image. Container will fail if the image isn't present"),
        ("IfNotPresent", "means that kubelet pulls if the image isn't present on disk. Container will fail if the image isn't present and the pull fails."),
    ]),
    ("RestartPolicy", &[
        ("Always", ""),
        ("OnFailure", ""),
        ("Never", ""),
    ]),
    ("SeccompProfileType", &[
        ("Unconfined", "indicates no seccomp profile is applied (A.K.A. unconfined)."),
        ("RuntimeDefault", "represents the default container runtime seccomp profile."),
        ("Localhost", "indicates a profile defined in a file on the node should be used. The file's location relative to <kubelet-root-dir>/seccomp."),
    ]),
    ("ServiceAffinity", &[
        ("ClientIP", "is the Client IP based."),
        ("None", "- no session affinity."),
    ]),
    ("ServiceExternalTrafficPolicy", &[
        ("Cluster", "routes traffic to all endpoints."),
        ("Local", "preserves the source IP of the traffic by routing only to endpoints on the same node as the traffic was received on (dropping the traffic if there are no local endpoints)."),
    ]),
    ("ServiceInternalTrafficPolicy", &[
        ("Cluster", "routes traffic to all endpoints."),
        ("Local", "routes traffic only to endpoints on the same node as the client pod (dropping the traffic if there are no local endpoints)."),
    ]),
    ("ServiceType", &[
        ("ClusterIP", "means a service will only be accessible inside the cluster, via the cluster IP."),
        ("NodePort", "means a service will be exposed on one port of every node, in addition to 'ClusterIP' type."),
        ("LoadBalancer", "means a service will be exposed via an external load balancer (if the cloud provider supports it), in addition to 'NodePort' type."),
        ("ExternalName", "means a service consists of only a reference to an external name that kubedns or equivalent will return as a CNAME record, with no exposing or proxying of any pods involved."),
    ]),
    ("Signal", &[
        ("SIGABRT", ""),
        ("SIGALRM", ""),
        ("SIGBUS", ""),
        ("SIGCHLD", ""),
        ("SIGCLD", ""),
        ("SIGCONT", ""),
        ("SIGFPE", ""),
        ("SIGHUP", ""),
        ("SIGILL", ""),
        ("SIGINT", ""),
        ("SIGIO", ""),
        ("SIGIOT", ""),
        ("SIGKILL", ""),
        ("SIGPIPE", ""),
        ("SIGPOLL", ""),
        ("SIGPROF", ""),
        ("SIGPWR", ""),
        ("SIGQUIT", ""),
        ("SIGSEGV", ""),
        ("SIGSTKFLT", ""),
        ("SIGSTOP", ""),
        ("SIGSYS", ""),
        ("SIGTERM", ""),
        ("SIGTRAP", ""),
        ("SIGTSTP", ""),
        ("SIGTTIN", ""),
        ("SIGTTOU", ""),
        ("SIGURG", ""),
        ("SIGUSR1", ""),
        ("SIGUSR2", ""),
        ("SIGVTALRM", ""),
        ("SIGWINCH", ""),
        ("SIGXCPU", ""),
        ("SIGXFSZ", ""),
        ("SIGRTMIN", ""),
        ("SIGRTMIN+1", ""),
        ("SIGRTMIN+2", ""),
        ("SIGRTMIN+3", ""),
        ("SIGRTMIN+4", ""),
        ("SIGRTMIN+5", ""),
        ("SIGRTMIN+6", ""),
        ("SIGRTMIN+7", ""),
        ("SIGRTMIN+8", ""),
        ("SIGRTMIN+9", ""),
        ("SIGRTMIN+10", ""),
        ("SIGRTMIN+11", ""),
        ("SIGRTMIN+12", ""),
        ("SIGRTMIN+13", ""),
        ("SIGRTMIN+14", ""),
        ("SIGRTMIN+15", ""),
        ("SIGRTMAX-14", ""),
        ("SIGRTMAX-13", ""),
        ("SIGRTMAX-12", ""),
        ("SIGRTMAX-11", ""),
        ("SIGRTMAX-10", ""),
        ("SIGRTMAX-9", ""),
        ("SIGRTMAX-8", ""),
        ("SIGRTMAX-7", ""),
        ("SIGRTMAX-6", ""),
        ("SIGRTMAX-5", ""),
        ("SIGRTMAX-4", ""),
        ("SIGRTMAX-3", ""),
        ("SIGRTMAX-2", ""),
        ("SIGRTMAX-1", ""),
        ("SIGRTMAX", ""),
    ]),
    ("SupplementalGroupsPolicy", &[
        ("Merge", "means that the container's provided SupplementalGroups and FsGroup (specified in SecurityContext) will be merged with the primary user's groups as defined in the container image (in /etc/group)."),
        ("Strict", "means that the container's provided SupplementalGroups and FsGroup (specified in SecurityContext) will be used instead of any groups defined in the container image."),
    ]),
    ("TaintEffect", &[
        ("NoSchedule", "Do not allow new pods to schedule onto the node unless they tolerate the taint, but allow all pods submitted to Kubelet without going through the scheduler to start, and allow all already-running pods to continue running. Enforced by the scheduler."),
        ("PreferNoSchedule", "Like TaintEffectNoSchedule, but the scheduler tries not to schedule new pods onto the node, rather than prohibiting new pods from scheduling onto the node entirely. Enforced by the scheduler."),
        ("NoExecute", "Evict any already-running pods that do not tolerate the taint. Currently enforced by NodeController."),
    ]),
    ("TerminationMessagePolicy", &[
        ("File", "is the default behavior and will set the container status message to the contents of the container's terminationMessagePath when the container exits."),
        ("FallbackToLogsOnError", "will read the most recent contents of the container logs for the container status message when the container exits with an error and the terminationMessagePath has no contents."),
    ]),
    ("TolerationOperator", &[
        ("Exists", ""),
        ("Equal", ""),
    ]),
    ("URIScheme", &[
        ("HTTP", "means that the scheme used will be http://"),
        ("HTTPS", "means that the scheme used will be https://"),
    ]),
    ("UnsatisfiableConstraintAction", &[
        ("DoNotSchedule", "instructs the scheduler not to schedule the pod when constraints are not satisfied."),
        ("ScheduleAnyway", "instructs the scheduler to schedule the pod even if constraints are not satisfied."),
    ]),
];

#[rustfmt::skip]
const FIELDS: &[(&str, &str, &str, Placement)] = &[
    ("api.core.v1.AppArmorProfile", "type", "AppArmorProfileType", Placement::Field),
    ("api.core.v1.AzureDiskVolumeSource", "cachingMode", "AzureDataDiskCachingMode", Placement::Field),
    ("api.core.v1.AzureDiskVolumeSource", "kind", "AzureDataDiskKind", Placement::Field),
    ("api.core.v1.Container", "imagePullPolicy", "PullPolicy", Placement::Field),
    ("api.core.v1.Container", "terminationMessagePolicy", "TerminationMessagePolicy", Placement::Field),
    ("api.core.v1.ContainerPort", "protocol", "Protocol", Placement::Field),
    ("api.core.v1.ContainerStatus", "stopSignal", "Signal", Placement::Field),
    ("api.core.v1.EndpointPort", "protocol", "Protocol", Placement::Field),
    ("api.core.v1.HTTPGetAction", "scheme", "URIScheme", Placement::Field),
    ("api.core.v1.HostPathVolumeSource", "type", "HostPathType", Placement::Field),
    ("api.core.v1.ImageVolumeSource", "pullPolicy", "PullPolicy", Placement::Field),
    ("api.core.v1.Lifecycle", "stopSignal", "Signal", Placement::Field),
    ("api.core.v1.NamespaceStatus", "phase", "NamespacePhase", Placement::Field),
    ("api.core.v1.NodeSelectorRequirement", "operator", "NodeSelectorOperator", Placement::Field),
    ("api.core.v1.NodeStatus", "phase", "NodePhase", Placement::Field),
    ("api.core.v1.PersistentVolumeClaimSpec", "accessModes", "PersistentVolumeAccessMode", Placement::Items),
    ("api.core.v1.PersistentVolumeClaimSpec", "volumeMode", "PersistentVolumeMode", Placement::Field),
    ("api.core.v1.PodSecurityContext", "fsGroupChangePolicy", "PodFSGroupChangePolicy", Placement::Field),
    ("api.core.v1.PodSecurityContext", "supplementalGroupsPolicy", "SupplementalGroupsPolicy", Placement::Field),
    ("api.core.v1.PodSpec", "dnsPolicy", "DNSPolicy", Placement::Field),
    ("api.core.v1.PodSpec", "preemptionPolicy", "PreemptionPolicy", Placement::Field),
    ("api.core.v1.PodSpec", "restartPolicy", "RestartPolicy", Placement::Field),
    ("api.core.v1.PodStatus", "phase", "PodPhase", Placement::Field),
    ("api.core.v1.PodStatus", "qosClass", "PodQOSClass", Placement::Field),
    ("api.core.v1.PortStatus", "protocol", "Protocol", Placement::Field),
    ("api.core.v1.SeccompProfile", "type", "SeccompProfileType", Placement::Field),
    ("api.core.v1.SecurityContext", "procMount", "ProcMountType", Placement::Field),
    ("api.core.v1.ServicePort", "protocol", "Protocol", Placement::Field),
    ("api.core.v1.ServiceSpec", "externalTrafficPolicy", "ServiceExternalTrafficPolicy", Placement::Field),
    ("api.core.v1.ServiceSpec", "internalTrafficPolicy", "ServiceInternalTrafficPolicy", Placement::Field),
    ("api.core.v1.ServiceSpec", "ipFamilies", "IPFamily", Placement::Items),
    ("api.core.v1.ServiceSpec", "ipFamilyPolicy", "IPFamilyPolicy", Placement::Field),
    ("api.core.v1.ServiceSpec", "sessionAffinity", "ServiceAffinity", Placement::Field),
    ("api.core.v1.ServiceSpec", "type", "ServiceType", Placement::Field),
    ("api.core.v1.Taint", "effect", "TaintEffect", Placement::Field),
    ("api.core.v1.Toleration", "effect", "TaintEffect", Placement::Field),
    ("api.core.v1.Toleration", "operator", "TolerationOperator", Placement::Field),
    ("api.core.v1.TopologySpreadConstraint", "nodeAffinityPolicy", "NodeInclusionPolicy", Placement::Field),
    ("api.core.v1.TopologySpreadConstraint", "nodeTaintsPolicy", "NodeInclusionPolicy", Placement::Field),
    ("api.core.v1.TopologySpreadConstraint", "whenUnsatisfiable", "UnsatisfiableConstraintAction", Placement::Field),
    ("api.core.v1.VolumeMount", "mountPropagation", "MountPropagationMode", Placement::Field),
    ("api.discovery.v1.EndpointPort", "protocol", "Protocol", Placement::Field),
    ("api.discovery.v1.EndpointSlice", "addressType", "AddressType", Placement::Field),
];

/// The values of enum type `name` with their docs.
fn values(name: &str) -> &'static [(&'static str, &'static str)] {
    ENUMS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, values)| *values)
        .unwrap_or_else(|| panic!("enum type {name} missing from the table"))
}

/// The values, sorted as openapi-gen sorts them.
fn sorted_values(values: &[(&'static str, &'static str)]) -> Vec<&'static str> {
    let mut out: Vec<&str> = values.iter().map(|(value, _)| *value).collect();
    out.sort_unstable();
    out
}

/// The "Possible enum values" block appended to an enum-typed field's description.
fn description_tail(values: &[(&str, &str)]) -> String {
    let mut lines: Vec<String> = values
        .iter()
        .map(|(value, doc)| format!(" - `\"{value}\"` {doc}").trim_end().to_string())
        .collect();
    lines.sort_unstable();
    format!("{HEADER}\n{}", lines.join("\n"))
}

/// Adds `enum` (and the description tail) to the enum-typed fields of the schema named `name`
/// (an upstream `io.k8s.…` name).
pub(crate) fn apply(name: &str, schema: &mut Value) {
    let Some(short) = name.strip_prefix("io.k8s.") else {
        return;
    };
    for &(schema_name, field, enum_type, placement) in FIELDS {
        if schema_name != short {
            continue;
        }
        let Some(property) = schema
            .get_mut("properties")
            .and_then(|p| p.get_mut(field))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let values = values(enum_type);
        let list: Value = sorted_values(values).into();
        match placement {
            Placement::Field => {
                let tail = description_tail(values);
                let description = match property.get("description").and_then(Value::as_str) {
                    Some(doc) if !doc.trim().is_empty() => format!("{}\n\n{tail}", doc.trim_end()),
                    _ => tail,
                };
                property.insert("description".into(), description.into());
                property.insert("enum".into(), list);
            }
            Placement::Items => {
                if let Some(items) = property.get_mut("items").and_then(Value::as_object_mut) {
                    items.insert("enum".into(), list);
                }
            }
        }
    }
}

/// Every schema name (without `io.k8s.`) the table has fields for.
#[cfg(test)]
pub(crate) fn schema_names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|row| row.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_names_a_known_type() {
        for (schema, field, enum_type, _) in FIELDS {
            assert!(
                ENUMS.iter().any(|(n, _)| n == enum_type),
                "{schema}.{field}: {enum_type}"
            );
        }
        for (name, values) in ENUMS {
            assert!(
                FIELDS.iter().any(|row| row.2 == *name),
                "{name} is used by no field"
            );
            assert!(!values.is_empty(), "{name}");
        }
    }

    #[test]
    fn field_gets_sorted_values_and_description_tail() {
        let mut port = json!({"properties": {"protocol": {
            "description": "The IP protocol for this port. Supports \"TCP\", \"UDP\", and \"SCTP\". Default is TCP.",
            "type": "string"
        }}});
        apply("io.k8s.api.core.v1.ServicePort", &mut port);
        assert_eq!(
            port["properties"]["protocol"],
            json!({
                "description": "The IP protocol for this port. Supports \"TCP\", \"UDP\", and \"SCTP\". Default is TCP.\n\nPossible enum values:\n - `\"SCTP\"` is the SCTP protocol.\n - `\"TCP\"` is the TCP protocol.\n - `\"UDP\"` is the UDP protocol.",
                "type": "string",
                "enum": ["SCTP", "TCP", "UDP"]
            })
        );
    }

    #[test]
    fn values_without_docs_have_no_trailing_space() {
        assert_eq!(
            description_tail(values("RestartPolicy")),
            "Possible enum values:\n - `\"Always\"`\n - `\"Never\"`\n - `\"OnFailure\"`"
        );
    }

    #[test]
    fn list_of_enum_gets_enum_on_items_only() {
        let mut spec = json!({"properties": {"ipFamilies": {
            "description": "d",
            "type": "array",
            "items": {"type": "string"}
        }}});
        apply("io.k8s.api.core.v1.ServiceSpec", &mut spec);
        assert_eq!(
            spec["properties"]["ipFamilies"],
            json!({
                "description": "d",
                "type": "array",
                "items": {"type": "string", "enum": ["", "IPv4", "IPv6"]}
            })
        );
    }
}
