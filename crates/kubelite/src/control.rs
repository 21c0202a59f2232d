//! `kubelite down` and `kubelite status`: find the `up` running on a data dir (by its lock,
//! see `instance`), stop it, or report the health of each of its parts.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use ipnet::Ipv4Net;

use crate::health;
use crate::instance;

#[derive(Args, Debug)]
pub struct DownArgs {
    /// The data dir of the cluster to stop.
    #[arg(long, default_value = "/var/lib/kubelite")]
    data_dir: PathBuf,
    /// How long to wait for a clean stop.
    #[arg(long, default_value = "120")]
    timeout_seconds: u64,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The data dir of the cluster to report on.
    #[arg(long, default_value = "/var/lib/kubelite")]
    data_dir: PathBuf,
    /// This node's name (default: the hostname).
    #[arg(long)]
    node_name: Option<String>,
    /// The service CIDR the cluster was started with (the kube-dns address is its tenth).
    #[arg(long, default_value = "10.43.0.0/16")]
    service_cidr: Ipv4Net,
    /// The cluster's DNS domain.
    #[arg(long, default_value = "cluster.local")]
    cluster_domain: String,
}

/// Sends SIGTERM to the running `up` and waits until it has released the data dir, which it
/// does after stopping every Pod and removing what it created.
pub fn down(args: DownArgs) -> anyhow::Result<ExitCode> {
    let Some(pid) = instance::running(&args.data_dir) else {
        println!(
            "kubelite is not running on {} (nothing to stop)",
            args.data_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let target = rustix::process::Pid::from_raw(pid as i32)
        .with_context(|| format!("bad pid {pid} in the lock file"))?;
    rustix::process::kill_process(target, rustix::process::Signal::TERM)
        .with_context(|| format!("signalling kubelite (pid {pid})"))?;
    println!("stopping kubelite (pid {pid})…");
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    while instance::running(&args.data_dir).is_some() {
        if Instant::now() > deadline {
            anyhow::bail!(
                "kubelite (pid {pid}) did not stop within {} s",
                args.timeout_seconds
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("kubelite stopped");
    Ok(ExitCode::SUCCESS)
}

/// One line of the report.
struct Line {
    component: &'static str,
    healthy: bool,
    detail: String,
}

fn line<T>(component: &'static str, r: Result<T, String>, ok: impl FnOnce(T) -> String) -> Line {
    match r {
        Ok(v) => Line {
            component,
            healthy: true,
            detail: ok(v),
        },
        Err(e) => Line {
            component,
            healthy: false,
            detail: e,
        },
    }
}

pub fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let Some(pid) = instance::running(&args.data_dir) else {
        println!("kubelite is not running on {}", args.data_dir.display());
        return Ok(ExitCode::from(1));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lines = runtime.block_on(async {
        let kubeconfig = args.data_dir.join("kubeconfig.yaml");
        let client = crate::up::admin_client(&kubeconfig).await?;
        let node_name = args
            .node_name
            .clone()
            .unwrap_or_else(kubelite_agent::hostname);
        let dns = SocketAddr::new(
            IpAddr::V4(crate::dns::cluster_dns_ip(args.service_cidr)),
            53,
        );
        let name = format!("kubernetes.default.svc.{}", args.cluster_domain);
        Ok::<_, anyhow::Error>(vec![
            line("apiserver", health::api_ready(&client).await, |()| {
                format!("ready at {} (pid {pid})", client_url(&kubeconfig))
            }),
            line("node", health::node_ready(&client, &node_name).await, |n| {
                format!(
                    "{node_name} Ready, IP {}, Pods from {}",
                    n.ip.unwrap_or_default(),
                    n.pod_cidr.unwrap_or_default()
                )
            }),
            line(
                "proxy",
                health::proxy_synced(health::PROXY_METRICS).await,
                |n| format!("rules programmed ({n} full syncs)"),
            ),
            line("dns", health::dns_answers(dns, &name).await, |ip| {
                format!("{} answers {name} = {ip}", dns.ip())
            }),
        ])
    })?;
    println!("{:<10} {:<9} DETAIL", "COMPONENT", "STATUS");
    for l in &lines {
        let status = if l.healthy { "healthy" } else { "unhealthy" };
        println!("{:<10} {:<9} {}", l.component, status, l.detail);
    }
    Ok(if lines.iter().all(|l| l.healthy) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The server URL of a kubeconfig, for the report.
fn client_url(kubeconfig: &std::path::Path) -> String {
    kube::config::Kubeconfig::read_from(kubeconfig)
        .ok()
        .and_then(|k| k.clusters.into_iter().next())
        .and_then(|c| c.cluster)
        .and_then(|c| c.server)
        .unwrap_or_else(|| format!("https://{}:6443", Ipv4Addr::LOCALHOST))
}
