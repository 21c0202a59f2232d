//! What `kubelite up` prints while the cluster comes up: one line per part as its probe first
//! passes (API server, node, proxy, DNS), then how to connect.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

use crate::health;

/// What to watch.
pub struct Watch {
    pub client: kube::Client,
    pub started: Instant,
    pub url: String,
    pub node_name: String,
    /// The kube-dns Service address.
    pub dns: SocketAddr,
    pub domain: String,
    /// The kubeconfig to point the user at (`None`: it was merged into their own).
    pub kubeconfig: Option<PathBuf>,
}

/// How long a part may take before `up` says it is still waiting for it.
const PATIENCE: Duration = Duration::from_secs(20);

/// The parts `up` reports, in the order they come up.
#[derive(Clone, Copy)]
enum Part {
    ApiServer,
    Node,
    Proxy,
    Dns,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::ApiServer => "API server",
            Part::Node => "node",
            Part::Proxy => "proxy",
            Part::Dns => "DNS",
        }
    }

    /// The part's line once its probe passes.
    async fn probe(self, w: &Watch) -> Result<String, String> {
        match self {
            Part::ApiServer => health::api_ready(&w.client)
                .await
                .map(|()| format!("serving {}", w.url)),
            Part::Node => health::node_ready(&w.client, &w.node_name).await.map(|n| {
                format!(
                    "{} Ready, IP {}, Pods from {}",
                    w.node_name,
                    n.ip.as_deref().unwrap_or("?"),
                    n.pod_cidr.as_deref().unwrap_or("?")
                )
            }),
            Part::Proxy => health::proxy_synced(health::PROXY_METRICS)
                .await
                .map(|_| "Service rules programmed (nftables table ip kubelite)".into()),
            Part::Dns => {
                let name = format!("kubernetes.default.svc.{}", w.domain);
                health::dns_answers(w.dns, &name)
                    .await
                    .map(|_| format!("kube-dns answering on {}", w.dns.ip()))
            }
        }
    }
}

/// Polls the part's probe every few milliseconds until it passes; then prints its line with
/// the time since start.
async fn step(w: &Watch, part: Part) {
    let mut warned = false;
    loop {
        match part.probe(w).await {
            Ok(line) => {
                println!(
                    "  {:<11} {line:<58} {:>6.0} ms",
                    part.name(),
                    w.started.elapsed().as_secs_f64() * 1000.0
                );
                return;
            }
            Err(e) if !warned && w.started.elapsed() > PATIENCE => {
                println!("  {:<11} still waiting: {e}", part.name());
                warned = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

pub async fn report(w: Watch) {
    for part in [Part::ApiServer, Part::Node, Part::Proxy, Part::Dns] {
        step(&w, part).await;
    }
    println!(
        "kubelite is ready ({:.2} s). Ctrl-C or `kubelite down` stops it.",
        w.started.elapsed().as_secs_f64()
    );
    match &w.kubeconfig {
        Some(path) => println!("Connect with:\n  export KUBECONFIG={}", path.display()),
        None => {
            println!("Connect with: kubectl (context `kubelite` is current in your kubeconfig)")
        }
    }
}
