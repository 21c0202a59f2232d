//! The built-in whoami HTTP server: answers with the host's name and
//! addresses and the request it received, like the `traefik/whoami` and
//! `sixeyed/whoami` images.
//!
//! Two flavours, because the images differ in ways users see:
//! - [`Flavor::Traefik`] is traefik/whoami v1.10 (also `containous/whoami`,
//!   its former name). `/` prints `Name:` (if set), `Hostname:`, one `IP:`
//!   line for *every* interface address including `127.0.0.1` and `::1`,
//!   `RemoteAddr:`, then the request as Go's `Request.Write` dumps it;
//!   `?env=true` appends the environment. The start-up line goes to stderr
//!   through Go's `log` (`2024/01/02 15:04:05 Starting up on port 80`).
//! - [`Flavor::Sixeyed`] is `sixeyed/whoami:21.04`, the courselabs fork of
//!   traefik/whoami (source: `courselabs/kubernetes` `labs/docker/whoami`).
//!   `/` omits loopback addresses, stops after the `IP:` lines when
//!   `WHOAMI_MODE=q` (or `--mode q`), and answers with the `/health` status
//!   and no body while that is not 200. `/api` has no `remoteAddr`, the port
//!   comes only from `--port`, and `Starting up on port 80` is printed on
//!   stdout without a timestamp.
//!
//! Not served: TLS (`--cert`/`--key`), the `/echo` WebSocket, range requests
//! for `/data?attachment=true`.

mod api;
mod body;
mod flags;
mod golang;
mod golog;
mod handlers;
mod health;
mod host;
mod request;
mod server;
#[cfg(test)]
mod tests;

use std::io;
use std::sync::Arc;

use crate::shutdown::Shutdown;

/// Which upstream whoami program to behave like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// traefik/whoami (and containous/whoami).
    Traefik,
    /// sixeyed/whoami, the courselabs fork of traefik/whoami.
    Sixeyed,
}

impl Flavor {
    /// A stable name, e.g. to pass the flavour on a hidden command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Traefik => "traefik",
            Flavor::Sixeyed => "sixeyed",
        }
    }

    /// The flavour named by [`Flavor::as_str`].
    pub fn from_name(name: &str) -> Option<Flavor> {
        match name {
            "traefik" => Some(Flavor::Traefik),
            "sixeyed" => Some(Flavor::Sixeyed),
            _ => None,
        }
    }
}

/// Runs whoami with the container's `args` (Go-style flags such as
/// `--port=2001`) and environment (`WHOAMI_NAME`, `WHOAMI_PORT_NUMBER`, ...;
/// pass the whole process environment, in order, for `?env=true`).
///
/// Listens on every address of the current network namespace until SIGTERM
/// or SIGINT, then returns `Ok(())`. Errors, worded like the Go program's
/// fatal messages, for bad flags (`InvalidInput`; Go exits with status 2),
/// TLS flags (`Unsupported`) and a port that cannot be bound.
pub async fn run_whoami(
    flavor: Flavor,
    args: &[String],
    env: &[(String, String)],
) -> io::Result<()> {
    let config = flags::Config::parse(flavor, args, env)?;
    let shutdown = Shutdown::install()?;
    let startup = format!("Starting up on port {}", config.port);
    match flavor {
        Flavor::Traefik => golog::log(&startup),
        Flavor::Sixeyed => golog::print(&startup),
    }
    let listener = server::bind_all(config.port_number()?).await?;
    let app = Arc::new(handlers::App::new(config, env, host::current));
    server::serve(listener, app, shutdown.requested()).await
}
