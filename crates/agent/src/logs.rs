//! Where container logs live. Each container run writes
//! `<logs_dir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log` in the CRI log format
//! (`<RFC3339Nano timestamp> stdout|stderr F|P <text>`, one line each), with at most one rotated
//! predecessor `<restartCount>.log.1` (written by [`crate::log_pump`], read and rendered for
//! `kubectl logs` by `kubelite-streaming`).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let path = container_log_path(Path::new("/l"), "ns", "p", "u", "c", 3);
        assert_eq!(path, Path::new("/l/ns_p_u/c/3.log"));
        let cases = [
            ("/l/c/3.log", Some(3)),
            ("/l/c/0.log", Some(0)),
            ("/l/c/3.log.1", None),
            ("/l/c/3.stdout.raw", None),
            ("/l/c/x.log", None),
        ];
        for (path, want) in cases {
            assert_eq!(run_of(Path::new(path)), want, "{path}");
        }
    }
}
