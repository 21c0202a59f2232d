//! Schemas of the small `core/v1` kinds (Namespace, ServiceAccount, Endpoints, Event) and the
//! references they share. Field numbers from k8s.io/api `core/v1/generated.proto`; checked
//! against `k8s-pb` in the tests.

use super::meta::OBJECT_META;
use crate::schema::Emit::{Always, Omit, Ptr};
use crate::schema::Ty::{Bool, Int32, MicroTime, Msg, Str, Time};
use crate::schema::{Message, many, one};

pub(crate) static OBJECT_REFERENCE: Message = Message {
    name: "ObjectReference",
    fields: &[
        one(1, "kind", Str, Omit),
        one(2, "namespace", Str, Omit),
        one(3, "name", Str, Omit),
        one(4, "uid", Str, Omit),
        one(5, "apiVersion", Str, Omit),
        one(6, "resourceVersion", Str, Omit),
        one(7, "fieldPath", Str, Omit),
    ],
};

pub(crate) static LOCAL_OBJECT_REFERENCE: Message = Message {
    name: "LocalObjectReference",
    fields: &[one(1, "name", Str, Omit)],
};

pub(crate) static NAMESPACE: Message = Message {
    name: "Namespace",
    fields: &[
        one(1, "metadata", Msg(&OBJECT_META), Omit),
        one(2, "spec", Msg(&NAMESPACE_SPEC), Omit),
        one(3, "status", Msg(&NAMESPACE_STATUS), Omit),
    ],
};

static NAMESPACE_SPEC: Message = Message {
    name: "NamespaceSpec",
    fields: &[many(1, "finalizers", Str, Omit)],
};

static NAMESPACE_STATUS: Message = Message {
    name: "NamespaceStatus",
    fields: &[
        one(1, "phase", Str, Omit),
        many(2, "conditions", Msg(&NAMESPACE_CONDITION), Omit),
    ],
};

static NAMESPACE_CONDITION: Message = Message {
    name: "NamespaceCondition",
    fields: &[
        one(1, "type", Str, Always),
        one(2, "status", Str, Always),
        one(4, "lastTransitionTime", Time, Omit),
        one(5, "reason", Str, Omit),
        one(6, "message", Str, Omit),
    ],
};

pub(crate) static SERVICE_ACCOUNT: Message = Message {
    name: "ServiceAccount",
    fields: &[
        one(1, "metadata", Msg(&OBJECT_META), Omit),
        many(2, "secrets", Msg(&OBJECT_REFERENCE), Omit),
        many(3, "imagePullSecrets", Msg(&LOCAL_OBJECT_REFERENCE), Omit),
        one(4, "automountServiceAccountToken", Bool, Ptr),
    ],
};

pub(crate) static ENDPOINTS: Message = Message {
    name: "Endpoints",
    fields: &[
        one(1, "metadata", Msg(&OBJECT_META), Omit),
        many(2, "subsets", Msg(&ENDPOINT_SUBSET), Omit),
    ],
};

static ENDPOINT_SUBSET: Message = Message {
    name: "EndpointSubset",
    fields: &[
        many(1, "addresses", Msg(&ENDPOINT_ADDRESS), Omit),
        many(2, "notReadyAddresses", Msg(&ENDPOINT_ADDRESS), Omit),
        many(3, "ports", Msg(&ENDPOINT_PORT), Omit),
    ],
};

static ENDPOINT_ADDRESS: Message = Message {
    name: "EndpointAddress",
    fields: &[
        one(1, "ip", Str, Always),
        one(3, "hostname", Str, Omit),
        one(4, "nodeName", Str, Ptr),
        one(2, "targetRef", Msg(&OBJECT_REFERENCE), Ptr),
    ],
};

static ENDPOINT_PORT: Message = Message {
    name: "EndpointPort",
    fields: &[
        one(1, "name", Str, Omit),
        one(2, "port", Int32, Always),
        one(3, "protocol", Str, Omit),
        one(4, "appProtocol", Str, Ptr),
    ],
};

pub(crate) static EVENT: Message = Message {
    name: "Event",
    fields: &[
        one(1, "metadata", Msg(&OBJECT_META), Always),
        one(2, "involvedObject", Msg(&OBJECT_REFERENCE), Always),
        one(3, "reason", Str, Omit),
        one(4, "message", Str, Omit),
        one(5, "source", Msg(&EVENT_SOURCE), Omit),
        one(6, "firstTimestamp", Time, Omit),
        one(7, "lastTimestamp", Time, Omit),
        one(8, "count", Int32, Omit),
        one(9, "type", Str, Omit),
        one(10, "eventTime", MicroTime, Omit),
        one(11, "series", Msg(&EVENT_SERIES), Ptr),
        one(12, "action", Str, Omit),
        one(13, "related", Msg(&OBJECT_REFERENCE), Ptr),
        one(14, "reportingComponent", Str, Always),
        one(15, "reportingInstance", Str, Always),
    ],
};

static EVENT_SOURCE: Message = Message {
    name: "EventSource",
    fields: &[one(1, "component", Str, Omit), one(2, "host", Str, Omit)],
};

static EVENT_SERIES: Message = Message {
    name: "EventSeries",
    fields: &[
        one(1, "count", Int32, Omit),
        one(2, "lastObservedTime", MicroTime, Omit),
    ],
};
