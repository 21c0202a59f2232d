//! The init's table of containers: starting their processes (each in its own process group;
//! on a terminal, in its own session), signalling them, their consoles (stdin and terminal,
//! see [`crate::init::console`]), and turning reaped wait statuses into [`ContainerExit`]s.
//! Everything here is synchronous and runs on the init's single thread, so a process is always
//! recorded before its exit can be reaped. A container on a terminal counts as running until
//! its terminal's output is relayed ([`Reaped::Draining`]), so its log is complete when its
//! exit is reported.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::os::fd::BorrowedFd;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use tokio::sync::watch;

use crate::init::builtin::Spare;
use crate::init::console::{ChildStdio, Console, StdinPort};

use crate::program::{complete_env, go_error, look_path};
use crate::protocol::ContainerSpec;
use crate::status::{ContainerExit, ContainerState, ContainerStatus, Termination, exit_of};

/// Why a start request failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StartError {
    /// The program could not be started (runc's reason text).
    Program(String),
    /// The request itself was refused.
    Rejected(String),
}

/// What a reaped process was.
pub(crate) enum Reaped {
    /// A container ended.
    Exit(ContainerExit),
    /// A container on a terminal ended; call [`Supervisor::drained`] once `drained` is true
    /// (or after a while: a background process may keep the terminal open).
    Draining {
        name: String,
        drained: watch::Receiver<bool>,
    },
}

/// Every container the init has started, by name.
#[derive(Default)]
pub(crate) struct Supervisor {
    /// The spare waiting to become the first container if it is a built-in.
    spare: Option<Spare>,
    containers: BTreeMap<String, ContainerStatus>,
    by_pid: HashMap<i32, String>,
    /// The stdio of running containers.
    consoles: HashMap<String, Console>,
    /// The spec each container was last started with.
    specs: BTreeMap<String, ContainerSpec>,
    /// Ended containers whose terminal output is still being relayed.
    draining: HashMap<String, Termination>,
    terminating: bool,
}

impl Supervisor {
    /// A supervisor that may hand the first container to `spare`.
    pub(crate) fn new(spare: Option<Spare>) -> Supervisor {
        Supervisor {
            spare,
            ..Supervisor::default()
        }
    }

    /// Starts `spec`'s program; returns its PID. Must be called within a tokio runtime (the
    /// console's tasks).
    pub(crate) fn start(
        &mut self,
        spec: ContainerSpec,
        now: SystemTime,
    ) -> Result<i32, StartError> {
        if self.terminating {
            return Err(StartError::Rejected("pod sandbox is stopping".into()));
        }
        if spec.name.is_empty() || spec.name.len() > 253 {
            return Err(StartError::Rejected(format!(
                "invalid container name {:?}",
                spec.name
            )));
        }
        let previous = self.containers.get(&spec.name);
        if let Some(ContainerStatus {
            state: ContainerState::Running { .. },
            ..
        }) = previous
        {
            return Err(StartError::Rejected(format!(
                "container {:?} is already running",
                spec.name
            )));
        }
        let Some(program) = spec.argv.first() else {
            return Err(StartError::Rejected(format!(
                "container {:?} has no command",
                spec.name
            )));
        };
        let env = complete_env(&spec.env, spec.tty);
        let resolved = look_path(program, &env).map_err(StartError::Program)?;
        let cwd = spec.cwd.clone().unwrap_or_else(|| "/".into());
        if let Err(e) = std::fs::read_dir(&cwd) {
            return Err(StartError::Program(format!(
                "chdir to cwd ({:?}) set in config.json failed: {}",
                cwd.display().to_string(),
                go_error(&e)
            )));
        }
        let stdout = open_log(&spec.stdout)?;
        let console = if spec.tty {
            Console::terminal(spec.stdin, spec.stdin_once, stdout)
        } else {
            let stderr = if spec.stderr == spec.stdout {
                stdout
                    .try_clone()
                    .map_err(|e| StartError::Program(format!("dup log file: {}", go_error(&e))))?
            } else {
                open_log(&spec.stderr)?
            };
            Console::pipes(spec.stdin, spec.stdin_once, stdout, stderr)
        };
        let (console, stdio) = console
            .map_err(|e| StartError::Program(format!("container stdio: {}", go_error(&e))))?;
        // The spare waits for the first container only.
        let spare = self.spare.take().filter(|spare| spare.runs(&resolved));
        let handed = spare.map(|spare| spare.start(&resolved, &spec.argv, &env, &cwd, &stdio));
        let pid = match handed {
            Some(Ok(pid)) => pid,
            failed => {
                if let Some(Err(e)) = failed {
                    eprintln!("pod-init: built-in container to the spare: {e}; exec'ing it");
                }
                spawn(&resolved, &spec.argv, env, &cwd, stdio)?
            }
        };
        let status = match self.containers.remove(&spec.name) {
            Some(ContainerStatus {
                restart_count,
                state: ContainerState::Exited(last),
                ..
            }) => ContainerStatus {
                name: spec.name.clone(),
                restart_count: restart_count + 1,
                state: ContainerState::Running {
                    pid,
                    started_at: now,
                },
                last_termination: Some(last),
            },
            _ => ContainerStatus {
                name: spec.name.clone(),
                restart_count: 0,
                state: ContainerState::Running {
                    pid,
                    started_at: now,
                },
                last_termination: None,
            },
        };
        self.containers.insert(spec.name.clone(), status);
        self.by_pid.insert(pid, spec.name.clone());
        self.consoles.insert(spec.name.clone(), console);
        self.specs.insert(spec.name.clone(), spec);
        Ok(pid)
    }

