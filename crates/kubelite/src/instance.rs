//! The running `kubelite up` of a data dir: it holds an exclusive lock on
//! `<data-dir>/kubelite.lock` for its whole life and writes its PID there, so `down` and
//! `status` find it, and a second `up` on the same data dir is refused.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

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
        if file.try_lock().is_err() {
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
