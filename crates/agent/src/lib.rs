//! kubelite's node agent, its kubelet: registers a Node and runs the Pods bound to it, talking
//! to the API server only through the Kubernetes API (kube-rs, watch-based), so the same code
//! runs in-process beside the control plane (`kubelite up`) or alone (`kubelite agent`).
//!
//! - [`run`]: registers the Node ([`node`]), keeps its status fresh (heartbeat every 10 s),
//!   waits for `spec.podCIDR`, sets up the node network (bridge `kl0`, gateway = first address
//!   of the pod CIDR, service CIDR routed onto it), garbage-collects sandboxes, veths, IPs and
//!   logs of pods that are gone, then watches `spec.nodeName=<node>` Pods and runs one
//!   [`worker`] per Pod.
//! - The node IP (InternalIP, the Pods' `hostIP`) is the first IPv4 address of a real
//!   interface; without one (an isolated namespace with only `lo`) it is the bridge gateway.
//! - Containers run under `kubelite-podsandbox` inits that survive the agent: a restarted agent
//!   re-adopts them with truthful status; a clean stop (shutdown) stops every Pod, removes
//!   its sandbox, then removes the node bridge.
//! - Container output goes to CRI-format log files under `<state_dir>/pods` ([`logs`],
//!   [`log_pump`]).
//! - Sandbox state and pod network namespace mounts (`<state_dir>/sb`, `<state_dir>/run`) live
//!   on tmpfs mounts of the agent's own ([`volatile`]), unmounted at a clean stop.
//! - With [`Config::streaming`], it serves kubelet's streaming endpoints (`kubectl exec`,
//!   `attach`, `port-forward`, `logs`) over HTTPS on `0.0.0.0:<kubelet_port>`
//!   (`kubelite-streaming`), finding pods through the registry the workers publish to.
//!
//! The pure parts (status, env, back-off, logs, node status) do no IO and take `now`.

mod attach;
mod backoff;
mod container;
mod ctx;
mod env;
mod error;
mod events;
mod host;
pub mod log_pump;
pub mod logs;
mod node;
mod pod_ips;
mod pod_status;
mod probe;
mod rate;
mod registry;
mod services;
mod serving;
mod streaming;
mod volatile;
mod worker;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use ipnet::Ipv4Net;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::api::ListParams;
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, Client};
use kubelite_netns::{Ipam, NodeDns, NodeNetConfig, NodeNetwork, parse_resolv_conf};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use container::{SLEEP_SUBCOMMAND, WHOAMI_SUBCOMMAND};
pub use error::{Error, Result};
pub use node::KUBELET_VERSION;

/// The hidden subcommand of the kubelite binary that runs `kubelite_podsandbox::zygote_main`.
pub const POD_ZYGOTE_SUBCOMMAND: &str = "pod-zygote";
/// The node bridge.
pub const BRIDGE: &str = "kl0";
/// How often the Node status is posted.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// How the agent runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The Node's name (default: the hostname).
    pub node_name: String,
    /// Label the Node `node-role.kubernetes.io/control-plane`.
    pub control_plane: bool,
    /// Where sandboxes, pod network namespaces, IPAM state and logs live.
    pub state_dir: PathBuf,
    /// The kubelite binary (pod init and built-in images run from it).
    pub program: PathBuf,
    /// The Service CIDR (routed onto the bridge; its 10th address is the cluster DNS).
    pub service_cidr: Ipv4Net,
    /// The cluster domain (`cluster.local`).
    pub cluster_domain: String,
    /// The port advertised as `daemonEndpoints.kubeletEndpoint` (the streaming server's).
    pub kubelet_port: u16,
    /// kubelite's version (`containerRuntimeVersion: kubelite://<version>`).
    pub version: String,
    /// Serve the streaming endpoints on `0.0.0.0:<kubelet_port>`; `None`: not served (exec,
    /// attach, port-forward and logs then fail at the API server).
    pub streaming: Option<StreamingConfig>,
}

/// The streaming server's TLS identity and the token callers (the API server) must present.
#[derive(Clone)]
pub struct StreamingConfig {
    /// Serving certificate chain (PEM), signed by a CA the API server trusts.
    pub cert_pem: String,
    /// Its private key (PEM).
    pub key_pem: String,
    /// The bearer token requests must carry (`Authorization: Bearer <token>`).
    pub token: String,
}

impl std::fmt::Debug for StreamingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingConfig")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Where container logs live: `<state_dir>/pods/<ns>_<pod>_<uid>/<container>/<run>.log`
/// (see [`logs::container_log_path`]).
pub fn logs_dir(config: &Config) -> PathBuf {
    ctx::logs_dir(config)
}

