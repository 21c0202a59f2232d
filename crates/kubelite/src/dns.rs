//! The cluster DNS as `up` runs it: on the node's IP, port 53, once the agent has reported that
//! IP, behind the `kube-dns` Service (the service CIDR's tenth address).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use ipnet::Ipv4Net;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Where the DNS server's metrics are served (CoreDNS's port).
const METRICS: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9153);

/// The kube-dns ClusterIP: the tenth address of the service CIDR (10.43.0.10), which the API
/// server keeps out of its allocator.
pub fn cluster_dns_ip(service_cidr: Ipv4Net) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(service_cidr.network()) + 10)
}

/// Waits for the node IP, then serves DNS there until `stop`. The IP a Node reports may be
/// ahead of the node network (after a clean restart the stored Node still names it while the
/// agent re-creates the bridge), so a listen address not yet assigned is retried.
pub async fn run(
    client: kube::Client,
    mut node_ip: watch::Receiver<Option<Ipv4Addr>>,
    service_cidr: Ipv4Net,
    cluster_domain: String,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let ip = tokio::select! {
        ip = node_ip.wait_for(Option::is_some) => match ip {
            Ok(ip) => ip.expect("waited for Some"),
            Err(_) => return Ok(()),
        },
        _ = stop.cancelled() => return Ok(()),
    };
    loop {
        let mut config = kubelite_dns::Config::new(vec![SocketAddr::new(IpAddr::V4(ip), 53)]);
        config.cluster_domain = cluster_domain.clone();
        config.service_ip = Some(IpAddr::V4(cluster_dns_ip(service_cidr)));
        config.metrics_addr = Some(METRICS);
        let ready = config.readiness.clone();
        let announce = async {
            let addrs = ready.wait().await;
            tracing::info!("cluster DNS answering on {addrs:?}");
        };
        let server = kubelite_dns::run(client.clone(), config, stop.clone().cancelled_owned());
        let result = tokio::select! {
            result = server => result,
            () = async { announce.await; std::future::pending().await } => unreachable!(),
        };
        match result {
            Err(kubelite_dns::Error::Bind { source, .. })
                if source.kind() == std::io::ErrorKind::AddrNotAvailable =>
            {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                    _ = stop.cancelled() => return Ok(()),
                }
            }
            other => return Ok(other?),
        }
    }
}
