//! Named network namespaces: a bind mount of a namespace at a path, created and entered only on a
//! namespace thread ([`crate::ns_threads`]).

use std::fs;
use std::io;
use std::os::fd::AsFd as _;
use std::path::Path;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;

use crate::error::{Error, Result};
use crate::netlink::{ConnectionParts, Netlink};
use crate::ns_threads;

/// Creates a new network namespace bind-mounted at `path` (which must not exist) and returns a
/// netlink session inside it. On failure nothing is left at `path`.
pub(crate) async fn create(path: &Path) -> Result<Netlink> {
    let path = path.to_owned();
    let parts = ns_threads::run(move || {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("create", &path, e))?;
        let made = nix::sched::unshare(CloneFlags::CLONE_NEWNET)
            .map_err(|source| Error::Sys {
                op: "unshare(CLONE_NEWNET)",
                source,
            })
            .and_then(|()| {
                nix::mount::mount(
                    Some("/proc/thread-self/ns/net"),
                    &path,
                    None::<&str>,
                    MsFlags::MS_BIND,
                    None::<&str>,
                )
                .map_err(|source| Error::Sys {
                    op: "bind-mount network namespace",
                    source,
                })
            });
        if let Err(e) = made {
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        Netlink::connect_here()
    })
    .await?;
    Netlink::start(parts)
}

/// Opens a netlink session inside the namespace mounted at `path`; `None` if `path` is missing or
/// is not a network namespace (a half-created sandbox).
pub(crate) async fn open(path: &Path) -> Result<Option<Netlink>> {
    let path = path.to_owned();
    let parts: Option<ConnectionParts> = ns_threads::run(move || {
        let file = match fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("open", &path, e)),
        };
        match nix::sched::setns(file.as_fd(), CloneFlags::CLONE_NEWNET) {
            Ok(()) => Netlink::connect_here().map(Some),
            Err(Errno::EINVAL) => Ok(None),
            Err(source) => Err(Error::Sys {
                op: "setns(CLONE_NEWNET)",
                source,
            }),
        }
    })
    .await?;
    parts.map(Netlink::start).transpose()
}

/// Unmounts and deletes the namespace file at `path`; whatever is already gone is fine.
pub(crate) fn remove(path: &Path) -> Result<()> {
    match nix::mount::umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(Errno::EINVAL | Errno::ENOENT) => {}
        Err(source) => {
            return Err(Error::Sys {
                op: "unmount network namespace",
                source,
            });
        }
    }
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

/// Undoes [`prepare_dir`]: unmounts `dir` (the netns directory under the agent's own run
/// directory) once no pod namespace is mounted in it; a directory that is not a mount point is
/// fine.
pub(crate) fn release_dir(dir: &Path) -> Result<()> {
    match nix::mount::umount2(dir, MntFlags::MNT_DETACH) {
        Ok(()) | Err(Errno::EINVAL | Errno::ENOENT) => Ok(()),
        Err(source) => Err(Error::Sys {
            op: "unmount the netns directory",
            source,
        }),
    }
}

/// Creates `dir` and makes it a shared mount point (as `ip netns` does with /run/netns), so that
/// unmounting a namespace here also releases copies of the mount in mount namespaces created
/// later (containers). A directory that is not yet a mount point is bind-mounted onto itself.
pub(crate) fn prepare_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let make_shared = || {
        nix::mount::mount(
            None::<&str>,
            dir,
            None::<&str>,
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    match make_shared() {
        Ok(()) => return Ok(()),
        Err(Errno::EINVAL) => {}
        Err(source) => {
            return Err(Error::Sys {
                op: "make netns directory a shared mount",
                source,
            });
        }
    }
    nix::mount::mount(
        Some(dir),
        dir,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|source| Error::Sys {
        op: "bind-mount netns directory onto itself",
        source,
    })?;
    make_shared().map_err(|source| Error::Sys {
        op: "make netns directory a shared mount",
        source,
    })
}