/// Where pod sandboxes keep their state; `kubelite_podsandbox::PodSandbox::connect(dir, uid)`
/// reaches a running pod (for exec and attach).
pub fn sandbox_dir(config: &Config) -> PathBuf {
    ctx::sandbox_dir(config)
}

/// The node's hostname, the default node name.
pub fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_lowercase())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// What the heartbeat posts.
struct NodeState {
    node_ip: Option<String>,
    network_ready: bool,
}

/// Runs the agent until `shutdown` fires; then stops every Pod and removes its sandbox.
pub async fn run(client: Client, config: Config, shutdown: CancellationToken) -> Result<()> {
    fs::create_dir_all(&config.state_dir)?;
    let registry = Arc::new(registry::Registry::default());
    let serving = match &config.streaming {
        Some(streaming) => Some(
            serving::start(
                streaming,
                config.kubelet_port,
                streaming::AgentRuntime {
                    registry: registry.clone(),
                    logs_dir: ctx::logs_dir(&config),
                    run_dir: ctx::run_dir(&config),
                },
                shutdown.clone(),
            )
            .await?,
        ),
        None => None,
    };
    let result = run_node(client, config, registry, shutdown).await;
    if let Some(serving) = serving {
        let _ = serving.await;
    }
    result
}

/// [`run`] after the streaming server is up.
async fn run_node(
    client: Client,
    config: Config,
    registry: Arc<registry::Registry>,
    shutdown: CancellationToken,
) -> Result<()> {
    let facts = host::host_facts(&config.state_dir);
    let nodes: Api<Node> = Api::all(client.clone());
    let name = config.node_name.clone();
    let labels = node::node_labels(&name, facts.architecture, config.control_plane);
    node::register(&nodes, &name, labels).await?;

    let state = Arc::new(Mutex::new(NodeState {
        node_ip: host::interface_ip(BRIDGE).map(|ip| ip.to_string()),
        network_ready: false,
    }));
    let (kick, kicked) = watch::channel(());
    let heartbeat = tokio::spawn(heartbeat(
        nodes.clone(),
        name.clone(),
        facts,
        config.clone(),
        state.clone(),
        kicked,
        shutdown.clone(),
    ));

    let pod_cidr = tokio::select! {
        cidr = node::wait_for_pod_cidr(&nodes, &name) => cidr?,
        _ = shutdown.cancelled() => {
            let _ = heartbeat.await;
            return Ok(());
        }
    };
    volatile::mount(&ctx::run_dir(&config))?;
    volatile::mount(&ctx::sandbox_dir(&config))?;
    let net = NodeNetwork::setup(NodeNetConfig {
        bridge: BRIDGE.into(),
        pod_cidr,
        mtu: 1500,
        run_dir: ctx::run_dir(&config),
        service_cidr: Some(config.service_cidr),
    })
    .await?;
    let node_ip = host::interface_ip(BRIDGE).unwrap_or(net.gateway());
    {
        let mut s = state.lock().expect("node state lock");
        s.node_ip = Some(node_ip.to_string());
        s.network_ready = true;
    }
    let _ = kick.send(());
    let ipam = Ipam::open(ctx::ipam_file(&config), pod_cidr)?;

    let host_resolv = fs::read_to_string("/etc/resolv.conf")
        .ok()
        .map(|text| parse_resolv_conf(&text));
    let (services, services_task) = services::Services::watch(client.clone());
    let ctx = Arc::new(ctx::Ctx {
        services,
        zygote: kubelite_podsandbox::Zygote::new(
            &config.program,
            vec![
                POD_ZYGOTE_SUBCOMMAND.into(),
                "--netns-dir".into(),
                kubelite_netns::netns_dir(&ctx::run_dir(&config)).into(),
            ],
        ),
        recorder: events::Recorder::new(client.clone(), name.clone()),
        dns: NodeDns {
            cluster_dns: vec![ctx::cluster_dns_ip(&config)],
            cluster_domain: config.cluster_domain.clone(),
            host: host_resolv,
        },
        client: client.clone(),
        config: config.clone(),
        net,
        ips: pod_ips::PodIps::new(ipam),
        node_ip,
        registry,
    });
    let selector = format!("spec.nodeName={name}");
    collect_garbage(&ctx, &selector).await?;
    let result = watch_pods(ctx.clone(), &selector, shutdown.clone()).await;
    let _ = heartbeat.await;
    services_task.abort();
    if shutdown.is_cancelled() {
        // A clean stop: every Pod is gone, so the node network goes too (bridge, its address
        // and the service route), and the sandboxes' tmpfs.
        ctx.net.teardown().await?;
        volatile::unmount(&ctx.sandbox_dir())?;
        volatile::unmount(&ctx::run_dir(&ctx.config))?;
    }
    result
}

