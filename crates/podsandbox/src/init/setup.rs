//! What the init does to its fresh namespaces before serving: mount propagation, the pod's
//! `/etc/resolv.conf` and `/etc/hosts`, a `/proc` for the new PID namespace, and the hostname.
//!
//! The mount namespace is a copy of the zygote's ([`crate::zygote`]): a recursive *slave* of
//! the node's, not private (mounts made inside never reach the node, yet unmounts on the node
//! still propagate in), without the node's netns directory.

use std::path::Path;

use nix::mount::{MsFlags, mount};

use crate::layout::Layout;

/// Sets up the pod's view of the system. Runs as PID 1 of the pod's new PID namespace, inside
/// its new mount and UTS namespaces.
pub(crate) fn enter_pod(layout: &Layout, hostname: &str) -> Result<(), String> {
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
