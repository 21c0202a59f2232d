//! Deterministic names derived from a pod UID: the netns file and the host end of the veth pair.
//!
//! A restarted agent recomputes these names to find what an earlier run created, so the
//! derivation must never change.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Name of the pod's interface inside its network namespace.
pub const POD_INTERFACE: &str = "eth0";

/// Its index: the first after `lo`'s in the pod's new namespace, asked for when it is created.
pub(crate) const POD_INTERFACE_INDEX: u32 = 2;

const HOST_VETH_PREFIX: &str = "veth";

/// Checks that `uid` is safe as a file name (Kubernetes UIDs are UUIDs, which always pass).
pub fn validate_uid(uid: &str) -> Result<()> {
    let ok = !uid.is_empty()
        && uid.len() <= 253
        && uid != "."
        && uid != ".."
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidUid(uid.to_owned()))
    }
}

/// Host end of the pod's veth pair: `veth` + 8 hex digits of the 32-bit FNV-1a hash of the UID
/// (12 characters, within the kernel's 15-character limit).
pub fn host_veth_name(uid: &str) -> String {
    format!("{HOST_VETH_PREFIX}{:08x}", fnv1a32(uid.as_bytes()))
}

/// Whether `name` has the shape [`host_veth_name`] produces.
pub fn is_host_veth_name(name: &str) -> bool {
    name.strip_prefix(HOST_VETH_PREFIX).is_some_and(|hex| {
        hex.len() == 8 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Directory holding the pods' netns bind mounts: `<run_dir>/netns`.
pub fn netns_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("netns")
}

/// Bind-mount path of a pod's network namespace: `<run_dir>/netns/<uid>`.
pub fn netns_path(run_dir: &Path, uid: &str) -> PathBuf {
    netns_dir(run_dir).join(uid)
}

fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_veth_names_are_stable_and_short() {
        let cases = [
            ("", "veth811c9dc5"),
            ("a", "vethe40c292c"),
            ("foobar", "vethbf9cf968"),
            ("0b7c3c5e-7a55-4a63-9a3e-4d4f0f1c2b11", "veth5c1f977f"),
        ];
        for (uid, want) in cases {
            let got = host_veth_name(uid);
            assert_eq!(got, want, "uid {uid:?}");
            assert!(got.len() <= 15);
            assert!(is_host_veth_name(&got));
        }
        assert_ne!(host_veth_name("pod-a"), host_veth_name("pod-b"));
    }

    #[test]
    fn host_veth_shape() {
        for (name, want) in [
            ("veth0123abcd", true),
            ("veth0123ABCD", false),
            ("veth0123abc", false),
            ("veth0123abcde", false),
            ("eth0", false),
            ("vxlan0123abcd", false),
        ] {
            assert_eq!(is_host_veth_name(name), want, "{name}");
        }
    }

    #[test]
    fn uid_validation() {
        for (uid, ok) in [
            ("0b7c3c5e-7a55-4a63-9a3e-4d4f0f1c2b11", true),
            ("pod_1.x", true),
            ("", false),
            (".", false),
            ("..", false),
            ("a/b", false),
            ("a b", false),
        ] {
            assert_eq!(validate_uid(uid).is_ok(), ok, "{uid:?}");
        }
        assert!(validate_uid(&"a".repeat(254)).is_err());
    }

    #[test]
    fn netns_paths() {
        assert_eq!(
            netns_path(Path::new("/run/kubelite"), "u1"),
            PathBuf::from("/run/kubelite/netns/u1")
        );
    }
}