    /// The terms of an attach session to running container `name`: whether it runs on a
    /// terminal, and its stdin if it has one.
    pub(crate) fn attach(&self, name: &str) -> Result<(bool, Option<StdinPort>), String> {
        match self.consoles.get(name) {
            Some(console) => Ok((console.tty(), console.stdin())),
            None if self.containers.contains_key(name) => {
                Err(format!("container {name:?} is not running"))
            }
            None => Err(format!("container {name:?} not found")),
        }
    }

    /// Sets the window size of running container `name`'s terminal (a no-op without one).
    pub(crate) fn resize(&self, name: &str, cols: u16, rows: u16) -> Result<(), String> {
        self.attach(name)?;
        self.consoles[name]
            .resize(cols, rows)
            .map_err(|e| format!("resize terminal of container {name:?}: {e}"))
    }

    /// The spec container `name` was last started with.
    pub(crate) fn spec(&self, name: &str) -> Option<ContainerSpec> {
        self.specs.get(name).cloned()
    }

    /// Sends `signal` to container `name`'s main process; SIGKILL goes to its whole process
    /// group, so helpers it started die with it.
    pub(crate) fn signal(&self, name: &str, signal: Signal) -> Result<(), String> {
        let pid = match self.containers.get(name) {
            None => return Err(format!("container {name:?} not found")),
            Some(ContainerStatus {
                state: ContainerState::Running { pid, .. },
                ..
            }) => *pid,
            Some(_) => return Err(format!("container {name:?} is not running")),
        };
        if !self.draining.contains_key(name) {
            send(pid, signal);
        }
        Ok(())
    }

    /// Sends `signal` to every running container (signal forwarding).
    pub(crate) fn signal_all(&self, signal: Signal) {
        for pid in self.by_pid.keys() {
            send(*pid, signal);
        }
    }

    /// Refuses further starts from now on.
    pub(crate) fn set_terminating(&mut self) {
        self.terminating = true;
    }

    /// Whether any container's main process still runs (or its terminal output is still
    /// being relayed).
    pub(crate) fn any_running(&self) -> bool {
        !self.by_pid.is_empty() || !self.draining.is_empty()
    }

    /// Records a reaped process; `Some` if it was a container's main process. Its stdin is
    /// closed.
    pub(crate) fn reaped(&mut self, status: WaitStatus, now: SystemTime) -> Option<Reaped> {
        let (exit_code, signal) = exit_of(status)?;
        let pid = status.pid()?.as_raw();
        let name = self.by_pid.remove(&pid)?;
        let drained = self.consoles.remove(&name).and_then(Console::hang_up);
        let entry = self.containers.get_mut(&name)?;
        let ContainerState::Running { started_at, .. } = entry.state else {
            return None;
        };
        let termination = Termination {
            exit_code,
            signal,
            started_at,
            finished_at: now,
        };
        if let Some(drained) = drained.filter(|d| !*d.borrow()) {
            self.draining.insert(name.clone(), termination);
            return Some(Reaped::Draining { name, drained });
        }
        entry.state = ContainerState::Exited(termination.clone());
        Some(Reaped::Exit(ContainerExit { name, termination }))
    }

    /// Completes the exit of a [`Reaped::Draining`] container.
    pub(crate) fn drained(&mut self, name: &str) -> Option<ContainerExit> {
        let termination = self.draining.remove(name)?;
        let entry = self.containers.get_mut(name)?;
        entry.state = ContainerState::Exited(termination.clone());
        Some(ContainerExit {
            name: name.to_owned(),
            termination,
        })
    }

