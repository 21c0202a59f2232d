//! The label, annotation, taint and component names the controllers read and write, spelled
//! exactly as Kubernetes spells them.

/// The label naming the Service an EndpointSlice belongs to.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
/// The label naming the controller that manages an EndpointSlice.
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// An Endpoints object labelled with this set to `"true"` is not mirrored.
pub const LABEL_SKIP_MIRROR: &str = "endpointslice.kubernetes.io/skip-mirror";
/// Present (empty) on the Endpoints and EndpointSlices of a headless Service.
pub const LABEL_HEADLESS: &str = "service.kubernetes.io/headless";

/// When the change that led to this Endpoints or EndpointSlice content happened.
pub const ANNOTATION_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
/// Set to `"truncated"` on Endpoints that hold only the first 1000 addresses.
pub const ANNOTATION_OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";
/// kubectl's client-side apply record; never mirrored.
pub const ANNOTATION_LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Leader-election records are Endpoints that belong to no Service and are never touched.
pub const ANNOTATION_LEADER: &str = "control-plane.alpha.kubernetes.io/leader";

/// The `managed-by` value of slices built from a Service's selector.
pub const ENDPOINTSLICE_CONTROLLER: &str = "endpointslice-controller.k8s.io";
/// The `managed-by` value of slices mirrored from user-managed Endpoints.
pub const MIRRORING_CONTROLLER: &str = "endpointslicemirroring-controller.k8s.io";

/// The field manager every write is recorded under, as kube-controller-manager's.
pub const FIELD_MANAGER: &str = "kube-controller-manager";

/// The most endpoints one EndpointSlice built from a selector holds.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
/// The most addresses mirrored per Endpoints subset.
pub const MAX_ENDPOINTS_PER_SUBSET: usize = 1000;
/// The most addresses one Endpoints object holds before it is truncated.
pub const MAX_ENDPOINTS_CAPACITY: usize = 1000;

/// The scheduler name this scheduler serves, and the component its events come from.
pub const DEFAULT_SCHEDULER: &str = "default-scheduler";
/// The field manager of the scheduler's writes, as kube-scheduler's.
pub const SCHEDULER_FIELD_MANAGER: &str = "kube-scheduler";
/// The component the node IPAM controller's events come from, as upstream's range allocator.
pub const CIDR_ALLOCATOR: &str = "cidrAllocator";

/// The taint of a node whose `Ready` condition is `False`.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The taint of a node whose `Ready` condition is `Unknown`.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// The taint a cordoned (`spec.unschedulable`) node is treated as having.
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
