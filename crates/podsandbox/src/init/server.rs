//! The init's event loop (a single-threaded tokio runtime): the control socket, the zombie
//! reaper (SIGCHLD → `waitpid(-1)` until nothing is left, which also reaps orphans re-parented
//! to PID 1), and signal forwarding. SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 sent
//! to the init go to every running container; after SIGTERM or SIGINT the init refuses new
//! containers and exits once none runs (as tini does for its one child). Attach sessions
//! forward input to a container's stdin ([`forward_input`]).

use std::os::unix::net::UnixListener as StdUnixListener;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use tokio::net::unix::OwnedReadHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::init::builtin::Spare;
use crate::init::console::StdinPort;
use crate::init::supervisor::{Reaped, StartError, Supervisor};
use crate::protocol::{Reply, Request, read_chunk, read_frame, write_frame};
use crate::status::{ContainerExit, ContainerStatus};

/// How long the init waits for SIGKILLed containers to be reaped before it exits anyway.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How long an ended container's terminal output may take to drain (a background process
/// may hold the terminal open for ever).
const DRAIN_WAIT: Duration = Duration::from_secs(2);

const FORWARDED: [Signal; 6] = [
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

struct Pod {
    supervisor: Mutex<Supervisor>,
    exits: broadcast::Sender<ContainerExit>,
}

impl Pod {
    fn with<T>(&self, f: impl FnOnce(&mut Supervisor) -> T) -> T {
        f(&mut self
            .supervisor
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
    }

    /// Reaps every exited child; container exits are recorded and broadcast (on a terminal,
    /// once its output is relayed).
    fn reap(self: &Arc<Self>) {
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
                Ok(status) => match self.with(|s| s.reaped(status, SystemTime::now())) {
                    Some(Reaped::Exit(exit)) => {
                        let _ = self.exits.send(exit);
                    }
                    Some(Reaped::Draining { name, mut drained }) => {
                        let pod = self.clone();
                        tokio::spawn(async move {
                            let _ =
                                tokio::time::timeout(DRAIN_WAIT, drained.wait_for(|d| *d)).await;
                            if let Some(exit) = pod.with(|s| s.drained(&name)) {
                                let _ = pod.exits.send(exit);
                            }
                        });
                    }
                    None => {}
                },
                Err(Errno::EINTR) => {}
                Err(e) => {
                    eprintln!("pod-init: waitpid: {e}");
                    return;
                }
            }
        }
    }

    /// Waits until no container runs or `deadline` passes; true if none runs.
    async fn all_exited_by(&self, deadline: Instant) -> bool {
        let mut exits = self.exits.subscribe();
        loop {
            if !self.with(|s| s.any_running()) {
                return true;
            }
            tokio::select! {
                _ = exits.recv() => {}
                () = tokio::time::sleep_until(deadline) => return !self.with(|s| s.any_running()),
            }
        }
    }

    /// SIGTERM to every container, SIGKILL after `grace`; the final statuses.
    async fn stop(&self, grace: Duration) -> Vec<ContainerStatus> {
        self.with(|s| {
            s.set_terminating();
            s.signal_all(Signal::SIGTERM);
        });
        if !self.all_exited_by(Instant::now() + grace).await {
            self.with(|s| s.signal_all(Signal::SIGKILL));
            self.all_exited_by(Instant::now() + KILL_WAIT).await;
        }
        self.with(|s| s.statuses())
    }
}

/// Serves until the pod is stopped; returns the init's exit status.
pub(crate) async fn serve(listener: StdUnixListener, spare: Option<Spare>) -> i32 {
    // Exits are rare (a container restarts after a back-off) and subscribers read at once; a
    // lagging one is told how many it missed. Each slot is allocated and touched up front.
    let (exits, _) = broadcast::channel(16);
    let pod = Arc::new(Pod {
        supervisor: Mutex::new(Supervisor::new(spare)),
        exits,
    });
    let listener = match listener
        .set_nonblocking(true)
        .and_then(|()| UnixListener::from_std(listener))
    {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("pod-init: control socket: {e}");
            return 1;
        }
    };
    let mut sigchld = match signal(SignalKind::child()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pod-init: SIGCHLD handler: {e}");
            return 1;
        }
    };
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<i32>(1);
    for forwarded in FORWARDED {
        let mut stream = match signal(SignalKind::from_raw(forwarded as i32)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("pod-init: {forwarded} handler: {e}");
                return 1;
            }
        };
        let pod = pod.clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                pod.with(|s| s.signal_all(forwarded));
                if matches!(forwarded, Signal::SIGTERM | Signal::SIGINT) {
                    pod.with(Supervisor::set_terminating);
                    let pod = pod.clone();
                    let done = done.clone();
                    tokio::spawn(async move {
                        while !pod
                            .all_exited_by(Instant::now() + Duration::from_secs(3600))
                            .await
                        {}
                        let _ = done.send(0).await;
                    });
                }
            }
        });
    }
    loop {
        tokio::select! {
            _ = sigchld.recv() => pod.reap(),
            code = done_rx.recv() => return code.unwrap_or(0),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let pod = pod.clone();
                    let done = done_tx.clone();
                    tokio::spawn(async move {
                        if let Some(code) = connection(&pod, stream).await {
                            let _ = done.send(code).await;
                        }
                    });
                }
                Err(e) => eprintln!("pod-init: accept: {e}"),
            },
        }
    }
}

