//! The `kubelite` binary: flags and wiring only. Everything it starts lives in library crates.

mod agent;
mod control;
mod dns;
mod health;
mod images;
mod instance;
mod kubeconfig;
mod node_ip;
mod open_files;
mod progress;
mod up;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kubelite",
    version,
    about = "A Kubernetes-compatible cluster in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the cluster (the control plane and this node's agent) and serve until SIGINT or
    /// SIGTERM.
    Up(up::UpArgs),
    /// Stop the cluster started by `up` on a data dir: its Pods stop and everything it created
    /// on the node (namespaces, veths, the bridge, nftables rules) is removed.
    Down(control::DownArgs),
    /// Report the health of each part of the running cluster (exit code 1 if any is unhealthy).
    Status(control::StatusArgs),
    /// Run the node agent alone against an API server.
    Agent(agent::AgentArgs),
    /// Print kubelite's version and the Kubernetes version it serves.
    Version,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    // Hidden subcommands run inside Pods; `pod-zygote` forks, so it must run before any thread.
    let mut args = std::env::args_os();
    let _program = args.next();
    if let Some(subcommand) = args.next().and_then(|a| a.into_string().ok()) {
        if subcommand == kubelite_agent::POD_ZYGOTE_SUBCOMMAND {
            kubelite_podsandbox::zygote_main(args.collect(), images::run);
        }
        if let Some(code) = images::dispatch(&subcommand, args.collect()) {
            return Ok(code);
        }
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("kubelite {} (Kubernetes v1.33)", env!("CARGO_PKG_VERSION"));
        }
        Command::Up(args) => {
            open_files::prepare();
            up::run(args)?
        }
        Command::Down(args) => return control::down(args),
        Command::Status(args) => return control::status(args),
        Command::Agent(args) => {
            open_files::prepare();
            agent::run(args)?
        }
    }
    Ok(ExitCode::SUCCESS)
}
