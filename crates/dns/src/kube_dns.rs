//! The `kube-system/kube-dns` Service, the name Pods reach the cluster DNS by (kubelet's
//! `clusterDNS`), and its Endpoints pointing at where this server listens. The Service has no
//! selector, so the Endpoints are ours; the EndpointSlice mirroring controller turns them into
//! EndpointSlices, and DNS is then routed like any other Service. Labels and port names are
//! CoreDNS's manifest's (`coredns/deployment kubernetes/coredns.yaml.sed`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Endpoints, Service};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;

const NAMESPACE: &str = "kube-system";
const NAME: &str = "kube-dns";
const FIELD_MANAGER: &str = "kubelite-dns";

fn labels() -> serde_json::Value {
    json!({
        "k8s-app": "kube-dns",
        "kubernetes.io/cluster-service": "true",
        "kubernetes.io/name": "CoreDNS",
    })
}

/// The kube-dns Service at `cluster_dns_ip` (ports `dns` 53/UDP and `dns-tcp` 53/TCP) and its
/// Endpoints at `endpoint` (the server's address and port).
pub fn kube_dns_objects(cluster_dns_ip: IpAddr, endpoint: SocketAddr) -> (Service, Endpoints) {
    let family = if cluster_dns_ip.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    };
    let port = endpoint.port();
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels()},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_dns_ip.to_string(),
            "clusterIPs": [cluster_dns_ip.to_string()],
            "ipFamilies": [family],
            "ipFamilyPolicy": "SingleStack",
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": port},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": port},
            ],
        },
    });
    let endpoints = json!({
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels()},
        "subsets": [{
            "addresses": [{"ip": endpoint.ip().to_string()}],
            "ports": [
                {"name": "dns", "port": port, "protocol": "UDP"},
                {"name": "dns-tcp", "port": port, "protocol": "TCP"},
            ],
        }],
    });
    (
        serde_json::from_value(service).expect("a valid Service"),
        serde_json::from_value(endpoints).expect("valid Endpoints"),
    )
}

/// Creates or updates both objects by server-side apply, retrying with backoff until it
/// succeeds (the API may not be up yet; a conflicting ClusterIP is logged at each try).
pub async fn keep(client: Client, cluster_dns_ip: IpAddr, endpoint: SocketAddr) {
    let (service, endpoints) = kube_dns_objects(cluster_dns_ip, endpoint);
    let services: Api<Service> = Api::namespaced(client.clone(), NAMESPACE);
    let endpoints_api: Api<Endpoints> = Api::namespaced(client, NAMESPACE);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut delay = Duration::from_millis(200);
    loop {
        let result = async {
            services
                .patch(NAME, &params, &Patch::Apply(&service))
                .await?;
            endpoints_api
                .patch(NAME, &params, &Patch::Apply(&endpoints))
                .await?;
            Ok::<_, kube::Error>(())
        }
        .await;
        match result {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(
                    "cannot write the {NAMESPACE}/{NAME} Service and Endpoints, retrying: {e}"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects() {
        let (svc, ep) = kube_dns_objects(
            "10.43.0.10".parse().unwrap(),
            "192.168.1.5:53".parse().unwrap(),
        );
        let svc = serde_json::to_value(&svc).unwrap();
        assert_eq!(svc["metadata"]["labels"]["k8s-app"], "kube-dns");
        assert_eq!(svc["metadata"]["labels"]["kubernetes.io/name"], "CoreDNS");
        assert_eq!(svc["spec"]["clusterIP"], "10.43.0.10");
        assert!(svc["spec"].get("selector").is_none(), "selectorless");
        assert_eq!(
            svc["spec"]["ports"],
            json!([
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
            ])
        );
        let ep = serde_json::to_value(&ep).unwrap();
        assert_eq!(
            ep["subsets"],
            json!([{"addresses": [{"ip": "192.168.1.5"}],
                    "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                              {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}])
        );
    }
}
