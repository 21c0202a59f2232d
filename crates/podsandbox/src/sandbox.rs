//! [`PodSandbox`]: the agent's handle on a running pod init — re-adoption after an agent
//! restart ([`PodSandbox::connect`]), container requests, exit notifications, stop and destroy.
//! The handle owns nothing the pod needs: dropping it (or killing the agent) leaves the pod
//! running.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::sync::Mutex;

use crate::attach::Attachment;
use crate::control::Control;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::protocol::{ContainerSpec, Reply, Request};
use crate::record::InitRecord;
use crate::status::{ContainerExit, ContainerStatus, Started};

/// How long the init may take to exit after it acknowledged a stop or got SIGKILL.
const EXIT_WAIT: Duration = Duration::from_secs(10);

/// A running pod sandbox.
pub struct PodSandbox {
    uid: String,
    layout: Layout,
    record: InitRecord,
    control: Mutex<Control>,
}

impl PodSandbox {
    /// Re-adopts pod `uid`'s init: checks that the PID recorded in `init.json` still is that
    /// init (same start time) and connects to its control socket. [`Error::InitGone`] if not.
    pub async fn connect(state_dir: &Path, uid: &str) -> Result<PodSandbox> {
        let layout = Layout::new(state_dir, uid)?;
        let record = InitRecord::load(&layout.record())?
            .filter(InitRecord::is_alive)
            .ok_or_else(|| Error::InitGone(uid.to_owned()))?;
        let control = Control::connect(&layout, uid).await?;
        Ok(PodSandbox {
            uid: uid.to_owned(),
            layout,
            record,
            control: Mutex::new(control),
        })
    }

    /// Pod UID.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// PID of the pod's init in the agent's PID namespace (`/proc/<pid>/ns/*` are the pod's
    /// namespaces).
    pub fn init_pid(&self) -> i32 {
        self.record.pid
    }

    /// The pod's state directory (`<state_dir>/<uid>`).
    pub fn dir(&self) -> &Path {
        &self.layout.dir
    }

    /// Whether the init still runs.
    pub fn is_running(&self) -> bool {
        self.record.is_alive()
    }

