//! Schemas of `meta/v1` (ObjectMeta, OwnerReference, ManagedFieldsEntry, Condition,
//! DeleteOptions, Preconditions). Field numbers from apimachinery
//! `pkg/apis/meta/v1/generated.proto`; checked against `k8s-pb` in the tests.

use crate::schema::Emit::{Always, Omit, Ptr};
use crate::schema::Ty::{Bool, FieldsV1, Int64, Msg, Str, StrMap, Time};
use crate::schema::{Message, many, one};

pub(crate) static OBJECT_META: Message = Message {
    name: "ObjectMeta",
    fields: &[
        one(1, "name", Str, Omit),
        one(2, "generateName", Str, Omit),
        one(3, "namespace", Str, Omit),
        one(4, "selfLink", Str, Omit),
        one(5, "uid", Str, Omit),
        one(6, "resourceVersion", Str, Omit),
        one(7, "generation", Int64, Omit),
        one(8, "creationTimestamp", Time, Omit),
        one(9, "deletionTimestamp", Time, Ptr),
        one(10, "deletionGracePeriodSeconds", Int64, Ptr),
        one(11, "labels", StrMap, Omit),
        one(12, "annotations", StrMap, Omit),
        many(13, "ownerReferences", Msg(&OWNER_REFERENCE), Omit),
        many(14, "finalizers", Str, Omit),
        many(17, "managedFields", Msg(&MANAGED_FIELDS_ENTRY), Omit),
    ],
};

static OWNER_REFERENCE: Message = Message {
    name: "OwnerReference",
    fields: &[
        one(5, "apiVersion", Str, Always),
        one(1, "kind", Str, Always),
        one(3, "name", Str, Always),
        one(4, "uid", Str, Always),
        one(6, "controller", Bool, Ptr),
        one(7, "blockOwnerDeletion", Bool, Ptr),
    ],
};

static MANAGED_FIELDS_ENTRY: Message = Message {
    name: "ManagedFieldsEntry",
    fields: &[
        one(1, "manager", Str, Omit),
        one(2, "operation", Str, Omit),
        one(3, "apiVersion", Str, Omit),
        one(4, "time", Time, Ptr),
        one(6, "fieldsType", Str, Omit),
        one(7, "fieldsV1", FieldsV1, Ptr),
        one(8, "subresource", Str, Omit),
    ],
};

/// `metav1.Condition`, used in Service status.
pub(crate) static CONDITION: Message = Message {
    name: "Condition",
    fields: &[
        one(1, "type", Str, Always),
        one(2, "status", Str, Always),
        one(3, "observedGeneration", Int64, Omit),
        one(4, "lastTransitionTime", Time, Always),
        one(5, "reason", Str, Always),
        one(6, "message", Str, Always),
    ],
};

pub(crate) static DELETE_OPTIONS: Message = Message {
    name: "DeleteOptions",
    fields: &[
        one(1, "gracePeriodSeconds", Int64, Ptr),
        one(2, "preconditions", Msg(&PRECONDITIONS), Ptr),
        one(3, "orphanDependents", Bool, Ptr),
        one(4, "propagationPolicy", Str, Ptr),
        many(5, "dryRun", Str, Omit),
        one(
            6,
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            Bool,
            Ptr,
        ),
    ],
};

static PRECONDITIONS: Message = Message {
    name: "Preconditions",
    fields: &[one(1, "uid", Str, Ptr), one(2, "resourceVersion", Str, Ptr)],
};
