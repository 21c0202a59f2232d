//! The agent's [`PodRuntime`]: what its streaming server (`kubectl exec`, `attach`,
//! `port-forward`, `logs`) does to the pods the workers publish in the [`Registry`].
//!
//! - exec: `kubelite_podsandbox::exec_command` in the pod's sandbox, with the container's
//!   environment and working directory.
//! - attach: follows the container run's output and writes to its stdin through the pod init
//!   (see [`crate::attach`]).
//! - port-forward: a TCP connection to `127.0.0.1:<port>` made in the pod's network
//!   namespace on a short-lived thread of its own (never a tokio worker).
//! - logs: the CRI log files the log pump writes; `previous` is the newest run before the
//!   current one.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kubelite_podsandbox::{ExecSpec, PodSandbox};
use kubelite_streaming::{PodRuntime, Process, StreamError};
use nix::sched::CloneFlags;
use tokio::net::TcpStream;

use crate::logs::{pod_log_dir, run_of};
use crate::registry::{PodHandle, Registry};

/// How long a port-forward connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The agent's pods as the streaming server sees them.
pub(crate) struct AgentRuntime {
    pub(crate) registry: Arc<Registry>,
    /// `<state_dir>/pods`.
    pub(crate) logs_dir: PathBuf,
    /// `<state_dir>/run` (pod network namespaces).
    pub(crate) run_dir: PathBuf,
}

/// kubelet's answer for a pod it does not run.
fn no_pod() -> StreamError {
    StreamError::NotFound("pod does not exist".into())
}

impl AgentRuntime {
    fn pod(&self, namespace: &str, pod: &str) -> Result<PodHandle, StreamError> {
        self.registry.get(namespace, pod).ok_or_else(no_pod)
    }

    /// The pod and its running sandbox.
    fn sandbox(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Result<(PodHandle, Arc<PodSandbox>), StreamError> {
        let handle = self.pod(namespace, pod)?;
        match handle.sandbox.clone() {
            Some(sandbox) if sandbox.is_running() => Ok((handle, sandbox)),
            _ => Err(StreamError::NotFound(format!(
                "container not found ({container:?})"
            ))),
        }
    }
}

#[async_trait]
impl PodRuntime for AgentRuntime {
    async fn exec(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        command: Vec<String>,
        tty: bool,
    ) -> Result<Process, StreamError> {
        let (handle, sandbox) = self.sandbox(namespace, pod, container)?;
        let env = handle.exec_env.get(container).cloned().unwrap_or_default();
        let spec = ExecSpec {
            argv: command,
            env: env.env,
            cwd: env.cwd,
            tty,
        };
        match kubelite_podsandbox::exec_command(&sandbox, &spec) {
            Ok(exec) => Ok(Process::from_exec(exec)),
            Err(kubelite_podsandbox::Error::ExecFailed(reason)) => {
                Err(StreamError::exec_failed(reason))
            }
            Err(e) => Err(StreamError::Internal(e.to_string())),
        }
    }

    async fn attach(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        _tty: bool,
    ) -> Result<Process, StreamError> {
        let (handle, sandbox) = self.sandbox(namespace, pod, container)?;
        let log = handle
            .current_log
            .get(container)
            .filter(|log| self.registry.log_is_live(log))
            .cloned()
            .ok_or_else(|| {
                StreamError::BadRequest(format!(
                    "container {container} is not running in pod {pod}"
                ))
            })?;
        crate::attach::attach(crate::attach::Target {
            registry: self.registry.clone(),
            sandbox,
            pod: (namespace.to_owned(), pod.to_owned()),
            container: container.to_owned(),
            log,
        })
        .await
    }

    async fn port_forward(
        &self,
        namespace: &str,
        pod: &str,
        port: u16,
    ) -> Result<TcpStream, StreamError> {
        let handle = self.pod(namespace, pod)?;
        let netns = kubelite_netns::netns_path(&self.run_dir, &handle.uid);
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("kubelite-portfwd".into())
            .spawn(move || {
                let _ = tx.send(connect_in(&netns, port));
            })
            .map_err(|e| StreamError::Internal(e.to_string()))?;
        let connected = rx
            .await
            .map_err(|_| StreamError::Internal("port-forward thread exited".into()))?;
        let stream = connected.map_err(|(v4, v6)| {
            StreamError::Internal(format!(
                "failed to connect to localhost:{port} inside namespace \"{}\", IPv4: dial tcp4 127.0.0.1:{port}: connect: {} IPv6 dial tcp6 [::1]:{port}: connect: {} ",
                handle.uid,
                go_errno_text(&v4),
                go_errno_text(&v6)
            ))
        })?;
        stream
            .set_nonblocking(true)
            .and_then(|()| TcpStream::from_std(stream))
            .map_err(|e| StreamError::Internal(e.to_string()))
    }

    async fn log_path(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<PathBuf, StreamError> {
        let handle = self.pod(namespace, pod)?;
        let dir = pod_log_dir(&self.logs_dir, namespace, pod, &handle.uid).join(container);
        let mut runs: Vec<u32> = fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| run_of(&e.path()))
                    .collect()
            })
            .unwrap_or_default();
        runs.sort_unstable();
        let current = handle
            .current_log
            .get(container)
            .and_then(|log| run_of(log))
            .or(runs.last().copied());
        let Some(current) = current else {
            return Err(StreamError::BadRequest(format!(
                "container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating"
            )));
        };
        let run = if previous {
            runs.into_iter()
                .rev()
                .find(|run| *run < current)
                .ok_or_else(|| {
                    StreamError::BadRequest(format!(
                        "previous terminated container \"{container}\" in pod \"{pod}\" not found"
                    ))
                })?
        } else {
            current
        };
        let log = dir.join(format!("{run}.log"));
        // What the container wrote since the worker's last sync is read too.
        self.registry.catch_up(&log);
        Ok(log)
    }

    async fn log_active(&self, path: &Path) -> bool {
        // A follower asks this whenever it has read everything: the log catches up first.
        self.registry.catch_up(path);
        self.registry.log_is_live(path)
    }
}

/// Connects to `127.0.0.1:port`, else `[::1]:port` (as containerd does), in the network
/// namespace mounted at `netns`; on failure, the IPv4 and IPv6 errors. Runs on a thread of its
/// own, which it moves into that namespace; the socket stays there.
fn connect_in(netns: &Path, port: u16) -> Result<std::net::TcpStream, (io::Error, io::Error)> {
    let entered = fs::File::open(netns)
        .and_then(|ns| nix::sched::setns(&ns, CloneFlags::CLONE_NEWNET).map_err(io::Error::from));
    if let Err(e) = entered {
        return Err((io::Error::new(e.kind(), e.to_string()), e));
    }
    let connect = |ip: IpAddr| {
        std::net::TcpStream::connect_timeout(&SocketAddr::new(ip, port), CONNECT_TIMEOUT)
    };
    connect(Ipv4Addr::LOCALHOST.into())
        .or_else(|v4| connect(Ipv6Addr::LOCALHOST.into()).map_err(|v6| (v4, v6)))
}

/// The text Go's `syscall.Errno` prints for a connect failure.
fn go_errno_text(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::TimedOut => "i/o timeout".into(),
        _ => e.to_string(),
    }
}
