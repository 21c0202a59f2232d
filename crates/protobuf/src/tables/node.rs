//! Schema of `core/v1` Node: spec (CIDRs, taints) and status (capacity, conditions,
//! addresses, daemon endpoints, node info, images). Field numbers from k8s.io/api
//! `core/v1/generated.proto`; checked against `k8s-pb` in the tests.

use super::meta::OBJECT_META;
use crate::schema::Emit::{Always, Omit, Ptr};
use crate::schema::Ty::{Bool, Int32, Int64, Msg, QuantityMap, Str, Time};
use crate::schema::{Message, many, one};

pub(crate) static NODE: Message = Message {
    name: "Node",
    fields: &[
        one(1, "metadata", Msg(&OBJECT_META), Omit),
        one(2, "spec", Msg(&NODE_SPEC), Omit),
        one(3, "status", Msg(&NODE_STATUS), Omit),
    ],
};

static NODE_SPEC: Message = Message {
    name: "NodeSpec",
    fields: &[
        one(1, "podCIDR", Str, Omit),
        many(7, "podCIDRs", Str, Omit),
        one(3, "providerID", Str, Omit),
        one(4, "unschedulable", Bool, Omit),
        many(5, "taints", Msg(&TAINT), Omit),
        one(2, "externalID", Str, Omit),
    ],
};

static TAINT: Message = Message {
    name: "Taint",
    fields: &[
        one(1, "key", Str, Always),
        one(2, "value", Str, Omit),
        one(3, "effect", Str, Always),
        one(4, "timeAdded", Time, Ptr),
    ],
};

static NODE_STATUS: Message = Message {
    name: "NodeStatus",
    fields: &[
        one(1, "capacity", QuantityMap, Omit),
        one(2, "allocatable", QuantityMap, Omit),
        one(3, "phase", Str, Omit),
        many(4, "conditions", Msg(&NODE_CONDITION), Omit),
        many(5, "addresses", Msg(&NODE_ADDRESS), Omit),
        one(6, "daemonEndpoints", Msg(&NODE_DAEMON_ENDPOINTS), Omit),
        one(7, "nodeInfo", Msg(&NODE_SYSTEM_INFO), Omit),
        many(8, "images", Msg(&CONTAINER_IMAGE), Omit),
        many(9, "volumesInUse", Str, Omit),
    ],
};

static NODE_CONDITION: Message = Message {
    name: "NodeCondition",
    fields: &[
        one(1, "type", Str, Always),
        one(2, "status", Str, Always),
        one(3, "lastHeartbeatTime", Time, Omit),
        one(4, "lastTransitionTime", Time, Omit),
        one(5, "reason", Str, Omit),
        one(6, "message", Str, Omit),
    ],
};

static NODE_ADDRESS: Message = Message {
    name: "NodeAddress",
    fields: &[one(1, "type", Str, Always), one(2, "address", Str, Always)],
};

static NODE_DAEMON_ENDPOINTS: Message = Message {
    name: "NodeDaemonEndpoints",
    fields: &[one(1, "kubeletEndpoint", Msg(&DAEMON_ENDPOINT), Omit)],
};

static DAEMON_ENDPOINT: Message = Message {
    name: "DaemonEndpoint",
    fields: &[one(1, "Port", Int32, Always)],
};

static NODE_SYSTEM_INFO: Message = Message {
    name: "NodeSystemInfo",
    fields: &[
        one(1, "machineID", Str, Always),
        one(2, "systemUUID", Str, Always),
        one(3, "bootID", Str, Always),
        one(4, "kernelVersion", Str, Always),
        one(5, "osImage", Str, Always),
        one(6, "containerRuntimeVersion", Str, Always),
        one(7, "kubeletVersion", Str, Always),
        one(8, "kubeProxyVersion", Str, Always),
        one(9, "operatingSystem", Str, Always),
        one(10, "architecture", Str, Always),
        one(11, "swap", Msg(&NODE_SWAP_STATUS), Ptr),
    ],
};

static NODE_SWAP_STATUS: Message = Message {
    name: "NodeSwapStatus",
    fields: &[one(1, "capacity", Int64, Ptr)],
};

static CONTAINER_IMAGE: Message = Message {
    name: "ContainerImage",
    fields: &[
        many(1, "names", Str, Omit),
        one(2, "sizeBytes", Int64, Omit),
    ],
};
