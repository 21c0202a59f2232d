//! Where container logs live. Each container run writes
//! `<logs_dir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log` in the CRI log format
//! (`<RFC3339Nano timestamp> stdout|stderr F|P <text>`, one line each), with at most one rotated
//! predecessor `<restartCount>.log.1` (written by [`crate::log_pump`], read and rendered for
//! `kubectl logs` by `kubelite-streaming`). Only the current and the previous run keep their
//! logs ([`prune_runs`]), as kubelet's container garbage collection leaves them.

use std::fs;
use std::path::{Path, PathBuf};

/// The log file of run `restart` of container `container` of a pod.
pub fn container_log_path(
    logs_dir: &Path,
    namespace: &str,
    pod: &str,
    uid: &str,
    container: &str,
    restart: u32,
) -> PathBuf {
    pod_log_dir(logs_dir, namespace, pod, uid)
        .join(container)
        .join(format!("{restart}.log"))
}

/// The directory of all of a pod's logs (removed when the pod is deleted).
pub fn pod_log_dir(logs_dir: &Path, namespace: &str, pod: &str, uid: &str) -> PathBuf {
    logs_dir.join(format!("{namespace}_{pod}_{uid}"))
}

/// The run number of log file `path` (`<n>.log`); `None` for any other file.
pub fn run_of(path: &Path) -> Option<u32> {
    path.file_name()?
        .to_str()?
        .strip_suffix(".log")?
        .parse()
        .ok()
}

/// Removes the log files (and their rotated predecessors) of the runs before `keep_from` from a
/// container's log directory.
pub fn prune_runs(container_dir: &Path, keep_from: u32) {
    let Ok(entries) = fs::read_dir(container_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let log = path
            .to_str()
            .and_then(|p| p.strip_suffix(".1"))
            .map_or_else(|| path.clone(), PathBuf::from);
        if run_of(&log).is_some_and(|run| run < keep_from) {
            let _ = fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_current_and_previous_runs() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "0.log", "0.log.1", "1.log", "2.log", "2.log.1", "3.log", "notes",
        ] {
            fs::write(dir.path().join(name), "x").unwrap();
        }
        prune_runs(dir.path(), 2);
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["2.log", "2.log.1", "3.log", "notes"]);
    }

    #[test]
    fn paths() {
        let path = container_log_path(Path::new("/l"), "ns", "p", "u", "c", 3);
        assert_eq!(path, Path::new("/l/ns_p_u/c/3.log"));
        let cases = [
            ("/l/c/3.log", Some(3)),
            ("/l/c/0.log", Some(0)),
            ("/l/c/3.log.1", None),
            ("/l/c/3.pos", None),
            ("/l/c/x.log", None),
        ];
        for (path, want) in cases {
            assert_eq!(run_of(Path::new(path)), want, "{path}");
        }
    }
}