    /// Every container's status, ordered by name.
    pub(crate) fn statuses(&self) -> Vec<ContainerStatus> {
        self.containers.values().cloned().collect()
    }
}

fn send(pid: i32, signal: Signal) {
    let pid = Pid::from_raw(pid);
    // ESRCH (already exited, not yet reaped) is fine.
    if signal == Signal::SIGKILL {
        let _ = killpg(pid, signal);
    }
    let _ = kill(pid, signal);
}

/// Execs `resolved` as `argv` with exactly `env`, in `cwd`, on `stdio`; returns its PID.
fn spawn(
    resolved: &Path,
    argv: &[String],
    env: Vec<(String, String)>,
    cwd: &Path,
    stdio: ChildStdio,
) -> Result<i32, StartError> {
    let program = &argv[0];
    let mut command = Command::new(resolved);
    command
        .arg0(program)
        .args(&argv[1..])
        .env_clear()
        .envs(env)
        .current_dir(cwd)
        .stdin(stdio.stdin)
        .stdout(stdio.stdout)
        .stderr(stdio.stderr);
    if stdio.terminal {
        // A session of its own (so also a process group) with the terminal as its
        // controlling terminal. `setsid` fails in a group leader, so no `process_group`.
        // SAFETY: the hook only makes async-signal-safe system calls.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid()?;
                // SAFETY: fd 0 is the PTY slave std installed as stdin.
                rustix::process::ioctl_tiocsctty(BorrowedFd::borrow_raw(0))?;
                Ok(())
            });
        }
    } else {
        command.process_group(0);
    }
    let child = command
        .spawn()
        .map_err(|e| StartError::Program(format!("exec: {program:?}: {}", go_error(&e))))?;
    // The init must not keep the terminal's slave open, or its output would never end; nor
    // may it wait or kill on drop: the init's reaper owns the exit.
    drop(command);
    Ok(child.id() as i32)
}

