//! The init's table of containers: starting their processes (each in its own process group),
//! signalling them, and turning reaped wait statuses into [`ContainerExit`]s. Everything here
//! is synchronous and runs on the init's single thread, so a process is always recorded before
//! its exit can be reaped.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::SystemTime;

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

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

/// Every container the init has started, by name.
#[derive(Debug, Default)]
pub(crate) struct Supervisor {
    containers: BTreeMap<String, ContainerStatus>,
    by_pid: HashMap<i32, String>,
    terminating: bool,
}

impl Supervisor {
    /// Starts `spec`'s program; returns its PID.
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
        let env = complete_env(&spec.env, false);
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
        let stderr = if spec.stderr == spec.stdout {
            stdout
                .try_clone()
                .map_err(|e| StartError::Program(format!("dup log file: {}", go_error(&e))))?
        } else {
            open_log(&spec.stderr)?
        };
        let child = Command::new(&resolved)
            .arg0(program)
            .args(&spec.argv[1..])
            .env_clear()
            .envs(env)
            .current_dir(&cwd)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .map_err(|e| StartError::Program(format!("exec: {program:?}: {}", go_error(&e))))?;
        // A std `Child` neither waits nor kills on drop: the init's reaper owns the exit.
        let pid = child.id() as i32;
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
        self.by_pid.insert(pid, spec.name);
        Ok(pid)
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
        send(pid, signal);
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

    /// Whether any container's main process still runs.
    pub(crate) fn any_running(&self) -> bool {
        !self.by_pid.is_empty()
    }

    /// Records a reaped process; `Some` if it was a container's main process.
    pub(crate) fn reaped(&mut self, status: WaitStatus, now: SystemTime) -> Option<ContainerExit> {
        let (exit_code, signal) = exit_of(status)?;
        let pid = status.pid()?.as_raw();
        let name = self.by_pid.remove(&pid)?;
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
        entry.state = ContainerState::Exited(termination.clone());
        Some(ContainerExit { name, termination })
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

    use nix::sys::wait::waitpid;

    use super::*;

    fn spec(name: &str, argv: &[&str], log: &Path) -> ContainerSpec {
        ContainerSpec {
            name: name.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![("GREETING".into(), "hi".into())],
            cwd: None,
            stdout: log.into(),
            stderr: log.into(),
        }
    }

    fn reap(sup: &mut Supervisor, pid: i32, at: SystemTime) -> ContainerExit {
        let status = waitpid(Pid::from_raw(pid), None).unwrap();
        sup.reaped(status, at).unwrap()
    }

    #[test]
    fn start_exit_restart_history() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("c.log");
        let mut sup = Supervisor::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let t1 = t0 + Duration::from_secs(1);
        let argv = ["sh", "-c", "echo $GREETING; echo oops >&2; pwd; exit 3"];
        let pid = sup.start(spec("c", &argv, &log), t0).unwrap();
        assert!(sup.any_running());
        let exit = reap(&mut sup, pid, t1);
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
        let exit = reap(&mut sup, pid, t1);
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

    #[test]
    fn refusals() {
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
        let exit = reap(&mut sup, pid, now);
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
}
