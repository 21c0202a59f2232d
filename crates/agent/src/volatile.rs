//! State that lives only as long as the node's Pods: the sandboxes' directories (sockets, init
//! records, the pods' `resolv.conf` and `hosts`, the containers' raw output) and the network
//! namespace mount points. The agent keeps them on a tmpfs of its own, as containerd keeps its
//! state under `/run`: creating a file there costs no inode on the data dir's disk (on a
//! journal-less ext4 each new inode is checked against recently deleted ones, a large share of a
//! Pod's start-up), and none of it is wanted after a reboot, which kills every Pod anyway.
//!
//! A directory that already holds files on disk (an agent of an older layout left running Pods)
//! stays on disk, so nothing is hidden under a new mount; one that is already a tmpfs (the agent
//! crashed and is starting again, or the whole data dir is on a tmpfs) is used as it is.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::statfs::{TMPFS_MAGIC, statfs};

use crate::error::{Error, Result};

/// Makes `dir` (created if missing) a tmpfs unless it already is one or holds files.
pub(crate) fn mount(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir)?;
    if is_tmpfs(dir)? {
        return Ok(());
    }
    if fs::read_dir(dir)?.next().is_some() {
        tracing::info!("{} holds files: kept on disk", dir.display());
        return Ok(());
    }
    nix::mount::mount(
        Some("tmpfs"),
        dir,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=0700"),
    )
    .map_err(|e| sys("mount a tmpfs on", dir, e))
}

/// Undoes [`mount`] once nothing lives in `dir` any more: unmounts it if it is a tmpfs mounted
/// on the directory itself (not a data dir that is on a tmpfs as a whole).
pub(crate) fn unmount(dir: &Path) -> Result<()> {
    if !dir.exists() || !is_tmpfs(dir)? || !is_mount_point(dir)? {
        return Ok(());
    }
    match nix::mount::umount2(dir, MntFlags::MNT_DETACH) {
        Ok(()) | Err(Errno::EINVAL | Errno::ENOENT) => Ok(()),
        Err(e) => Err(sys("unmount", dir, e)),
    }
}

fn is_tmpfs(dir: &Path) -> Result<bool> {
    let fs = statfs(dir).map_err(|e| sys("statfs", dir, e))?;
    Ok(fs.filesystem_type() == TMPFS_MAGIC)
}

/// A directory on another filesystem than its parent's is a mount point.
fn is_mount_point(dir: &Path) -> Result<bool> {
    let parent = dir.parent().unwrap_or(Path::new("/"));
    Ok(fs::metadata(dir)?.dev() != fs::metadata(parent)?.dev())
}

fn sys(op: &str, dir: &Path, errno: Errno) -> Error {
    Error::Io(io::Error::other(format!(
        "{op} {}: {}",
        dir.display(),
        errno.desc()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mounting needs a mount namespace of our own: the test re-runs itself under
    /// `unshare --mount` (we are root here and in CI).
    #[test]
    fn mounts_when_empty_keeps_files_and_unmounts() {
        if std::env::var_os("KUBELITE_VOLATILE_TEST_INNER").is_none() {
            let exe = std::env::current_exe().unwrap();
            let status = std::process::Command::new("unshare")
                .args(["--mount", "--propagation", "private"])
                .arg(exe)
                .args([
                    "--exact",
                    "volatile::tests::mounts_when_empty_keeps_files_and_unmounts",
                ])
                .env("KUBELITE_VOLATILE_TEST_INNER", "1")
                .status()
                .unwrap();
            assert!(status.success(), "inner test failed: {status}");
            return;
        }
        let base = tempfile::tempdir().unwrap();
        let empty = base.path().join("sb");
        mount(&empty).unwrap();
        assert!(is_tmpfs(&empty).unwrap());
        fs::write(empty.join("f"), "x").unwrap();
        // Mounting again (a restarted agent) keeps what is there.
        mount(&empty).unwrap();
        assert_eq!(fs::read_to_string(empty.join("f")).unwrap(), "x");

        let full = base.path().join("old");
        fs::create_dir(&full).unwrap();
        fs::write(full.join("f"), "y").unwrap();
        mount(&full).unwrap();
        assert!(!is_tmpfs(&full).unwrap() || is_tmpfs(base.path()).unwrap());
        assert_eq!(fs::read_to_string(full.join("f")).unwrap(), "y");

        unmount(&empty).unwrap();
        assert!(!empty.join("f").exists());
        assert_eq!(is_tmpfs(&empty).unwrap(), is_tmpfs(base.path()).unwrap());
        // Neither a directory that is not a mount point nor a missing one is an error.
        unmount(&full).unwrap();
        unmount(&base.path().join("missing")).unwrap();
    }
}
