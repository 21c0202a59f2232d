//! Where a pod sandbox keeps its state: `<state_dir>/<uid>/` holds `init.json` (the init's PID
//! and start time), `init.sock` (the control socket), `init.log` (the init's own messages) and
//! the `resolv.conf` and `hosts` files bind-mounted into the pod. A restarted agent recomputes
//! these paths from the UID, so they must never change.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The files of one pod sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) dir: PathBuf,
}

impl Layout {
    /// The layout of pod `uid` under `state_dir`, after checking that `uid` is a safe file name
    /// (Kubernetes UIDs are UUIDs, which always pass).
    pub(crate) fn new(state_dir: &Path, uid: &str) -> Result<Layout> {
        let ok = !uid.is_empty()
            && uid.len() <= 128
            && uid != "."
            && uid != ".."
            && uid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(Error::InvalidUid(uid.to_owned()));
        }
        Ok(Layout {
            dir: state_dir.join(uid),
        })
    }

    /// The layout of an existing pod directory (as the init receives it).
    pub(crate) fn at(dir: PathBuf) -> Layout {
        Layout { dir }
    }

    pub(crate) fn record(&self) -> PathBuf {
        self.dir.join("init.json")
    }

    pub(crate) fn socket(&self) -> PathBuf {
        self.dir.join("init.sock")
    }

    pub(crate) fn log(&self) -> PathBuf {
        self.dir.join("init.log")
    }

    pub(crate) fn resolv_conf(&self) -> PathBuf {
        self.dir.join("resolv.conf")
    }

    pub(crate) fn hosts(&self) -> PathBuf {
        self.dir.join("hosts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids() {
        let cases = [
            ("6f1c9a8e-0b1d-4d0e-9a43-2c8f3f6c1b2a", true),
            ("pod_1.x", true),
            ("", false),
            (".", false),
            ("..", false),
            ("a/b", false),
            ("a b", false),
        ];
        for (uid, ok) in cases {
            assert_eq!(Layout::new(Path::new("/s"), uid).is_ok(), ok, "{uid:?}");
        }
    }

    #[test]
    fn paths() {
        let layout = Layout::new(Path::new("/var/lib/kubelite/pods"), "u1").unwrap();
        assert_eq!(
            layout.socket(),
            Path::new("/var/lib/kubelite/pods/u1/init.sock")
        );
        assert_eq!(
            layout.record(),
            Path::new("/var/lib/kubelite/pods/u1/init.json")
        );
        assert_eq!(layout.hosts(), Path::new("/var/lib/kubelite/pods/u1/hosts"));
    }
}
