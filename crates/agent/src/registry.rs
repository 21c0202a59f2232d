//! The pods this agent runs, by namespace and name, as the streaming server looks them up:
//! each pod worker publishes its pod's UID and sandbox, the environment an exec in each of
//! its containers gets, and which log file each container run is writing, with the run's log
//! pump (so a log read first moves what the container wrote since the worker's last sync into
//! the log, as a container runtime's log is always current); the worker withdraws the pod when
//! it ends. Lookups return clones, so no lock is held across IO.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use k8s_openapi::jiff::Timestamp;
use kubelite_podsandbox::PodSandbox;

use crate::log_pump::LogPump;

/// A container run's log pump, shared by its worker and log reads.
pub(crate) type SharedPump = Arc<Mutex<LogPump>>;

/// Moves `pump`'s new output into its log now (`flush`: the run has ended, see
/// [`LogPump::pump`]); a failure is only logged, the next pump retries.
pub(crate) fn pump_now(pump: &SharedPump, flush: bool) {
    let mut pump = pump.lock().expect("log pump lock");
    if let Err(e) = pump.pump(Timestamp::now(), flush) {
        tracing::debug!("log pump {}: {e}", pump.log().display());
    }
}

/// What an exec in a container starts with: the container's environment and working
/// directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExecEnv {
    pub(crate) env: Vec<(String, String)>,
    pub(crate) cwd: Option<PathBuf>,
}

/// One published pod.
#[derive(Clone, Default)]
pub(crate) struct PodHandle {
    pub(crate) uid: String,
    /// `None` while the sandbox is being created and after the pod finished.
    pub(crate) sandbox: Option<Arc<PodSandbox>>,
    /// Per container.
    pub(crate) exec_env: HashMap<String, ExecEnv>,
    /// Per container: the log file of its newest run.
    pub(crate) current_log: HashMap<String, PathBuf>,
    /// The exit codes of ended runs, by log file.
    pub(crate) exits: HashMap<PathBuf, i32>,
}

#[derive(Default)]
struct Inner {
    pods: HashMap<(String, String), PodHandle>,
    /// Log files a running container still writes to (their pump has not flushed), with
    /// their pumps.
    live_logs: HashMap<PathBuf, SharedPump>,
}

/// The agent's pods, shared by the workers and the streaming runtime.
#[derive(Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