/// Copies an attach session's input chunks to the container's stdin until the session's
/// input ends, the connection is lost, or stdin closes. A session claims stdin with its first
/// chunk (or its end); if its end closes a `stdinOnce` stdin, it does so after its input.
async fn forward_input(rd: &mut OwnedReadHalf, port: &StdinPort) {
    // `Some(closes)` once the session has used stdin.
    let mut claimed = None;
    loop {
        let chunk = tokio::select! {
            chunk = read_chunk(rd) => chunk,
            () = port.closed() => return,
        };
        // `None`: the connection was lost (the agent died or dropped the session), which
        // counts as the client going away.
        let Some(chunk) = chunk else { break };
        claimed.get_or_insert_with(|| port.claim());
        if chunk.is_empty() || !port.send(chunk).await {
            break;
        }
    }
    if claimed == Some(true) {
        port.close().await;
    }
}

/// Serves one agent connection; `Some(status)` when the init should exit.
async fn connection(pod: &Arc<Pod>, stream: UnixStream) -> Option<i32> {
    let (mut rd, mut wr) = stream.into_split();
    loop {
        let request = match read_frame::<Request>(&mut rd).await {
            Ok(Some(request)) => request,
            Ok(None) => return None,
            Err(e) => {
                eprintln!("pod-init: control request: {e}");
                return None;
            }
        };
        let reply = match request {
            Request::Start(spec) => {
                let now = SystemTime::now();
                match pod.with(|s| s.start(spec, now)) {
                    Ok(pid) => Reply::Started {
                        pid,
                        started_at: Some(now),
                    },
                    Err(StartError::Program(message)) => Reply::Error {
                        message,
                        start: true,
                    },
                    Err(StartError::Rejected(message)) => Reply::Error {
                        message,
                        start: false,
                    },
                }
            }
            Request::Signal { name, signal } => match Signal::try_from(signal) {
                Ok(signal) => match pod.with(|s| s.signal(&name, signal)) {
                    Ok(()) => Reply::Done,
                    Err(message) => Reply::Error {
                        message,
                        start: false,
                    },
                },
                Err(_) => Reply::Error {
                    message: format!("invalid signal {signal}"),
                    start: false,
                },
            },
            Request::Status => Reply::Status {
                containers: pod.with(|s| s.statuses()),
            },
            Request::Subscribe => {
                let mut exits = pod.exits.subscribe();
                // Acknowledged only once subscribed, so no exit after the ack can be missed.
                if write_frame(&mut wr, &Reply::Done).await.is_err() {
                    return None;
                }
                loop {
                    tokio::select! {
                        exit = exits.recv() => match exit {
                            Ok(exit) => {
                                if write_frame(&mut wr, &Reply::Exit(exit)).await.is_err() {
                                    return None;
                                }
                            }
                            Err(broadcast::error::RecvError::Lagged(n)) => {
                                eprintln!("pod-init: a subscriber missed {n} exits");
                            }
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                        // Anything from the subscriber (normally its end of stream) ends it.
                        _ = read_frame::<Request>(&mut rd) => return None,
                    }
                }
            }
            Request::Attach { name, stdin } => match pod.with(|s| s.attach(&name)) {
                Ok((tty, port)) => {
                    let port = port.filter(|port| stdin && port.is_open());
                    let reply = Reply::Attached {
                        tty,
                        stdin: port.is_some(),
                    };
                    if write_frame(&mut wr, &reply).await.is_ok()
                        && let Some(port) = port
                    {
                        forward_input(&mut rd, &port).await;
                    }
                    // Closing the connection tells the agent this session's input is done.
                    return None;
                }
                Err(message) => Reply::Error {
                    message,
                    start: false,
                },
            },
            Request::Resize { name, cols, rows } => {
                match pod.with(|s| s.resize(&name, cols, rows)) {
                    Ok(()) => Reply::Done,
                    Err(message) => Reply::Error {
                        message,
                        start: false,
                    },
                }
            }
            Request::Spec { name } => Reply::Spec {
                spec: pod.with(|s| s.spec(&name)),
            },
            Request::Stop { grace_ms } => {
                let containers = pod.stop(Duration::from_millis(grace_ms)).await;
                let _ = write_frame(&mut wr, &Reply::Status { containers }).await;
                return Some(0);
            }
        };
        if let Err(e) = write_frame(&mut wr, &reply).await {
            eprintln!("pod-init: control reply: {e}");
            return None;
        }
    }
}
