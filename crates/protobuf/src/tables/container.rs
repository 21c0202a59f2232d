//! Schema of `core/v1` Container (also the inlined common part of EphemeralContainer) and
//! what hangs off it: ports, env, resources, mounts, probes, lifecycle, security context.
//! Field numbers from k8s.io/api `core/v1/generated.proto`; checked against `k8s-pb` in the
//! tests.

use super::small_kinds::LOCAL_OBJECT_REFERENCE;
use crate::schema::Emit::{Always, Omit, Ptr};
use crate::schema::Ty::{Bool, Int32, Int64, IntOrString, Msg, Quantity, QuantityMap, Str};
use crate::schema::{Message, inline, many, one};

pub(crate) static CONTAINER: Message = Message {
    name: "Container",
    fields: &[
        one(1, "name", Str, Always),
        one(2, "image", Str, Omit),
        many(3, "command", Str, Omit),
        many(4, "args", Str, Omit),
        one(5, "workingDir", Str, Omit),
        many(6, "ports", Msg(&CONTAINER_PORT), Omit),
        many(19, "envFrom", Msg(&ENV_FROM_SOURCE), Omit),
        many(7, "env", Msg(&ENV_VAR), Omit),
        one(8, "resources", Msg(&RESOURCE_REQUIREMENTS), Omit),
        many(23, "resizePolicy", Msg(&CONTAINER_RESIZE_POLICY), Omit),
        one(24, "restartPolicy", Str, Ptr),
        many(9, "volumeMounts", Msg(&VOLUME_MOUNT), Omit),
        many(21, "volumeDevices", Msg(&VOLUME_DEVICE), Omit),
        one(10, "livenessProbe", Msg(&PROBE), Ptr),
        one(11, "readinessProbe", Msg(&PROBE), Ptr),
        one(22, "startupProbe", Msg(&PROBE), Ptr),
        one(12, "lifecycle", Msg(&LIFECYCLE), Ptr),
        one(13, "terminationMessagePath", Str, Omit),
        one(20, "terminationMessagePolicy", Str, Omit),
        one(14, "imagePullPolicy", Str, Omit),
        one(15, "securityContext", Msg(&SECURITY_CONTEXT), Ptr),
        one(16, "stdin", Bool, Omit),
        one(17, "stdinOnce", Bool, Omit),
        one(18, "tty", Bool, Omit),
    ],
};

static CONTAINER_PORT: Message = Message {
    name: "ContainerPort",
    fields: &[
        one(1, "name", Str, Omit),
        one(2, "hostPort", Int32, Omit),
        one(3, "containerPort", Int32, Always),
        one(4, "protocol", Str, Omit),
        one(5, "hostIP", Str, Omit),
    ],
};

static ENV_FROM_SOURCE: Message = Message {
    name: "EnvFromSource",
    fields: &[
        one(1, "prefix", Str, Omit),
        one(2, "configMapRef", Msg(&LOCAL_REF_OPTIONAL), Ptr),
        one(3, "secretRef", Msg(&LOCAL_REF_OPTIONAL), Ptr),
    ],
};

/// `ConfigMapEnvSource` and `SecretEnvSource`: same shape, same field numbers.
static LOCAL_REF_OPTIONAL: Message = Message {
    name: "ConfigMapEnvSource",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        one(2, "optional", Bool, Ptr),
    ],
};

static ENV_VAR: Message = Message {
    name: "EnvVar",
    fields: &[
        one(1, "name", Str, Always),
        one(2, "value", Str, Omit),
        one(3, "valueFrom", Msg(&ENV_VAR_SOURCE), Ptr),
    ],
};

static ENV_VAR_SOURCE: Message = Message {
    name: "EnvVarSource",
    fields: &[
        one(1, "fieldRef", Msg(&OBJECT_FIELD_SELECTOR), Ptr),
        one(2, "resourceFieldRef", Msg(&RESOURCE_FIELD_SELECTOR), Ptr),
        one(3, "configMapKeyRef", Msg(&KEY_SELECTOR), Ptr),
        one(4, "secretKeyRef", Msg(&KEY_SELECTOR), Ptr),
    ],
};

pub(crate) static OBJECT_FIELD_SELECTOR: Message = Message {
    name: "ObjectFieldSelector",
    fields: &[
        one(1, "apiVersion", Str, Omit),
        one(2, "fieldPath", Str, Always),
    ],
};

pub(crate) static RESOURCE_FIELD_SELECTOR: Message = Message {
    name: "ResourceFieldSelector",
    fields: &[
        one(1, "containerName", Str, Omit),
        one(2, "resource", Str, Always),
        one(3, "divisor", Quantity, Omit),
    ],
};

/// `ConfigMapKeySelector` and `SecretKeySelector`: same shape, same field numbers.
static KEY_SELECTOR: Message = Message {
    name: "ConfigMapKeySelector",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        one(2, "key", Str, Always),
        one(3, "optional", Bool, Ptr),
    ],
};

pub(crate) static RESOURCE_REQUIREMENTS: Message = Message {
    name: "ResourceRequirements",
    fields: &[
        one(1, "limits", QuantityMap, Omit),
        one(2, "requests", QuantityMap, Omit),
        many(3, "claims", Msg(&RESOURCE_CLAIM), Omit),
    ],
};

static RESOURCE_CLAIM: Message = Message {
    name: "ResourceClaim",
    fields: &[one(1, "name", Str, Always), one(2, "request", Str, Omit)],
};

static CONTAINER_RESIZE_POLICY: Message = Message {
    name: "ContainerResizePolicy",
    fields: &[
        one(1, "resourceName", Str, Always),
        one(2, "restartPolicy", Str, Always),
    ],
};

