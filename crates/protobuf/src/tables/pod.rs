//! Schema of `core/v1` Pod: PodSpec (without affinity, topology spread constraints and
//! resource claims), PodSecurityContext, tolerations, and PodStatus with container statuses.
//! Field numbers from k8s.io/api `core/v1/generated.proto`; checked against `k8s-pb` in the
//! tests.

use super::container::{
    CONTAINER, PROFILE, RESOURCE_REQUIREMENTS, SE_LINUX_OPTIONS, WINDOWS_OPTIONS,
};
use super::meta::OBJECT_META;
use super::small_kinds::LOCAL_OBJECT_REFERENCE;
use super::volume::VOLUME;
use crate::schema::Emit::{Always, Omit, Ptr};
use crate::schema::Ty::{Bool, Int32, Int64, Msg, QuantityMap, Str, StrMap, Time};
use crate::schema::{Message, inline, many, one};

pub(crate) static POD: Message = Message {
    name: "Pod",
    fields: &[
        one(1, "metadata", Msg(&OBJECT_META), Omit),
        one(2, "spec", Msg(&POD_SPEC), Omit),
        one(3, "status", Msg(&POD_STATUS), Omit),
    ],
};

static POD_SPEC: Message = Message {
    name: "PodSpec",
    fields: &[
        many(1, "volumes", Msg(&VOLUME), Omit),
        many(20, "initContainers", Msg(&CONTAINER), Omit),
        many(2, "containers", Msg(&CONTAINER), Always),
        many(34, "ephemeralContainers", Msg(&EPHEMERAL_CONTAINER), Omit),
        one(3, "restartPolicy", Str, Omit),
        one(4, "terminationGracePeriodSeconds", Int64, Ptr),
        one(5, "activeDeadlineSeconds", Int64, Ptr),
        one(6, "dnsPolicy", Str, Omit),
        one(7, "nodeSelector", StrMap, Omit),
        one(8, "serviceAccountName", Str, Omit),
        one(9, "serviceAccount", Str, Omit),
        one(21, "automountServiceAccountToken", Bool, Ptr),
        one(10, "nodeName", Str, Omit),
        one(11, "hostNetwork", Bool, Omit),
        one(12, "hostPID", Bool, Omit),
        one(13, "hostIPC", Bool, Omit),
        one(27, "shareProcessNamespace", Bool, Ptr),
        one(14, "securityContext", Msg(&POD_SECURITY_CONTEXT), Ptr),
        many(15, "imagePullSecrets", Msg(&LOCAL_OBJECT_REFERENCE), Omit),
        one(16, "hostname", Str, Omit),
        one(17, "subdomain", Str, Omit),
        one(19, "schedulerName", Str, Omit),
        many(22, "tolerations", Msg(&TOLERATION), Omit),
        many(23, "hostAliases", Msg(&HOST_ALIAS), Omit),
        one(24, "priorityClassName", Str, Omit),
        one(25, "priority", Int32, Ptr),
        one(26, "dnsConfig", Msg(&POD_DNS_CONFIG), Ptr),
        many(28, "readinessGates", Msg(&POD_READINESS_GATE), Omit),
        one(29, "runtimeClassName", Str, Ptr),
        one(30, "enableServiceLinks", Bool, Ptr),
        one(31, "preemptionPolicy", Str, Ptr),
        one(32, "overhead", QuantityMap, Omit),
        one(35, "setHostnameAsFQDN", Bool, Ptr),
        one(36, "os", Msg(&POD_OS), Ptr),
        one(37, "hostUsers", Bool, Ptr),
        many(38, "schedulingGates", Msg(&POD_SCHEDULING_GATE), Omit),
        one(40, "resources", Msg(&RESOURCE_REQUIREMENTS), Ptr),
    ],
};

static EPHEMERAL_CONTAINER: Message = Message {
    name: "EphemeralContainer",
    fields: &[
        inline(1, &CONTAINER),
        one(2, "targetContainerName", Str, Omit),
    ],
};

static POD_SECURITY_CONTEXT: Message = Message {
    name: "PodSecurityContext",
    fields: &[
        one(1, "seLinuxOptions", Msg(&SE_LINUX_OPTIONS), Ptr),
        one(8, "windowsOptions", Msg(&WINDOWS_OPTIONS), Ptr),
        one(2, "runAsUser", Int64, Ptr),
        one(6, "runAsGroup", Int64, Ptr),
        one(3, "runAsNonRoot", Bool, Ptr),
        many(4, "supplementalGroups", Int64, Omit),
        one(12, "supplementalGroupsPolicy", Str, Ptr),
        one(5, "fsGroup", Int64, Ptr),
        many(7, "sysctls", Msg(&SYSCTL), Omit),
        one(9, "fsGroupChangePolicy", Str, Ptr),
        one(10, "seccompProfile", Msg(&PROFILE), Ptr),
        one(11, "appArmorProfile", Msg(&PROFILE), Ptr),
        one(13, "seLinuxChangePolicy", Str, Ptr),
    ],
};

static SYSCTL: Message = Message {
    name: "Sysctl",
    fields: &[one(1, "name", Str, Always), one(2, "value", Str, Always)],
};

