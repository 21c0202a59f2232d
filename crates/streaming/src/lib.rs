//! The node agent's streaming server — kubelet's streaming endpoints — over HTTPS with
//! bearer-token authentication: `kubectl exec`, `attach`, `port-forward` and `logs`, proxied
//! to it by the API server.
//!
//! * exec/attach (`/exec/{ns}/{pod}/{container}?command=…`, `/attach/…`): WebSocket
//!   `v5.channel.k8s.io`/`v4.channel.k8s.io` (`websocket`) or SPDY/3.1 `v4.channel.k8s.io`
//!   (`spdy_command`); either way `session` drives the [`Process`] the [`PodRuntime`]
//!   started and the exit status goes back as a `metav1.Status` (`status`).
//! * port-forward (`/portForward/{ns}/{pod}`): SPDY/3.1 `portforward.k8s.io`, raw or tunnelled
//!   in WebSocket (`SPDY/3.1+portforward.k8s.io`) (`portforward`).
//! * logs (`/containerLogs/{ns}/{pod}/{container}?follow=…`): the CRI log file rendered as
//!   `text/plain`, chunked while following (`logs`, `cri`).
//!
//! The agent's log pump writes these files with [`format_time`] and rotates them to
//! [`rotated_path`], so the format has one implementation.
//!
//! The agent implements [`PodRuntime`] and runs [`StreamingServer::serve`]; see [`route`] for
//! the URL grammar the API server uses.

mod cri;
mod error;
mod logs;
mod portforward;
pub mod route;
mod runtime;
mod server;
mod session;
mod spdy_command;
mod status;
mod upgrade;
mod websocket;

pub use cri::format_time;
pub use error::StreamError;
pub use logs::rotated_path;
pub use runtime::{PodRuntime, Process, ProcessControl, ProcessInput, ProcessOutput};
pub use server::{Body, StreamingServer};
