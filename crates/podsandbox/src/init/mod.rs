//! The pod init, as the zygote's child runs it (see [`crate::zygote`]).
//!
//! The agent is a large, many-threaded process, and forking it for every pod (to change
//! namespaces between `fork` and `exec`) would copy its page tables each time; exec'ing the
//! kubelite binary for every pod costs a dynamic load and glibc's start. So the single-threaded
//! zygote forks it as PID 1 of a new PID namespace (a new PID namespace only applies to
//! children, so the zygote unshares it for its next child). The init starts a session of its
//! own, joins the pod's network namespace (a descriptor the agent passed), unshares fresh UTS,
//! IPC and mount namespaces, and records its PID and start time as the node sees them in
//! `init.json` (while `/proc` is still the node's). Then it sets up the mounts and hostname
//! ([`setup`]), forks the spare that may become its first container
//! ([`builtin`]), binds `init.sock`, prints `ready` on its stdout (a pipe to
//! the agent; failures print `error: <text>` instead), points its stdio at `init.log` and
//! serves ([`server`]) until the pod is stopped.
//!
//! Arguments: `--dir <state_dir>/<uid> --hostname <name>`.

mod builtin;
mod console;
mod server;
mod setup;
mod supervisor;

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use nix::sched::{CloneFlags, setns, unshare};

use crate::layout::Layout;
use crate::record::InitRecord;

/// Parsed `pod-init` arguments.
#[derive(Debug, PartialEq, Eq)]
struct InitArgs {
    dir: PathBuf,
    hostname: String,
}

impl InitArgs {
    fn parse(args: impl IntoIterator<Item = OsString>) -> Result<InitArgs, String> {
        let mut dir = None;
        let mut hostname = None;
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| format!("{flag:?} needs a value"))?;
            match flag.to_str() {
                Some("--dir") => dir = Some(PathBuf::from(value)),
                Some("--hostname") => {
                    hostname = Some(
                        value
                            .into_string()
                            .map_err(|v| format!("bad hostname {v:?}"))?,
                    )
                }
                _ => return Err(format!("unknown argument {flag:?}")),
            }
        }
        Ok(InitArgs {
            dir: dir.ok_or("missing --dir")?,
            hostname: hostname.ok_or("missing --hostname")?,
        })
    }
}

/// The arguments [`crate::create`] has the zygote pass to [`init_main`].
pub(crate) fn init_args(dir: &Path, hostname: &str) -> Vec<OsString> {
    vec![
        "--dir".into(),
        dir.as_os_str().to_owned(),
        "--hostname".into(),
        hostname.into(),
    ]
}

pub use builtin::Builtins;
use builtin::Spare;

/// Runs the pod init with `args` (see [`init_args`]) in network namespace `netns`; a first container that is one of
/// `builtins` becomes a spare forked before the runtime ([`builtin`]). Never returns. Must be called in a single-threaded process (the zygote's child,
/// before it builds a tokio runtime): it forks.
pub(crate) fn init_main(
    args: impl IntoIterator<Item = OsString>,
    netns: OwnedFd,
    builtins: Builtins,
) -> ! {
    let args = match InitArgs::parse(args) {
        Ok(args) => args,
        Err(message) => fail(&format!("pod init: {message}")),
    };
    if let Err(message) = single_threaded().and_then(|()| enter_new_namespaces(netns)) {
        fail(&message);
    }
    let layout = Layout::at(args.dir);
    if nix::unistd::getpid().as_raw() != 1 {
        fail("pod-init must be started in a new PID namespace");
    }
    if let Err(message) = record_self(&layout) {
        fail(&message);
    }
    if let Err(message) = setup::enter_pod(&layout, &args.hostname) {
        fail(&message);
    }
    // Before the runtime exists, while the process is single-threaded and clean.
    let spare = Spare::fork(builtins);
    let socket = layout.socket();
    let _ = fs::remove_file(&socket);
    let listener = match UnixListener::bind(&socket) {
        Ok(listener) => listener,
        Err(e) => fail(&format!("bind {}: {e}", socket.display())),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => fail(&format!("tokio runtime: {e}")),
    };
    let code = runtime.block_on(async {
        let served = server::serve(listener, spare);
        tokio::pin!(served);
        // `serve` installs its signal handlers on its first poll; announce readiness only after.
        tokio::select! {
            biased;
            code = &mut served => return code,
            () = tokio::task::yield_now() => {}
        }
        announce_ready(&layout);
        served.await
    });
    std::process::exit(code)
}

/// Records this process's identity for re-adoption: its PID and start time in the node's PID
/// namespace, read from the node's `/proc`, which is still mounted (the pod's own goes over it
/// in [`setup::enter_pod`]).
fn record_self(layout: &Layout) -> Result<(), String> {
    let record = InitRecord::of_self().ok_or("cannot read /proc/self/stat")?;
    record
        .store(&layout.record())
        .map_err(|e| format!("write {}: {e}", layout.record().display()))
}

/// Tells the agent the pod is ready and moves stdio off the handshake pipe.
fn announce_ready(layout: &Layout) {
    let mut stdout = std::io::stdout().lock();
    // The agent may have died meanwhile: a broken pipe is not the init's problem.
    let _ = writeln!(stdout, "ready").and_then(|()| stdout.flush());
    drop(stdout);
    if let Ok(log) = OpenOptions::new()
        .create(true)
        .append(true)
        .open(layout.log())
    {
        let _ = nix::unistd::dup2_stdout(&log);
        let _ = nix::unistd::dup2_stderr(&log);
    }
    if let Ok(null) = File::open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&null);
    }
}

/// Reports a setup failure to the agent and exits.
fn fail(message: &str) -> ! {
    println!("error: {message}");
    eprintln!("pod-init: {message}");
    std::process::exit(1)
}

/// A session of its own, the pod's network namespace, and new UTS, IPC and mount namespaces.
/// Needs a single thread.
fn enter_new_namespaces(netns: OwnedFd) -> Result<(), String> {
    nix::unistd::setsid().map_err(|e| format!("setsid: {e}"))?;
    setns(&netns, CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("join the pod's network namespace: {e}"))?;
    drop(netns);
    unshare(CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWIPC | CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("unshare namespaces: {e}"))
}

/// `fork` (of the spare) and `unshare(CLONE_NEWNS)` are only sound here if no other thread
/// exists.
fn single_threaded() -> Result<(), String> {
    let status =
        fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc/self/status: {e}"))?;
    match status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .map(str::trim)
    {
        Some("1") => Ok(()),
        Some(n) => Err(format!(
            "pod-init must run before any thread is started (found {n} threads)"
        )),
        None => Err("cannot count threads".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args() {
        let ok = init_args(Path::new("/s/u1"), "web-0");
        assert_eq!(
            InitArgs::parse(ok),
            Ok(InitArgs {
                dir: "/s/u1".into(),
                hostname: "web-0".into(),
            })
        );
        let cases: [(&[&str], &str); 4] = [
            (&["--dir", "/s"], "missing --hostname"),
            (&["--hostname", "h"], "missing --dir"),
            (&["--dir"], "\"--dir\" needs a value"),
            (&["--x", "1"], "unknown argument \"--x\""),
        ];
        for (args, want) in cases {
            let args = args.iter().map(OsString::from);
            assert_eq!(InitArgs::parse(args), Err(want.to_string()));
        }
    }
}