static VOLUME_MOUNT: Message = Message {
    name: "VolumeMount",
    fields: &[
        one(1, "name", Str, Always),
        one(2, "readOnly", Bool, Omit),
        one(7, "recursiveReadOnly", Str, Ptr),
        one(3, "mountPath", Str, Always),
        one(4, "subPath", Str, Omit),
        one(5, "mountPropagation", Str, Ptr),
        one(6, "subPathExpr", Str, Omit),
    ],
};

static VOLUME_DEVICE: Message = Message {
    name: "VolumeDevice",
    fields: &[
        one(1, "name", Str, Always),
        one(2, "devicePath", Str, Always),
    ],
};

static PROBE: Message = Message {
    name: "Probe",
    fields: &[
        inline(1, &PROBE_HANDLER),
        one(2, "initialDelaySeconds", Int32, Omit),
        one(3, "timeoutSeconds", Int32, Omit),
        one(4, "periodSeconds", Int32, Omit),
        one(5, "successThreshold", Int32, Omit),
        one(6, "failureThreshold", Int32, Omit),
        one(7, "terminationGracePeriodSeconds", Int64, Ptr),
    ],
};

static PROBE_HANDLER: Message = Message {
    name: "ProbeHandler",
    fields: &[
        one(1, "exec", Msg(&EXEC_ACTION), Ptr),
        one(2, "httpGet", Msg(&HTTP_GET_ACTION), Ptr),
        one(3, "tcpSocket", Msg(&TCP_SOCKET_ACTION), Ptr),
        one(4, "grpc", Msg(&GRPC_ACTION), Ptr),
    ],
};

static EXEC_ACTION: Message = Message {
    name: "ExecAction",
    fields: &[many(1, "command", Str, Omit)],
};

static HTTP_GET_ACTION: Message = Message {
    name: "HTTPGetAction",
    fields: &[
        one(1, "path", Str, Omit),
        one(2, "port", IntOrString, Always),
        one(3, "host", Str, Omit),
        one(4, "scheme", Str, Omit),
        many(5, "httpHeaders", Msg(&HTTP_HEADER), Omit),
    ],
};

static HTTP_HEADER: Message = Message {
    name: "HTTPHeader",
    fields: &[one(1, "name", Str, Always), one(2, "value", Str, Always)],
};

static TCP_SOCKET_ACTION: Message = Message {
    name: "TCPSocketAction",
    fields: &[
        one(1, "port", IntOrString, Always),
        one(2, "host", Str, Omit),
    ],
};

static GRPC_ACTION: Message = Message {
    name: "GRPCAction",
    fields: &[one(1, "port", Int32, Always), one(2, "service", Str, Ptr)],
};

static LIFECYCLE: Message = Message {
    name: "Lifecycle",
    fields: &[
        one(1, "postStart", Msg(&LIFECYCLE_HANDLER), Ptr),
        one(2, "preStop", Msg(&LIFECYCLE_HANDLER), Ptr),
        one(3, "stopSignal", Str, Ptr),
    ],
};

static LIFECYCLE_HANDLER: Message = Message {
    name: "LifecycleHandler",
    fields: &[
        one(1, "exec", Msg(&EXEC_ACTION), Ptr),
        one(2, "httpGet", Msg(&HTTP_GET_ACTION), Ptr),
        one(3, "tcpSocket", Msg(&TCP_SOCKET_ACTION), Ptr),
        one(4, "sleep", Msg(&SLEEP_ACTION), Ptr),
    ],
};

static SLEEP_ACTION: Message = Message {
    name: "SleepAction",
    fields: &[one(1, "seconds", Int64, Always)],
};

static SECURITY_CONTEXT: Message = Message {
    name: "SecurityContext",
    fields: &[
        one(1, "capabilities", Msg(&CAPABILITIES), Ptr),
        one(2, "privileged", Bool, Ptr),
        one(3, "seLinuxOptions", Msg(&SE_LINUX_OPTIONS), Ptr),
        one(10, "windowsOptions", Msg(&WINDOWS_OPTIONS), Ptr),
        one(4, "runAsUser", Int64, Ptr),
        one(8, "runAsGroup", Int64, Ptr),
        one(5, "runAsNonRoot", Bool, Ptr),
        one(6, "readOnlyRootFilesystem", Bool, Ptr),
        one(7, "allowPrivilegeEscalation", Bool, Ptr),
        one(9, "procMount", Str, Ptr),
        one(11, "seccompProfile", Msg(&PROFILE), Ptr),
        one(12, "appArmorProfile", Msg(&PROFILE), Ptr),
    ],
};

static CAPABILITIES: Message = Message {
    name: "Capabilities",
    fields: &[many(1, "add", Str, Omit), many(2, "drop", Str, Omit)],
};

pub(crate) static SE_LINUX_OPTIONS: Message = Message {
    name: "SELinuxOptions",
    fields: &[
        one(1, "user", Str, Omit),
        one(2, "role", Str, Omit),
        one(3, "type", Str, Omit),
        one(4, "level", Str, Omit),
    ],
};

pub(crate) static WINDOWS_OPTIONS: Message = Message {
    name: "WindowsSecurityContextOptions",
    fields: &[
        one(1, "gmsaCredentialSpecName", Str, Ptr),
        one(2, "gmsaCredentialSpec", Str, Ptr),
        one(3, "runAsUserName", Str, Ptr),
        one(4, "hostProcess", Bool, Ptr),
    ],
};

/// `SeccompProfile` and `AppArmorProfile`: same shape, same field numbers.
pub(crate) static PROFILE: Message = Message {
    name: "SeccompProfile",
    fields: &[
        one(1, "type", Str, Always),
        one(2, "localhostProfile", Str, Ptr),
    ],
};