    /// Starts a container; returns its PID inside the pod and when it started (the time its
    /// status will show). [`Error::StartFailed`] if its program cannot be started,
    /// [`Error::Rejected`] if it already runs or the pod is stopping.
    pub async fn start_container(&self, spec: ContainerSpec) -> Result<Started> {
        match self.call(&Request::Start(spec)).await? {
            Reply::Started { pid, started_at } => Ok(Started {
                pid,
                // An init older than the field: its status will show a time close to this.
                started_at: started_at.unwrap_or_else(SystemTime::now),
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// Sends `signal` to container `name`'s main process (SIGKILL: to its process group).
    pub async fn signal_container(&self, name: &str, signal: Signal) -> Result<()> {
        let request = Request::Signal {
            name: name.to_owned(),
            signal: signal as i32,
        };
        match self.call(&request).await? {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// Attaches to running container `name` (`kubectl attach`) over a connection of its own.
    /// With `stdin`, the session may write to the container's stdin if it has one
    /// ([`Attachment::take_stdin`]). [`Error::Rejected`] if the container does not run.
    pub async fn attach(&self, name: &str, stdin: bool) -> Result<Attachment> {
        let mut control = Control::connect(&self.layout, &self.uid).await?;
        let request = Request::Attach {
            name: name.to_owned(),
            stdin,
        };
        match control.call(&request).await? {
            Reply::Attached { tty, stdin } => {
                Ok(Attachment::new(control.into_stream(), tty, stdin))
            }
            other => Err(unexpected(&other)),
        }
    }

    /// Sets the window size of container `name`'s terminal (a no-op without a terminal).
    pub async fn resize_container(&self, name: &str, cols: u16, rows: u16) -> Result<()> {
        let request = Request::Resize {
            name: name.to_owned(),
            cols,
            rows,
        };
        match self.call(&request).await? {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// The spec container `name` was last started with (its env and working directory, for
    /// exec after a re-adoption), if it was ever started.
    pub async fn container_spec(&self, name: &str) -> Result<Option<ContainerSpec>> {
        let request = Request::Spec {
            name: name.to_owned(),
        };
        match self.call(&request).await? {
            Reply::Spec { spec } => Ok(spec),
            other => Err(unexpected(&other)),
        }
    }

    /// Every container the init has started, with its current state, last termination and
    /// restart count, ordered by name.
    pub async fn container_status(&self) -> Result<Vec<ContainerStatus>> {
        match self.call(&Request::Status).await? {
            Reply::Status { containers } => Ok(containers),
            other => Err(unexpected(&other)),
        }
    }

    /// A stream of every container exit after this returns. Subscribe first, then read
    /// [`PodSandbox::container_status`], so that no exit falls in between.
    pub async fn wait_exit(&self) -> Result<ExitEvents> {
        let mut control = Control::connect(&self.layout, &self.uid).await?;
        match control.call(&Request::Subscribe).await? {
            Reply::Done => Ok(ExitEvents { control }),
            other => Err(unexpected(&other)),
        }
    }

    /// Stops the pod: SIGTERM to every container, SIGKILL to what still runs after `grace`,
    /// then the init exits, which ends the pod's namespaces and every process left in them.
    /// Returns the containers' final statuses. The state directory stays until
    /// [`PodSandbox::destroy`].
    pub async fn stop(&self, grace: Duration) -> Result<Vec<ContainerStatus>> {
        let request = Request::Stop {
            grace_ms: u64::try_from(grace.as_millis()).unwrap_or(u64::MAX),
        };
        let reply = tokio::time::timeout(grace + 2 * EXIT_WAIT, self.call(&request)).await;
        let statuses = match reply {
            Ok(Ok(Reply::Status { containers })) => containers,
            Ok(Ok(other)) => return Err(unexpected(&other)),
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(Error::Protocol(format!(
                    "pod {} did not stop within {:?}",
                    self.uid,
                    grace + 2 * EXIT_WAIT
                )));
            }
        };
        if !wait_gone(self.record, EXIT_WAIT).await {
            kill_init(&self.uid, self.record).await?;
        }
        Ok(statuses)
    }

    /// Ends the init (SIGKILL, which takes every process of the pod with it) if it still runs
    /// and removes the state directory.
    pub async fn destroy(self) -> Result<()> {
        destroy(
            self.layout.dir.parent().unwrap_or(Path::new("/")),
            &self.uid,
        )
        .await
    }

    async fn call(&self, request: &Request) -> Result<Reply> {
        self.control.lock().await.call(request).await
    }
}

/// Container exits as the init reaps them.
pub struct ExitEvents {
    control: Control,
}

impl ExitEvents {
    /// The next exit; `None` once the init is gone.
    pub async fn next(&mut self) -> Result<Option<ContainerExit>> {
        match self.control.receive().await {
            Ok(Some(Reply::Exit(exit))) => Ok(Some(exit)),
            Ok(Some(other)) => Err(unexpected(&other)),
            Ok(None) | Err(Error::InitGone(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Removes pod `uid`'s sandbox whether or not a [`PodSandbox`] exists for it: SIGKILLs its init
/// if the recorded one still runs, then removes `<state_dir>/<uid>`. Idempotent; for garbage
/// collection of pods that are no longer wanted.
pub async fn destroy(state_dir: &Path, uid: &str) -> Result<()> {
    let layout = Layout::new(state_dir, uid)?;
    if let Some(record) = InitRecord::load(&layout.record())? {
        kill_init(uid, record).await?;
    }
    match fs::remove_dir_all(&layout.dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io("remove", &layout.dir, e)),
        _ => Ok(()),
    }
}

/// The UIDs of every pod sandbox directory under `state_dir` (running or not), sorted.
pub fn list(state_dir: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(state_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("read", state_dir, e)),
    };
    let mut uids = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", state_dir, e))?;
        let path: PathBuf = entry.path();
        if path.is_dir()
            && let Some(uid) = entry.file_name().to_str()
            && Layout::new(state_dir, uid).is_ok()
        {
            uids.push(uid.to_owned());
        }
    }
    uids.sort();
    Ok(uids)
}

async fn kill_init(uid: &str, record: InitRecord) -> Result<()> {
    if !record.is_alive() {
        return Ok(());
    }
    match kill(Pid::from_raw(record.pid), Signal::SIGKILL) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
        Err(source) => {
            return Err(Error::Sys {
                op: "kill pod init",
                source,
            });
        }
    }
    if wait_gone(record, EXIT_WAIT).await {
        Ok(())
    } else {
        Err(Error::Protocol(format!("pod {uid}: init survived SIGKILL")))
    }
}

/// Polls until the init is gone (or a zombie: its namespace is empty then); false on timeout.
async fn wait_gone(record: InitRecord, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while record.is_alive() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}

fn unexpected(reply: &Reply) -> Error {
    Error::Protocol(format!("unexpected reply {reply:?}"))
}
