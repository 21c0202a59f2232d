//! What `run` is told, and how it tells the caller it answers.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::records::PodMode;

/// Where names outside the cluster are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upstream {
    /// The `nameserver`s of this resolv.conf (read once at start), less loopback stubs and the
    /// cluster DNS itself, which would loop.
    ResolvConf(PathBuf),
    /// These servers, as given (tests, or a node with a known resolver).
    Servers(Vec<SocketAddr>),
}

/// The DNS server's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen, UDP and TCP on each (e.g. the node IP, port 53). Port 0 picks a port,
    /// the same for both.
    pub listen: Vec<SocketAddr>,
    /// The cluster domain (`--cluster-domain`, `cluster.local`).
    pub cluster_domain: String,
    pub upstream: Upstream,
    /// Where `/metrics` is served (CoreDNS's is port 9153); `None` serves none.
    pub metrics_addr: Option<SocketAddr>,
    /// The ClusterIP of the `kube-system/kube-dns` Service. When set, `run` creates or updates
    /// that Service and its Endpoints, pointing at `endpoint`.
    pub service_ip: Option<IpAddr>,
    /// The address the kube-dns Endpoints name (e.g. the node IP, port 53, when listening on
    /// `0.0.0.0:53`); `None`: the first listen address that is not unspecified.
    pub endpoint: Option<SocketAddr>,
    /// TTL of cluster answers, seconds.
    pub ttl: u32,
    pub pods: PodMode,
    /// How long a forwarded question may take before it gets SERVFAIL.
    pub forward_timeout: Duration,
    /// Signalled once the server answers.
    pub readiness: Readiness,
}

impl Config {
    /// Listens on `listen` for `cluster.local`, forwarding to `/etc/resolv.conf`'s servers,
    /// with CoreDNS's defaults (TTL 5 s, `pods insecure`), a 2 s forwarding budget, and neither
    /// metrics nor the kube-dns objects.
    pub fn new(listen: Vec<SocketAddr>) -> Config {
        Config {
            listen,
            cluster_domain: "cluster.local".into(),
            upstream: Upstream::ResolvConf("/etc/resolv.conf".into()),
            metrics_addr: None,
            service_ip: None,
            endpoint: None,
            ttl: 5,
            pods: PodMode::Insecure,
            forward_timeout: Duration::from_secs(2),
            readiness: Readiness::default(),
        }
    }
}

/// Set once the sockets are bound and the caches have synced, so every cluster name is
/// answered from the API's state; it carries the addresses the server listens on.
#[derive(Clone)]
pub struct Readiness(Arc<watch::Sender<Option<Arc<[SocketAddr]>>>>);

impl Default for Readiness {
    fn default() -> Self {
        Readiness(Arc::new(watch::Sender::new(None)))
    }
}

impl fmt::Debug for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Readiness").field(&*self.0.borrow()).finish()
    }
}

impl Readiness {
    /// The listen addresses, once answering.
    pub fn get(&self) -> Option<Arc<[SocketAddr]>> {
        self.0.borrow().clone()
    }

    /// Waits until the server answers; returns the addresses it listens on.
    pub async fn wait(&self) -> Arc<[SocketAddr]> {
        let mut rx = self.0.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let addrs = rx
            .wait_for(Option::is_some)
            .await
            .map(|v| v.clone())
            .unwrap_or_default();
        addrs.unwrap_or_else(|| Arc::from(Vec::new()))
    }

    pub(crate) fn set(&self, addrs: Vec<SocketAddr>) {
        self.0.send_replace(Some(addrs.into()));
    }
}
