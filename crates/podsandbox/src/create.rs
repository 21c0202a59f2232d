//! Creating a pod sandbox: the state directory with the pod's `resolv.conf` and `hosts`, and
//! the pod init, forked by the agent's [`Zygote`] (never by the agent itself); the init enters
//! the pod's network namespace and new UTS, IPC, mount and PID namespaces and a session of its
//! own itself (see [`crate::init`]), and has no parent-death signal, so it outlives the agent.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::error::{Error, Result};
use crate::init::init_args;
use crate::layout::Layout;
use crate::record::InitRecord;
use crate::sandbox::{PodSandbox, destroy};
use crate::zygote::Zygote;

/// How long the init may take to report `ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// What a pod sandbox is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxSpec {
    /// Pod UID (names the state directory).
    pub uid: String,
    /// The pod's network namespace (e.g. `kubelite_netns::SandboxNet::netns_path`).
    pub netns_path: PathBuf,
    /// The pod's hostname (`spec.hostname`, else the Pod name).
    pub hostname: String,
    /// Contents of the pod's `/etc/resolv.conf`.
    pub resolv_conf: String,
    /// Contents of the pod's `/etc/hosts`.
    pub hosts: String,
    /// Directory of all pod sandboxes; this one lives in `<state_dir>/<uid>`. Keep the path
    /// short: `<state_dir>/<uid>/init.sock` must fit a unix socket address (107 bytes).
    pub state_dir: PathBuf,
}

/// Creates the sandbox and waits until its init is ready. [`Error::SandboxExists`] if a live init
/// already exists for the UID; leftovers of a dead one are removed first. On failure nothing is
/// left behind.
pub async fn create(spec: &SandboxSpec, zygote: &Zygote) -> Result<PodSandbox> {
    let layout = Layout::new(&spec.state_dir, &spec.uid)?;
    if InitRecord::load(&layout.record())?.is_some_and(|record| record.is_alive()) {
        return Err(Error::SandboxExists(spec.uid.clone()));
    }
    destroy(&spec.state_dir, &spec.uid).await?;
    let made = prepare(spec, &layout);
    let made = match made {
        Ok(()) => spawn_init(spec, &layout, zygote).await,
        Err(e) => Err(e),
    };
    let connected = match made {
        Ok(()) => PodSandbox::connect(&spec.state_dir, &spec.uid).await,
        Err(e) => Err(e),
    };
    if connected.is_err() {
        let _ = destroy(&spec.state_dir, &spec.uid).await;
    }
    connected
}

fn prepare(spec: &SandboxSpec, layout: &Layout) -> Result<()> {
    fs::create_dir_all(&spec.state_dir).map_err(|e| Error::io("create", &spec.state_dir, e))?;
    DirBuilder::new()
        .mode(0o700)
        .create(&layout.dir)
        .map_err(|e| Error::io("create", &layout.dir, e))?;
    for (path, contents) in [
        (layout.resolv_conf(), &spec.resolv_conf),
        (layout.hosts(), &spec.hosts),
    ] {
        fs::write(&path, contents).map_err(|e| Error::io("write", &path, e))?;
    }
    Ok(())
}

async fn spawn_init(spec: &SandboxSpec, layout: &Layout, zygote: &Zygote) -> Result<()> {
    let log_path = layout.log();
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| Error::io("open", &log_path, e))?;
    let (handshake_rx, handshake_tx) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|source| Error::Sys {
            op: "pipe for the pod init's handshake",
            source,
        })?;
    let netns = File::open(&spec.netns_path).map_err(|e| Error::io("open", &spec.netns_path, e))?;
    zygote
        .fork_init(
            &init_args(&layout.dir, &spec.hostname),
            handshake_tx,
            log.into(),
            netns.into(),
        )
        .await
        .map_err(|e| Error::io("start pod init in", &layout.dir, e))?;
    let handshake_rx = tokio::net::unix::pipe::Receiver::from_owned_fd(handshake_rx)
        .map_err(|e| Error::io("read the handshake of pod init in", &layout.dir, e))?;
    // PID 1 prints `ready` and moves its stdout off the pipe, or prints `error: …` and exits
    // (the zygote does too if it cannot fork); the pipe ends either way. On failure the caller
    // destroys the sandbox, killing a PID 1 that recorded itself.
    let handshake = async {
        let mut lines = BufReader::new(handshake_rx).lines();
        let mut ready = false;
        loop {
            match lines.next_line().await {
                Ok(Some(line)) if line == "ready" => ready = true,
                Ok(Some(line)) => {
                    if let Some(message) = line.strip_prefix("error: ") {
                        return Err(message.to_owned());
                    }
                }
                Ok(None) if ready => return Ok(()),
                Ok(None) => return Err(with_log("exited before it was ready".into(), &log_path)),
                Err(e) => return Err(e.to_string()),
            }
        }
    };
    let outcome = match tokio::time::timeout(READY_TIMEOUT, handshake).await {
        Ok(outcome) => outcome,
        Err(_) => Err(with_log(
            format!("not ready after {READY_TIMEOUT:?}"),
            &log_path,
        )),
    };
    outcome.map_err(|message| Error::InitFailed {
        uid: spec.uid.clone(),
        message,
    })
}

/// `message` plus the last lines of the init's log, which hold its panics and errors.
fn with_log(message: String, log: &std::path::Path) -> String {
    match fs::read_to_string(log) {
        Ok(text) if !text.trim().is_empty() => {
            let tail: Vec<&str> = text.lines().rev().take(5).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{message} ({})", tail.join("; "))
        }
        Ok(_) => message,
        Err(e) if e.kind() == io::ErrorKind::NotFound => message,
        Err(e) => format!("{message} (reading {}: {e})", log.display()),
    }
}