fn open_log(path: &Path) -> Result<File, StartError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| StartError::Program(format!("open {}: {}", path.display(), go_error(&e))))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use nix::sys::wait::{WaitPidFlag, waitpid};

    use super::*;

    fn spec(name: &str, argv: &[&str], log: &Path) -> ContainerSpec {
        ContainerSpec {
            name: name.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![("GREETING".into(), "hi".into())],
            cwd: None,
            stdout: log.into(),
            stderr: log.into(),
            stdin: false,
            stdin_once: false,
            tty: false,
        }
    }

    /// Waits for `pid` without blocking the runtime (the console's tasks run on it).
    async fn wait(pid: i32) -> WaitStatus {
        loop {
            match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)).unwrap() {
                WaitStatus::StillAlive => tokio::time::sleep(Duration::from_millis(5)).await,
                status => return status,
            }
        }
    }

    async fn reap(sup: &mut Supervisor, pid: i32, at: SystemTime) -> ContainerExit {
        let status = wait(pid).await;
        match sup.reaped(status, at).unwrap() {
            Reaped::Exit(exit) => exit,
            Reaped::Draining { name, .. } => panic!("{name} is on a terminal"),
        }
    }

    #[tokio::test]
    async fn start_exit_restart_history() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("c.log");
        let mut sup = Supervisor::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let t1 = t0 + Duration::from_secs(1);
        let argv = ["sh", "-c", "echo $GREETING; echo oops >&2; pwd; exit 3"];
        let pid = sup.start(spec("c", &argv, &log), t0).unwrap();
        assert!(sup.any_running());
        let exit = reap(&mut sup, pid, t1).await;
        let first = Termination {
            exit_code: 3,
            signal: None,
            started_at: t0,
            finished_at: t1,
        };
        assert_eq!(
            exit,
            ContainerExit {
                name: "c".into(),
                termination: first.clone()
            }
        );
        assert!(!sup.any_running());
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "hi\noops\n/\n");

        let pid = sup.start(spec("c", &["sleep", "100"], &log), t1).unwrap();
        sup.signal("c", Signal::SIGTERM).unwrap();
        let exit = reap(&mut sup, pid, t1).await;
        assert_eq!(
            (exit.termination.exit_code, exit.termination.signal),
            (143, Some(15))
        );
        assert_eq!(
            sup.statuses(),
            vec![ContainerStatus {
                name: "c".into(),
                restart_count: 1,
                state: ContainerState::Exited(exit.termination),
                last_termination: Some(first),
            }]
        );
    }

    #[tokio::test]
    async fn refusals() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("c.log");
        let mut sup = Supervisor::default();
        let now = SystemTime::now();
        let pid = sup.start(spec("s", &["sleep", "100"], &log), now).unwrap();
        let cases = [
            (spec("s", &["true"], &log), StartError::Rejected(r#"container "s" is already running"#.into())),
            (
                spec("n", &["nope"], &log),
                StartError::Program(r#"exec: "nope": executable file not found in $PATH"#.into()),
            ),
            (
                ContainerSpec { cwd: Some("/nonexistent".into()), ..spec("w", &["true"], &log) },
                StartError::Program(
                    r#"chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory"#
                        .into(),
                ),
            ),
            (spec("e", &[], &log), StartError::Rejected(r#"container "e" has no command"#.into())),
        ];
        for (spec, want) in cases {
            assert_eq!(sup.start(spec, now), Err(want));
        }
        assert_eq!(
            sup.signal("x", Signal::SIGTERM),
            Err(r#"container "x" not found"#.into())
        );
        sup.signal("s", Signal::SIGKILL).unwrap();
        let exit = reap(&mut sup, pid, now).await;
        assert_eq!(exit.termination.exit_code, 137);
        assert_eq!(
            sup.signal("s", Signal::SIGTERM),
            Err(r#"container "s" is not running"#.into())
        );
        sup.set_terminating();
        assert_eq!(
            sup.start(spec("t", &["true"], &log), now),
            Err(StartError::Rejected("pod sandbox is stopping".into()))
        );
    }

    /// `stdin` + `stdinOnce`: attach input reaches the program, the claiming session's close
    /// gives it end-of-file, and its output lands in the log; the spec is remembered.
    #[tokio::test]
    async fn stdin_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("c.log");
        let mut sup = Supervisor::default();
        let now = SystemTime::now();
        let spec = ContainerSpec {
            stdin: true,
            stdin_once: true,
            ..spec("c", &["cat"], &log)
        };
        let pid = sup.start(spec.clone(), now).unwrap();
        assert_eq!(sup.spec("c"), Some(spec));
        let (tty, port) = sup.attach("c").unwrap();
        let port = port.unwrap();
        assert!(!tty);
        assert!(port.claim());
        assert!(port.send(b"hello\n".to_vec()).await);
        port.close().await;
        let exit = reap(&mut sup, pid, now).await;
        assert_eq!(exit.termination.exit_code, 0);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "hello\n");
        assert_eq!(
            sup.attach("c").err(),
            Some(r#"container "c" is not running"#.into())
        );
        assert_eq!(
            sup.attach("x").err(),
            Some(r#"container "x" not found"#.into())
        );
    }

    /// `tty`: the program runs on a terminal that is its controlling terminal, with
    /// `TERM=xterm` and the size set by `resize`; input is echoed; the exit waits until the
    /// terminal's output is in the log.
    #[tokio::test]
    async fn tty() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("c.log");
        let mut sup = Supervisor::default();
        let now = SystemTime::now();
        let script = "test -t 0 && echo isatty; read line; echo got:$line; stty size; \
                      echo TERM=$TERM; ps -o pid= -o sid= -p $$; exit 4";
        let spec = ContainerSpec {
            stdin: true,
            tty: true,
            ..spec("c", &["sh", "-c", script], &log)
        };
        let pid = sup.start(spec, now).unwrap();
        sup.resize("c", 100, 30).unwrap();
        let (tty, port) = sup.attach("c").unwrap();
        assert!(tty);
        let port = port.unwrap();
        assert!(!port.claim(), "not stdinOnce");
        assert!(port.send(b"abc\n".to_vec()).await);
        let status = wait(pid).await;
        // The exit may be reaped before or after the relay read the terminal's last output;
        // it is reported only after.
        let exit = match sup.reaped(status, now).unwrap() {
            Reaped::Exit(exit) => exit,
            Reaped::Draining { name, mut drained } => {
                assert!(sup.any_running());
                assert!(matches!(
                    sup.statuses()[0].state,
                    ContainerState::Running { .. }
                ));
                drained.wait_for(|d| *d).await.unwrap();
                sup.drained(&name).unwrap()
            }
        };
        assert_eq!(exit.termination.exit_code, 4);
        assert!(!sup.any_running());
        let out = std::fs::read_to_string(&log).unwrap();
        for want in [
            "isatty\r\n",
            "abc\r\n",
            "got:abc\r\n",
            "30 100\r\n",
            "TERM=xterm\r\n",
        ] {
            assert!(out.contains(want), "{want:?} missing in {out:?}");
        }
        // A session leader: its session ID is its PID.
        let ids = format!("{pid} {pid}");
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == ids),
            "{out:?}"
        );
    }
}
