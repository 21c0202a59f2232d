//! The `kubelite` binary: flags and wiring only. Everything it starts lives in library crates.

mod kubeconfig;
mod up;

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
    /// Start the cluster (today: the control plane) and serve until SIGINT or SIGTERM.
    Up(up::UpArgs),
    /// Print kubelite's version and the Kubernetes version it serves.
    Version,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("kubelite {} (Kubernetes v1.33)", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Up(args) => up::run(args),
    }
}