pub(crate) static TOLERATION: Message = Message {
    name: "Toleration",
    fields: &[
        one(1, "key", Str, Omit),
        one(2, "operator", Str, Omit),
        one(3, "value", Str, Omit),
        one(4, "effect", Str, Omit),
        one(5, "tolerationSeconds", Int64, Ptr),
    ],
};

static HOST_ALIAS: Message = Message {
    name: "HostAlias",
    fields: &[one(1, "ip", Str, Always), many(2, "hostnames", Str, Omit)],
};

static POD_DNS_CONFIG: Message = Message {
    name: "PodDNSConfig",
    fields: &[
        many(1, "nameservers", Str, Omit),
        many(2, "searches", Str, Omit),
        many(3, "options", Msg(&POD_DNS_CONFIG_OPTION), Omit),
    ],
};

static POD_DNS_CONFIG_OPTION: Message = Message {
    name: "PodDNSConfigOption",
    fields: &[one(1, "name", Str, Omit), one(2, "value", Str, Ptr)],
};

static POD_READINESS_GATE: Message = Message {
    name: "PodReadinessGate",
    fields: &[one(1, "conditionType", Str, Always)],
};

/// `PodOS` and `PodSchedulingGate`: a single required `name`.
static POD_OS: Message = Message {
    name: "PodOS",
    fields: &[one(1, "name", Str, Always)],
};

static POD_SCHEDULING_GATE: Message = Message {
    name: "PodSchedulingGate",
    fields: &[one(1, "name", Str, Always)],
};

static POD_STATUS: Message = Message {
    name: "PodStatus",
    fields: &[
        one(17, "observedGeneration", Int64, Omit),
        one(1, "phase", Str, Omit),
        many(2, "conditions", Msg(&POD_CONDITION), Omit),
        one(3, "message", Str, Omit),
        one(4, "reason", Str, Omit),
        one(11, "nominatedNodeName", Str, Omit),
        one(5, "hostIP", Str, Omit),
        many(16, "hostIPs", Msg(&IP), Omit),
        one(6, "podIP", Str, Omit),
        many(12, "podIPs", Msg(&IP), Omit),
        one(7, "startTime", Time, Ptr),
        many(10, "initContainerStatuses", Msg(&CONTAINER_STATUS), Omit),
        many(8, "containerStatuses", Msg(&CONTAINER_STATUS), Omit),
        one(9, "qosClass", Str, Omit),
        many(
            13,
            "ephemeralContainerStatuses",
            Msg(&CONTAINER_STATUS),
            Omit,
        ),
        one(14, "resize", Str, Omit),
    ],
};

/// `PodIP` and `HostIP`: a single required `ip`.
static IP: Message = Message {
    name: "PodIP",
    fields: &[one(1, "ip", Str, Always)],
};

static POD_CONDITION: Message = Message {
    name: "PodCondition",
    fields: &[
        one(1, "type", Str, Always),
        one(7, "observedGeneration", Int64, Omit),
        one(2, "status", Str, Always),
        one(3, "lastProbeTime", Time, Omit),
        one(4, "lastTransitionTime", Time, Omit),
        one(5, "reason", Str, Omit),
        one(6, "message", Str, Omit),
    ],
};

static CONTAINER_STATUS: Message = Message {
    name: "ContainerStatus",
    fields: &[
        one(1, "name", Str, Always),
        one(2, "state", Msg(&CONTAINER_STATE), Omit),
        one(3, "lastState", Msg(&CONTAINER_STATE), Omit),
        one(4, "ready", Bool, Always),
        one(5, "restartCount", Int32, Always),
        one(6, "image", Str, Always),
        one(7, "imageID", Str, Always),
        one(8, "containerID", Str, Omit),
        one(9, "started", Bool, Ptr),
        one(10, "allocatedResources", QuantityMap, Omit),
        one(11, "resources", Msg(&RESOURCE_REQUIREMENTS), Ptr),
        one(15, "stopSignal", Str, Ptr),
    ],
};

static CONTAINER_STATE: Message = Message {
    name: "ContainerState",
    fields: &[
        one(1, "waiting", Msg(&STATE_WAITING), Ptr),
        one(2, "running", Msg(&STATE_RUNNING), Ptr),
        one(3, "terminated", Msg(&STATE_TERMINATED), Ptr),
    ],
};

static STATE_WAITING: Message = Message {
    name: "ContainerStateWaiting",
    fields: &[one(1, "reason", Str, Omit), one(2, "message", Str, Omit)],
};

static STATE_RUNNING: Message = Message {
    name: "ContainerStateRunning",
    fields: &[one(1, "startedAt", Time, Omit)],
};

static STATE_TERMINATED: Message = Message {
    name: "ContainerStateTerminated",
    fields: &[
        one(1, "exitCode", Int32, Always),
        one(2, "signal", Int32, Omit),
        one(3, "reason", Str, Omit),
        one(4, "message", Str, Omit),
        one(5, "startedAt", Time, Omit),
        one(6, "finishedAt", Time, Omit),
        one(7, "containerID", Str, Omit),
    ],
};
