//! The running `kubelite up` of a data dir: it holds an exclusive lock on
//! `<data-dir>/kubelite.lock` for its whole life and writes its PID there, so `down` and
//! `status` find it, and a second `up` on the same data dir is refused.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long `up` keeps trying for the lock: `status` and `down` probe it with a shared lock of
/// their own for an instant, which must not make a starting `up` fail.
const LOCK_PATIENCE: Duration = Duration::from_millis(500);

fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join("kubelite.lock")
}

/// The lock of a running `up`; released when dropped (or when the process dies).
pub struct Instance {
    _file: File,
}

impl Instance {
    /// Takes the data dir's lock and records this process's PID in it.
    pub fn acquire(data_dir: &Path) -> anyhow::Result<Instance> {
        let path = lock_path(data_dir);
        let mut file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let deadline = Instant::now() + LOCK_PATIENCE;
        while file.try_lock().is_err() {
            if Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            let pid = fs::read_to_string(&path).unwrap_or_default();
            bail!(
                "the data dir {} is in use by another kubelite (pid {}); stop it first \
                 (`kubelite down --data-dir {0}`) or pass another --data-dir",
                data_dir.display(),
                pid.trim()
            );
        }
        file.set_len(0)?;
        write!(file, "{}", std::process::id())?;
        file.sync_all()?;
        Ok(Instance { _file: file })
    }
}

/// The PID of the `up` running on `data_dir`, if one is.
pub fn running(data_dir: &Path) -> Option<u32> {
    let path = lock_path(data_dir);
    let file = File::open(&path).ok()?;
    if file.try_lock_shared().is_ok() {
        return None;
    }
    fs::read_to_string(&path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_does_not_refuse_up_but_a_running_up_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        // `status` probing at the moment `up` starts: a shared lock held briefly.
        fs::write(lock_path(dir.path()), "").expect("lock file");
        let probe = File::open(lock_path(dir.path())).expect("open");
        probe.try_lock_shared().expect("shared lock");
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(probe);
        });
        let first = Instance::acquire(dir.path()).expect("up despite a probe");
        release.join().expect("probe thread");
        assert_eq!(running(dir.path()), Some(std::process::id()));

        let second = Instance::acquire(dir.path())
            .err()
            .expect("second up refused");
        assert!(
            second.to_string().contains("is in use by another kubelite"),
            "{second}"
        );
        drop(first);
        assert_eq!(running(dir.path()), None);
    }
}
