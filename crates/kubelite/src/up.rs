//! `kubelite up`: opens the store, starts the API server and what runs beside it, writes the
//! kubeconfig, and stops cleanly on SIGINT or SIGTERM.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use ipnet::Ipv4Net;
use kubelite_apiserver::{ApiServer, Config, pki::Pki};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Args, Debug)]
pub struct UpArgs {
    /// Where the cluster keeps its state, certificates and kubeconfig.
    #[arg(long, default_value = "/var/lib/kubelite")]
    data_dir: PathBuf,
    /// Address the API server listens on. On every address (the default, as kube-apiserver),
    /// it advertises the node's IP, so Pods reach it through the `kubernetes` Service; on one
    /// address, it advertises that one.
    #[arg(long, default_value = "0.0.0.0")]
    bind: IpAddr,
    /// Port the API server listens on.
    #[arg(long, default_value_t = 6443)]
    port: u16,
    /// Range Service ClusterIPs come from.
    #[arg(long, default_value = "10.43.0.0/16")]
    service_cidr: Ipv4Net,
    /// Range Pod IPs come from.
    #[arg(long, default_value = "10.42.0.0/16")]
    cluster_cidr: Ipv4Net,
    /// This node's name (default: the hostname).
    #[arg(long)]
    node_name: Option<String>,
    /// Range NodePorts come from.
    #[arg(long, default_value = "30000-32767", value_parser = parse_port_range)]
    service_node_port_range: (u16, u16),
    /// The cluster's DNS domain.
    #[arg(long, default_value = "cluster.local")]
    cluster_domain: String,
    /// Also write the admin kubeconfig to this path.
    #[arg(long, value_name = "PATH")]
    write_kubeconfig: Option<PathBuf>,
    /// Merge a `kubelite` cluster, user and context into ~/.kube/config (or the first file of
    /// $KUBECONFIG) and make it the current context.
    #[arg(long)]
    merge_kubeconfig: bool,
    /// A bundled component not to run (repeatable): `servicelb` leaves every LoadBalancer
    /// Service `<pending>`, as on kind.
    #[arg(long, value_enum)]
    disable: Vec<Component>,
}

/// Bundled components `--disable` can leave out.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Component {
    /// The LoadBalancer controller: node IPs as LoadBalancer ingress.
    Servicelb,
}

/// A client of the API server as the cluster admin, for the components `up` runs beside it:
/// they talk to the server over its API, as they would from another node.
pub async fn admin_client(kubeconfig: &std::path::Path) -> anyhow::Result<kube::Client> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
    Ok(kube::Client::try_from(config)?)
}

fn parse_port_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s.split_once('-').ok_or("expected FIRST-LAST")?;
    let a: u16 = a.trim().parse().map_err(|e| format!("{e}"))?;
    let b: u16 = b.trim().parse().map_err(|e| format!("{e}"))?;
    if a > b {
        return Err("the first port is above the last".into());
    }
    Ok((a, b))
}

/// Logs to stderr, filtered by `RUST_LOG` (default `warn`).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(up(args))
}