async fn heartbeat(
    nodes: Api<Node>,
    name: String,
    facts: host::HostFacts,
    config: Config,
    state: Arc<Mutex<NodeState>>,
    mut kicked: watch::Receiver<()>,
    shutdown: CancellationToken,
) {
    let mut old = None;
    loop {
        let (node_ip, network_ready) = {
            let s = state.lock().expect("node state lock");
            (s.node_ip.clone(), s.network_ready)
        };
        let status = node::node_status(&node::NodeView {
            facts: &facts,
            name: &name,
            node_ip,
            network_ready,
            kubelet_port: i32::from(config.kubelet_port),
            version: &config.version,
            old: old.as_ref(),
            now: Timestamp::now(),
        });
        match node::post_status(&nodes, &name, &status).await {
            Ok(node) => old = node.status,
            Err(e) => tracing::warn!("node status: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(HEARTBEAT) => {}
            _ = kicked.changed() => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// Removes sandboxes, pod networks, IPs and log directories of pods no longer bound here.
async fn collect_garbage(ctx: &ctx::Ctx, selector: &str) -> Result<()> {
    let pods: Api<Pod> = Api::all(ctx.client.clone());
    let list = pods.list(&ListParams::default().fields(selector)).await?;
    let keep: HashSet<String> = list
        .items
        .iter()
        .filter_map(|p| p.metadata.uid.clone())
        .collect();
    for uid in kubelite_podsandbox::list(&ctx.sandbox_dir())? {
        if !keep.contains(&uid) {
            kubelite_podsandbox::destroy(&ctx.sandbox_dir(), &uid).await?;
        }
    }
    let report = ctx.net.gc(&keep).await?;
    if !report.sandboxes.is_empty() || !report.veths.is_empty() {
        tracing::info!("removed leftover pod networks: {report:?}");
    }
    ctx.ips.retain(|uid| keep.contains(uid))?;
    if let Ok(entries) = fs::read_dir(ctx.logs_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let uid = name.rsplit('_').next().unwrap_or_default();
            if !keep.contains(uid) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    Ok(())
}

struct PodEntry {
    tx: watch::Sender<Option<Pod>>,
    task: JoinHandle<()>,
}

async fn watch_pods(ctx: Arc<ctx::Ctx>, selector: &str, shutdown: CancellationToken) -> Result<()> {
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let stream = watcher(api, watcher::Config::default().fields(selector)).default_backoff();
    let mut stream = std::pin::pin!(stream);
    let workers_stop = shutdown.child_token();
    let mut pods: HashMap<String, PodEntry> = HashMap::new();
    let mut listed: Option<HashSet<String>> = None;
    loop {
        let event = tokio::select! {
            event = stream.next() => event,
            _ = shutdown.cancelled() => break,
        };
        let Some(event) = event else { break };
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!("pod watch: {e}");
                continue;
            }
        };
        match event {
            watcher::Event::Init => listed = Some(HashSet::new()),
            watcher::Event::InitApply(mut pod) | watcher::Event::Apply(mut pod) => {
                // The agent never reads them, and they are a large part of a Pod the worker
                // keeps and copies on every update.
                pod.metadata.managed_fields = None;
                let uid = pod.metadata.uid.clone().unwrap_or_default();
                if let Some(seen) = listed.as_mut() {
                    seen.insert(uid.clone());
                }
                match pods.get(&uid) {
                    // A finished worker (the pod was deleted) ignores late updates.
                    Some(entry) => {
                        let _ = entry.tx.send(Some(pod));
                    }
                    None => {
                        let (tx, rx) = watch::channel(Some(pod));
                        let task = tokio::spawn(worker::run(ctx.clone(), rx, workers_stop.clone()));
                        pods.insert(uid, PodEntry { tx, task });
                    }
                }
            }
            watcher::Event::Delete(pod) => {
                let uid = pod.metadata.uid.clone().unwrap_or_default();
                if let Some(entry) = pods.remove(&uid) {
                    let _ = entry.tx.send(None);
                }
            }
            watcher::Event::InitDone => {
                if let Some(seen) = listed.take() {
                    pods.retain(|uid, entry| {
                        let keep = seen.contains(uid);
                        if !keep {
                            let _ = entry.tx.send(None);
                        }
                        keep
                    });
                }
            }
        }
        pods.retain(|_, entry| !entry.task.is_finished() || !entry.tx.is_closed());
    }
    workers_stop.cancel();
    for (_, entry) in pods {
        let _ = entry.task.await;
    }
    Ok(())
}
