//! Slim objects on ingest: the caches keep only what the controllers read, so ten thousand Pods
//! cost little memory (the CoreDNS kubernetes plugin's `object/` does the same).

use k8s_openapi::api::core::v1::{Pod, Service};
use kube::ResourceExt;

use crate::service_lb_plan::SERVICE_LB_CONTROLLER;

/// The annotation kubectl's client-side apply writes: often the largest part of an object, and
/// never read by a controller.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What every cached object drops: field ownership and kubectl's last-applied copy.
pub fn object<K: ResourceExt>(obj: &mut K) {
    obj.meta_mut().managed_fields = None;
    obj.annotations_mut().remove(LAST_APPLIED);
}

/// A cached Service is slimmed as every object, except that it keeps the LoadBalancer
/// controller's own field-ownership entry: that is how it knows which ingress it published.
pub fn service(svc: &mut Service) {
    let mut fields = svc.metadata.managed_fields.take().unwrap_or_default();
    object(svc);
    fields.retain(|m| m.manager.as_deref() == Some(SERVICE_LB_CONTROLLER));
    svc.metadata.managed_fields = (!fields.is_empty()).then_some(fields);
}

/// A cached Pod keeps its metadata, what scheduling reads from its spec, each container's
/// name and ports (named target ports), and its IPs, phase and conditions.
pub fn pod(pod: &mut Pod) {
    object(pod);
    if let Some(spec) = pod.spec.as_mut() {
        for c in spec.containers.iter_mut() {
            let keep = k8s_openapi::api::core::v1::Container {
                name: std::mem::take(&mut c.name),
                ports: c.ports.take(),
                ..Default::default()
            };
            *c = keep;
        }
        spec.init_containers = None;
        spec.ephemeral_containers = None;
        spec.volumes = None;
    }
    if let Some(status) = pod.status.as_mut() {
        status.container_statuses = None;
        status.init_container_statuses = None;
        status.ephemeral_container_statuses = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_keep_only_the_load_balancer_controllers_fields() {
        let ours = serde_json::json!({"manager": SERVICE_LB_CONTROLLER, "subresource": "status"});
        let mut s: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "a", "annotations": {LAST_APPLIED: "{...}"},
                         "managedFields": [{"manager": "kubectl"}, ours]},
        }))
        .unwrap();
        service(&mut s);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v["metadata"],
            serde_json::json!({"name": "a", "annotations": {}, "managedFields": [ours]})
        );
        let mut s: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "a", "managedFields": [{"manager": "kubectl"}]},
        }))
        .unwrap();
        service(&mut s);
        assert_eq!(s.metadata.managed_fields, None);
    }

    #[test]
    fn pods_keep_what_controllers_read() {
        let mut p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "a", "labels": {"app": "x"},
                         "annotations": {LAST_APPLIED: "{...}", "keep": "me"},
                         "managedFields": [{"manager": "kubectl"}]},
            "spec": {"nodeName": "n", "nodeSelector": {"d": "e"},
                     "containers": [{"name": "c", "image": "i", "env": [{"name": "E", "value": "v"}],
                                     "ports": [{"name": "http", "containerPort": 80}]}]},
            "status": {"podIP": "10.42.0.5", "phase": "Running",
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": true, "restartCount": 0}]}
        }))
        .unwrap();
        pod(&mut p);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v["metadata"]["annotations"],
            serde_json::json!({"keep": "me"})
        );
        assert!(v["metadata"].get("managedFields").is_none());
        assert_eq!(
            v["spec"]["containers"],
            serde_json::json!([{"name": "c", "ports": [{"name": "http", "containerPort": 80}]}])
        );
        assert_eq!(v["spec"]["nodeSelector"]["d"], "e");
        assert_eq!(v["status"]["podIP"], "10.42.0.5");
        assert_eq!(v["status"]["conditions"][0]["type"], "Ready");
        assert!(v["status"].get("containerStatuses").is_none());
    }
}