async fn up(args: UpArgs) -> anyhow::Result<()> {
    if args.cluster_cidr.contains(&args.service_cidr.network())
        || args.service_cidr.contains(&args.cluster_cidr.network())
    {
        bail!(
            "--service-cidr {} and --cluster-cidr {} overlap",
            args.service_cidr,
            args.cluster_cidr
        );
    }
    fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating the data dir {}", args.data_dir.display()))?;
    let instance = crate::instance::Instance::acquire(&args.data_dir)?;
    let started = Instant::now();
    println!(
        "kubelite {} (Kubernetes v1.33) starting, data in {}",
        env!("CARGO_PKG_VERSION"),
        args.data_dir.display()
    );

    let addr = SocketAddr::new(args.bind, args.port);
    let listener = TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr}: is another API server running there?")
    })?;

    let advertise = match args.bind {
        IpAddr::V4(ip) if !ip.is_unspecified() => ip,
        _ => Ipv4Addr::LOCALHOST,
    };
    let mut names = vec![
        "localhost".to_string(),
        "kubernetes".to_string(),
        "kubernetes.default".to_string(),
        "kubernetes.default.svc".to_string(),
        "kubernetes.default.svc.cluster.local".to_string(),
        "127.0.0.1".to_string(),
        Ipv4Addr::from(u32::from(args.service_cidr.network()) + 1).to_string(),
    ];
    if !names.contains(&advertise.to_string()) {
        names.push(advertise.to_string());
    }
    let pki = Pki::load_or_create(&args.data_dir, &names)?;
    let tls = pki.server_config()?;

    let store = kubelite_store::SqliteStore::open(args.data_dir.join("state.db"))
        .map_err(|e| anyhow::anyhow!("opening the store: {e}"))?;
    let config = Config {
        service_cidr: args.service_cidr,
        node_port_range: args.service_node_port_range,
        advertise_address: advertise,
        port: args.port,
        admin_token: pki.admin_token.clone(),
    };
    let server = ApiServer::new(Arc::new(store), config).await?;
    server.trust_agent_ca(&pki.ca_pem)?;

    let stop = CancellationToken::new();
    server.spawn_controllers(stop.clone());
    let serving = tokio::spawn(kubelite_apiserver::serve(
        server.clone(),
        listener,
        tls,
        stop.clone(),
    ));

    let url = format!(
        "https://{}:{}",
        if args.bind.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            args.bind
        },
        args.port
    );
    let kubeconfig_path = args.data_dir.join("kubeconfig.yaml");
    kubelite_apiserver::pki::write_private(
        &kubeconfig_path,
        &crate::kubeconfig::render(&url, &pki.ca_pem, &pki.admin_token),
    )?;
    if let Some(path) = &args.write_kubeconfig {
        crate::kubeconfig::write_copy(&kubeconfig_path, path)?;
    }
    if args.merge_kubeconfig {
        crate::kubeconfig::merge_into_home(&kubeconfig_path)?;
    }
    // The components below are API clients of the server in this process (`InProcess`).
    let client = kube::Client::new(
        kubelite_apiserver::InProcess::new(server.clone(), &pki.admin_token)?,
        "default",
    );
    // The agent stops first (it stops the Pods through the API), then the control plane.
    let agent_stop = CancellationToken::new();
    let node_name = args
        .node_name
        .clone()
        .unwrap_or_else(kubelite_agent::hostname);
    // The API server checks only that the agent's certificate chains to the cluster CA (the
    // node IP is not known yet), so the names are informative.
    let (cert_pem, key_pem) =
        pki.issue_serving_cert(&node_name, &[node_name.clone(), "localhost".into()])?;
    let proxy_config =
        kubelite_proxy::Config::new(&node_name, args.service_cidr, args.cluster_cidr);
    let agent_config = crate::agent::config(
        &args.data_dir,
        Some(node_name.clone()),
        true,
        args.service_cidr,
        Some(kubelite_agent::StreamingConfig {
            cert_pem,
            key_pem,
            token: pki.admin_token.clone(),
        }),
    )?;
    let node_ip = crate::node_ip::watch_node_ip(client.clone(), node_name.clone(), stop.clone());
    if args.bind.is_unspecified() {
        tokio::spawn(crate::node_ip::advertise(server.clone(), node_ip.clone()));
    }
    let dns = tokio::spawn(crate::dns::run(
        client.clone(),
        node_ip,
        args.service_cidr,
        args.cluster_domain.clone(),
        stop.clone(),
    ));
    let mut agent_config = agent_config;
    agent_config.cluster_domain = args.cluster_domain.clone();
    let agent = tokio::spawn({
        let (client, stop) = (client.clone(), agent_stop.clone());
        async move {
            let result = kubelite_agent::run(client, agent_config, stop).await;
            if let Err(e) = &result {
                tracing::error!("node agent stopped: {e}");
            }
            result
        }
    });
    let proxy = tokio::spawn(kubelite_proxy::run(
        client.clone(),
        proxy_config,
        stop.clone().cancelled_owned(),
    ));
    let progress = tokio::spawn(crate::progress::report(crate::progress::Watch {
        client: client.clone(),
        started,
        url: url.clone(),
        node_name: node_name.clone(),
        dns: SocketAddr::new(
            IpAddr::V4(crate::dns::cluster_dns_ip(args.service_cidr)),
            53,
        ),
        domain: args.cluster_domain.clone(),
        kubeconfig: if args.merge_kubeconfig {
            None
        } else {
            Some(
                args.write_kubeconfig
                    .clone()
                    .unwrap_or_else(|| kubeconfig_path.clone()),
            )
        },
    }));
    let controllers = tokio::spawn(kubelite_controllers::run(
        client,
        kubelite_controllers::Config {
            cluster_cidr: args.cluster_cidr,
            node_cidr_mask: 24,
            service_lb: !args.disable.contains(&Component::Servicelb),
        },
        stop.clone().cancelled_owned(),
    ));

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    progress.abort();
    println!(
        "stopping: Pods first, then the node network, the proxy's rules and the control plane"
    );
    agent_stop.cancel();
    if let Err(e) = agent.await {
        tracing::warn!("agent: {e}");
    }
    stop.cancel();
    match dns.await {
        Ok(Err(e)) => tracing::warn!("dns: {e:#}"),
        Err(e) => tracing::warn!("dns: {e}"),
        Ok(Ok(())) => {}
    }
    match proxy.await {
        Ok(Err(e)) => tracing::warn!("proxy: {e}"),
        Err(e) => tracing::warn!("proxy: {e}"),
        Ok(Ok(())) => {}
    }
    match controllers.await {
        Ok(Err(e)) => tracing::warn!("controllers: {e:#}"),
        Err(e) => tracing::warn!("controllers: {e}"),
        Ok(Ok(())) => {}
    }
    let _ = serving.await;
    drop(instance);
    println!("kubelite stopped");
    Ok(())
}
