//! Schema of `core/v1` Volume for the sources a kubectl-made pod uses (hostPath, emptyDir,
//! secret, configMap, persistentVolumeClaim, downwardAPI, projected). Field numbers from
//! k8s.io/api `core/v1/generated.proto`; checked against `k8s-pb` in the tests.

use super::container::{OBJECT_FIELD_SELECTOR, RESOURCE_FIELD_SELECTOR};
use super::small_kinds::LOCAL_OBJECT_REFERENCE;
use crate::schema::Emit::{Always, Omit, Ptr};
use crate::schema::Ty::{Bool, Int32, Int64, Msg, Quantity, Str};
use crate::schema::{Message, inline, many, one};

pub(crate) static VOLUME: Message = Message {
    name: "Volume",
    fields: &[one(1, "name", Str, Always), inline(2, &VOLUME_SOURCE)],
};

static VOLUME_SOURCE: Message = Message {
    name: "VolumeSource",
    fields: &[
        one(1, "hostPath", Msg(&HOST_PATH), Ptr),
        one(2, "emptyDir", Msg(&EMPTY_DIR), Ptr),
        one(6, "secret", Msg(&SECRET_VOLUME), Ptr),
        one(10, "persistentVolumeClaim", Msg(&PVC_VOLUME), Ptr),
        one(16, "downwardAPI", Msg(&DOWNWARD_API_VOLUME), Ptr),
        one(19, "configMap", Msg(&CONFIG_MAP_VOLUME), Ptr),
        one(26, "projected", Msg(&PROJECTED_VOLUME), Ptr),
    ],
};

static HOST_PATH: Message = Message {
    name: "HostPathVolumeSource",
    fields: &[one(1, "path", Str, Always), one(2, "type", Str, Ptr)],
};

static EMPTY_DIR: Message = Message {
    name: "EmptyDirVolumeSource",
    fields: &[
        one(1, "medium", Str, Omit),
        one(2, "sizeLimit", Quantity, Ptr),
    ],
};

static SECRET_VOLUME: Message = Message {
    name: "SecretVolumeSource",
    fields: &[
        one(1, "secretName", Str, Omit),
        many(2, "items", Msg(&KEY_TO_PATH), Omit),
        one(3, "defaultMode", Int32, Ptr),
        one(4, "optional", Bool, Ptr),
    ],
};

static PVC_VOLUME: Message = Message {
    name: "PersistentVolumeClaimVolumeSource",
    fields: &[
        one(1, "claimName", Str, Always),
        one(2, "readOnly", Bool, Omit),
    ],
};

static DOWNWARD_API_VOLUME: Message = Message {
    name: "DownwardAPIVolumeSource",
    fields: &[
        many(1, "items", Msg(&DOWNWARD_API_FILE), Omit),
        one(2, "defaultMode", Int32, Ptr),
    ],
};

static DOWNWARD_API_FILE: Message = Message {
    name: "DownwardAPIVolumeFile",
    fields: &[
        one(1, "path", Str, Always),
        one(2, "fieldRef", Msg(&OBJECT_FIELD_SELECTOR), Ptr),
        one(3, "resourceFieldRef", Msg(&RESOURCE_FIELD_SELECTOR), Ptr),
        one(4, "mode", Int32, Ptr),
    ],
};

static CONFIG_MAP_VOLUME: Message = Message {
    name: "ConfigMapVolumeSource",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        many(2, "items", Msg(&KEY_TO_PATH), Omit),
        one(3, "defaultMode", Int32, Ptr),
        one(4, "optional", Bool, Ptr),
    ],
};

static KEY_TO_PATH: Message = Message {
    name: "KeyToPath",
    fields: &[
        one(1, "key", Str, Always),
        one(2, "path", Str, Always),
        one(3, "mode", Int32, Ptr),
    ],
};

static PROJECTED_VOLUME: Message = Message {
    name: "ProjectedVolumeSource",
    fields: &[
        many(1, "sources", Msg(&VOLUME_PROJECTION), Omit),
        one(2, "defaultMode", Int32, Ptr),
    ],
};

static VOLUME_PROJECTION: Message = Message {
    name: "VolumeProjection",
    fields: &[
        one(1, "secret", Msg(&KEY_PROJECTION), Ptr),
        one(2, "downwardAPI", Msg(&DOWNWARD_API_PROJECTION), Ptr),
        one(3, "configMap", Msg(&KEY_PROJECTION), Ptr),
        one(4, "serviceAccountToken", Msg(&TOKEN_PROJECTION), Ptr),
    ],
};

/// `SecretProjection` and `ConfigMapProjection`: same shape, same field numbers.
static KEY_PROJECTION: Message = Message {
    name: "SecretProjection",
    fields: &[
        inline(1, &LOCAL_OBJECT_REFERENCE),
        many(2, "items", Msg(&KEY_TO_PATH), Omit),
        one(4, "optional", Bool, Ptr),
    ],
};

static DOWNWARD_API_PROJECTION: Message = Message {
    name: "DownwardAPIProjection",
    fields: &[many(1, "items", Msg(&DOWNWARD_API_FILE), Omit)],
};

static TOKEN_PROJECTION: Message = Message {
    name: "ServiceAccountTokenProjection",
    fields: &[
        one(1, "audience", Str, Omit),
        one(2, "expirationSeconds", Int64, Ptr),
        one(3, "path", Str, Always),
    ],
};
