//! `kubelite agent`: runs the node agent alone against an API server, as on a worker node, and
//! the agent configuration `kubelite up` shares.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use ipnet::Ipv4Net;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// The port advertised as the agent's streaming endpoint.
pub const KUBELET_PORT: u16 = 10250;

#[derive(Args, Debug)]
pub struct AgentArgs {
    /// The API server URL.
    #[arg(long)]
    server: String,
    /// Bearer token for the API server.
    #[arg(long, env = "KUBELITE_TOKEN")]
    token: String,
    /// The Node name (default: the hostname).
    #[arg(long)]
    node_name: Option<String>,
    /// CA certificate (PEM) of the API server.
    #[arg(long, conflicts_with = "insecure_skip_tls_verify")]
    ca_file: Option<PathBuf>,
    /// Do not verify the API server's certificate.
    #[arg(long)]
    insecure_skip_tls_verify: bool,
    /// Where the agent keeps sandboxes, pod networks, IPAM state and logs.
    #[arg(long, default_value = "/var/lib/kubelite")]
    data_dir: PathBuf,
    /// The cluster's Service range (routed onto the node bridge; its 10th address is the DNS).
    #[arg(long, default_value = "10.43.0.0/16")]
    service_cidr: Ipv4Net,
    /// Serving certificate (PEM) of the streaming server (exec, attach, port-forward, logs) on
    /// port 10250; it must be signed by the cluster CA. Without it the agent serves no
    /// streaming endpoints. Requests must bear `--token`.
    #[arg(long, requires = "tls_private_key_file")]
    tls_cert_file: Option<PathBuf>,
    /// Private key (PEM) of `--tls-cert-file`.
    #[arg(long, requires = "tls_cert_file")]
    tls_private_key_file: Option<PathBuf>,
}

/// The agent configuration for a data dir.
pub fn config(
    data_dir: &Path,
    node_name: Option<String>,
    control_plane: bool,
    service_cidr: Ipv4Net,
    streaming: Option<kubelite_agent::StreamingConfig>,
) -> anyhow::Result<kubelite_agent::Config> {
    Ok(kubelite_agent::Config {
        node_name: node_name.unwrap_or_else(kubelite_agent::hostname),
        control_plane,
        state_dir: data_dir.join("agent"),
        program: std::env::current_exe().context("locating the kubelite binary")?,
        service_cidr,
        cluster_domain: "cluster.local".into(),
        kubelet_port: KUBELET_PORT,
        version: env!("CARGO_PKG_VERSION").into(),
        streaming,
    })
}

pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    crate::up::init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(agent(args))
}

async fn agent(args: AgentArgs) -> anyhow::Result<()> {
    let mut kc = kube::Config::new(args.server.parse().context("--server")?);
    kc.auth_info.token = Some(args.token.clone().into());
    kc.accept_invalid_certs = args.insecure_skip_tls_verify;
    kc.root_cert_file = args.ca_file.clone();
    if args.ca_file.is_none() && !args.insecure_skip_tls_verify {
        // Like kubelet with no CA bundle: trust the system roots only.
        kc.root_cert = None;
    }
    let client = kube::Client::try_from(kc)?;
    let streaming = match (&args.tls_cert_file, &args.tls_private_key_file) {
        (Some(cert), Some(key)) => Some(kubelite_agent::StreamingConfig {
            cert_pem: std::fs::read_to_string(cert)
                .with_context(|| format!("reading {}", cert.display()))?,
            key_pem: std::fs::read_to_string(key)
                .with_context(|| format!("reading {}", key.display()))?,
            token: args.token.clone(),
        }),
        _ => None,
    };
    let config = config(
        &args.data_dir,
        args.node_name,
        false,
        args.service_cidr,
        streaming,
    )?;
    let stop = CancellationToken::new();
    let agent = tokio::spawn(kubelite_agent::run(client, config, stop.clone()));
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    stop.cancel();
    agent.await??;
    Ok(())
}
