//! What the init does to its fresh namespaces before serving: mount propagation, the pod's
//! `/etc/resolv.conf` and `/etc/hosts`, a `/proc` for the new PID namespace, and the hostname.
//!
//! The mount namespace is made a recursive *slave*, not private: mounts made inside never reach
//! the node, yet unmounts on the node still propagate in. The node's netns directory (every
//! pod's network namespace is a bind mount in it) is then detached from this namespace: the pod
//! has no use for it, it would pin other pods' network namespaces, and as a slave of that
//! shared mount every pod's namespace would receive a copy of each new pod's netns mount, which
//! makes starting N pods cost N² mount copies under the kernel's global namespace lock.

use std::path::Path;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags, mount, umount2};

use crate::layout::Layout;

/// Sets up the pod's view of the system. Runs as PID 1 of the pod's new PID namespace, inside
/// its new mount and UTS namespaces.
pub(crate) fn enter_pod(layout: &Layout, hostname: &str, netns: &Path) -> Result<(), String> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("make / a slave mount: {e}"))?;
    if let Some(dir) = netns.parent() {
        match umount2(dir, MntFlags::MNT_DETACH) {
            // Not a mount point (or already gone): nothing to detach.
            Ok(()) | Err(Errno::EINVAL | Errno::ENOENT) => {}
            Err(e) => return Err(format!("detach {}: {e}", dir.display())),
        }
    }
    bind(&layout.resolv_conf(), Path::new("/etc/resolv.conf"))?;
    bind(&layout.hosts(), Path::new("/etc/hosts"))?;
    mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(|e| format!("mount /proc: {e}"))?;
    nix::unistd::sethostname(hostname).map_err(|e| format!("sethostname {hostname:?}: {e}"))
}

fn bind(source: &Path, target: &Path) -> Result<(), String> {
    mount(
        Some(source),
        target,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| {
        format!(
            "bind-mount {} on {}: {e}",
            source.display(),
            target.display()
        )
    })
}