impl Registry {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().expect("registry lock"))
    }

    /// Publishes pod `namespace/name` (UID `uid`) with its current sandbox. A pod of the same
    /// name with another UID (deleted and re-created) is replaced.
    pub(crate) fn publish(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        sandbox: Option<Arc<PodSandbox>>,
    ) {
        self.with(|inner| {
            let entry = inner
                .pods
                .entry((namespace.to_owned(), name.to_owned()))
                .or_default();
            if entry.uid != uid {
                *entry = PodHandle {
                    uid: uid.to_owned(),
                    ..PodHandle::default()
                };
            }
            entry.sandbox = sandbox;
        });
    }

    /// Records what an exec in `container` starts with.
    pub(crate) fn set_exec_env(&self, namespace: &str, name: &str, container: &str, env: ExecEnv) {
        self.with(|inner| {
            if let Some(pod) = inner.pods.get_mut(&(namespace.to_owned(), name.to_owned())) {
                pod.exec_env.insert(container.to_owned(), env);
            }
        });
    }

    /// Records that `container`'s newest run writes `log`, through `pump`, and is running.
    pub(crate) fn log_started(
        &self,
        namespace: &str,
        name: &str,
        container: &str,
        log: PathBuf,
        pump: SharedPump,
    ) {
        self.with(|inner| {
            if let Some(pod) = inner.pods.get_mut(&(namespace.to_owned(), name.to_owned())) {
                pod.current_log.insert(container.to_owned(), log.clone());
            }
            inner.live_logs.insert(log, pump);
        });
    }

    /// Moves what the run writing `log` has output so far into it (nothing if it has ended:
    /// its last output is in the log then).
    pub(crate) fn catch_up(&self, log: &Path) {
        if let Some(pump) = self.with(|inner| inner.live_logs.get(log).cloned()) {
            pump_now(&pump, false);
        }
    }

    /// Records that nothing more will be written to `log`, and the run's exit code if known.
    pub(crate) fn log_ended(&self, namespace: &str, name: &str, log: &Path, exit: Option<i32>) {
        self.with(|inner| {
            inner.live_logs.remove(log);
            if let (Some(pod), Some(code)) = (
                inner.pods.get_mut(&(namespace.to_owned(), name.to_owned())),
                exit,
            ) {
                pod.exits.insert(log.to_owned(), code);
            }
        });
    }

    /// Whether a running container still writes to `log`.
    pub(crate) fn log_is_live(&self, log: &Path) -> bool {
        self.with(|inner| inner.live_logs.contains_key(log))
    }

    /// Withdraws pod `namespace/name` if it still is the one with UID `uid`.
    pub(crate) fn remove(&self, namespace: &str, name: &str, uid: &str) {
        self.with(|inner| {
            let key = (namespace.to_owned(), name.to_owned());
            if inner.pods.get(&key).is_some_and(|p| p.uid == uid)
                && let Some(pod) = inner.pods.remove(&key)
            {
                for log in pod.current_log.values() {
                    inner.live_logs.remove(log);
                }
            }
        });
    }

    /// Pod `namespace/name`, if this agent runs it.
    pub(crate) fn get(&self, namespace: &str, name: &str) -> Option<PodHandle> {
        self.with(|inner| {
            inner
                .pods
                .get(&(namespace.to_owned(), name.to_owned()))
                .cloned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_pump::RawOutput;

    #[test]
    fn publish_replace_and_remove() {
        let r = Registry::default();
        r.publish("ns", "web", "u1", None);
        r.set_exec_env(
            "ns",
            "web",
            "app",
            ExecEnv {
                env: vec![("A".into(), "1".into())],
                cwd: None,
            },
        );
        let log = PathBuf::from("/l/ns_web_u1/app/0.log");
        let pump = || {
            let raw = RawOutput::new(Path::new("/l/sb"), "app", 0);
            Arc::new(Mutex::new(LogPump::new(log.clone(), raw)))
        };
        r.log_started("ns", "web", "app", log.clone(), pump());
        assert!(r.log_is_live(&log));
        let pod = r.get("ns", "web").unwrap();
        assert_eq!((pod.uid.as_str(), pod.exec_env["app"].env.len()), ("u1", 1));
        assert_eq!(pod.current_log["app"], log);

        r.log_ended("ns", "web", &log, Some(3));
        assert!(!r.log_is_live(&log));
        assert_eq!(r.get("ns", "web").unwrap().exits[&log], 3);
        r.log_started("ns", "web", "app", log.clone(), pump());

        // The same name with another UID replaces the pod; the old worker's removal is a no-op.
        r.publish("ns", "web", "u2", None);
        assert!(r.get("ns", "web").unwrap().exec_env.is_empty());
        r.remove("ns", "web", "u1");
        assert_eq!(r.get("ns", "web").unwrap().uid, "u2");
        r.remove("ns", "web", "u2");
        assert!(r.get("ns", "web").is_none());
        assert!(r.get("ns", "other").is_none());
    }

    /// A log read sees what the container wrote since the worker last pumped: it catches the
    /// pump up first, but only while the run is live.
    #[test]
    fn a_log_read_catches_up_with_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let raw = RawOutput::new(dir.path(), "app", 0);
        let log = dir.path().join("logs/0.log");
        let pump = Arc::new(Mutex::new(LogPump::new(log.clone(), raw.clone())));
        let r = Registry::default();
        r.publish("ns", "web", "u1", None);
        r.log_started("ns", "web", "app", log.clone(), pump);
        std::fs::write(&raw.stdout, "hi\n").unwrap();
        r.catch_up(&log);
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.ends_with(" stdout F hi\n"), "{text:?}");

        r.log_ended("ns", "web", &log, Some(0));
        std::fs::write(&raw.stdout, "hi\nlate\n").unwrap();
        r.catch_up(&log);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), text);
    }
}
