//! Schema of `core/v1` Service (spec, ports, session affinity, load-balancer status).
//! Field numbers from k8s.io/api `core/v1/generated.proto`; checked against `k8s-pb` in the
//! tests.

use super::meta::{CONDITION, OBJECT_META};
use crate::schema::Emit::{Always, Omit, Ptr};
use crate::schema::Ty::{Bool, Int32, IntOrString, Msg, Str, StrMap};
use crate::schema::{Message, many, one};

pub(crate) static SERVICE: Message = Message {
    name: "Service",
    fields: &[
        one(1, "metadata", Msg(&OBJECT_META), Omit),
        one(2, "spec", Msg(&SERVICE_SPEC), Omit),
        one(3, "status", Msg(&SERVICE_STATUS), Omit),
    ],
};

static SERVICE_SPEC: Message = Message {
    name: "ServiceSpec",
    fields: &[
        many(1, "ports", Msg(&SERVICE_PORT), Omit),
        one(2, "selector", StrMap, Omit),
        one(3, "clusterIP", Str, Omit),
        many(18, "clusterIPs", Str, Omit),
        one(4, "type", Str, Omit),
        many(5, "externalIPs", Str, Omit),
        one(7, "sessionAffinity", Str, Omit),
        one(8, "loadBalancerIP", Str, Omit),
        many(9, "loadBalancerSourceRanges", Str, Omit),
        one(10, "externalName", Str, Omit),
        one(11, "externalTrafficPolicy", Str, Omit),
        one(12, "healthCheckNodePort", Int32, Omit),
        one(13, "publishNotReadyAddresses", Bool, Omit),
        one(
            14,
            "sessionAffinityConfig",
            Msg(&SESSION_AFFINITY_CONFIG),
            Ptr,
        ),
        many(19, "ipFamilies", Str, Omit),
        one(17, "ipFamilyPolicy", Str, Ptr),
        one(20, "allocateLoadBalancerNodePorts", Bool, Ptr),
        one(21, "loadBalancerClass", Str, Ptr),
        one(22, "internalTrafficPolicy", Str, Ptr),
        one(23, "trafficDistribution", Str, Ptr),
    ],
};

static SERVICE_PORT: Message = Message {
    name: "ServicePort",
    fields: &[
        one(1, "name", Str, Omit),
        one(2, "protocol", Str, Omit),
        one(6, "appProtocol", Str, Ptr),
        one(3, "port", Int32, Always),
        one(4, "targetPort", IntOrString, Omit),
        one(5, "nodePort", Int32, Omit),
    ],
};

static SESSION_AFFINITY_CONFIG: Message = Message {
    name: "SessionAffinityConfig",
    fields: &[one(1, "clientIP", Msg(&CLIENT_IP_CONFIG), Ptr)],
};

static CLIENT_IP_CONFIG: Message = Message {
    name: "ClientIPConfig",
    fields: &[one(1, "timeoutSeconds", Int32, Ptr)],
};

static SERVICE_STATUS: Message = Message {
    name: "ServiceStatus",
    fields: &[
        one(1, "loadBalancer", Msg(&LOAD_BALANCER_STATUS), Omit),
        many(2, "conditions", Msg(&CONDITION), Omit),
    ],
};

static LOAD_BALANCER_STATUS: Message = Message {
    name: "LoadBalancerStatus",
    fields: &[many(1, "ingress", Msg(&LOAD_BALANCER_INGRESS), Omit)],
};

static LOAD_BALANCER_INGRESS: Message = Message {
    name: "LoadBalancerIngress",
    fields: &[
        one(1, "ip", Str, Omit),
        one(2, "hostname", Str, Omit),
        one(3, "ipMode", Str, Ptr),
        many(4, "ports", Msg(&PORT_STATUS), Omit),
    ],
};

static PORT_STATUS: Message = Message {
    name: "PortStatus",
    fields: &[
        one(1, "port", Int32, Always),
        one(2, "protocol", Str, Always),
        one(3, "error", Str, Ptr),
    ],
};
