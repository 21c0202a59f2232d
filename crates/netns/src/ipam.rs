//! Host-local IPAM persisted in a small state file, so a restarted agent neither reuses an
//! in-use address nor rewinds the "last allocated" cursor. Every change is written atomically
//! (temporary file, fsync, rename, fsync of the directory) before it is visible in memory.

use std::fs;
use std::io::{self, Write as _};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;

use crate::error::{Error, Result};
use crate::ipam_state::{DecodeError, IpamState};
use crate::pod_range::PodRange;

/// Pod address allocator for one node's pod CIDR, backed by `state_file`.
#[derive(Debug)]
pub struct Ipam {
    path: PathBuf,
    state: IpamState,
}

impl Ipam {
    /// Loads `state_file` (an absent file means no allocations). Fails if the file belongs to
    /// another CIDR: a node's pod CIDR does not change under a running node.
    pub fn open(state_file: impl Into<PathBuf>, cidr: Ipv4Net) -> Result<Self> {
        let path = state_file.into();
        let range = PodRange::new(cidr)?;
        let state = match fs::read_to_string(&path) {
            Ok(text) => IpamState::decode(&text, range).map_err(|e| match e {
                DecodeError::CidrMismatch(found) => Error::IpamCidrMismatch {
                    path: path.clone(),
                    found,
                    expected: range.cidr(),
                },
                DecodeError::Bad { line, reason } => Error::IpamCorrupt {
                    path: path.clone(),
                    line,
                    reason,
                },
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => IpamState::new(range),
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        Ok(Ipam { path, state })
    }

    /// The pod range allocated from.
    pub fn range(&self) -> PodRange {
        self.state.range()
    }

    /// The address held by `uid`.
    pub fn get(&self, uid: &str) -> Option<Ipv4Addr> {
        self.state.get(uid)
    }

    /// All allocations, ordered by UID.
    pub fn allocations(&self) -> impl Iterator<Item = (&str, Ipv4Addr)> {
        self.state.allocations()
    }

    /// Returns `uid`'s address, allocating and persisting the next free one after the cursor if
    /// it has none.
    pub fn allocate(&mut self, uid: &str) -> Result<Ipv4Addr> {
        if let Some(ip) = self.state.get(uid) {
            return Ok(ip);
        }
        let mut next = self.state.clone();
        let ip = next
            .allocate(uid)
            .ok_or(Error::IpamExhausted(self.range().cidr()))?;
        self.commit(next)?;
        Ok(ip)
    }

    /// Frees `uid`'s address (no-op if it has none), returning it.
    pub fn release(&mut self, uid: &str) -> Result<Option<Ipv4Addr>> {
        let mut next = self.state.clone();
        let Some(ip) = next.release(uid) else {
            return Ok(None);
        };
        self.commit(next)?;
        Ok(Some(ip))
    }

    /// Frees every allocation whose UID `keep` rejects (garbage collection after a restart),
    /// returning what was freed.
    pub fn retain(&mut self, keep: impl FnMut(&str) -> bool) -> Result<Vec<(String, Ipv4Addr)>> {
        let mut next = self.state.clone();
        let gone = next.retain(keep);
        if !gone.is_empty() {
            self.commit(next)?;
        }
        Ok(gone)
    }

    fn commit(&mut self, next: IpamState) -> Result<()> {
        write_atomically(&self.path, next.encode().as_bytes())?;
        self.state = next;
        Ok(())
    }
}

fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let write = || -> io::Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()
    };
    write().map_err(|e| Error::io("write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io("rename into", path, e))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("sync", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr() -> Ipv4Net {
        "10.42.0.0/29".parse().unwrap()
    }

    #[test]
    fn survives_restart_without_rewinding() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state/ipam");
        let mut ipam = Ipam::open(&file, cidr()).unwrap();
        assert_eq!(ipam.allocate("a").unwrap().to_string(), "10.42.0.2");
        assert_eq!(ipam.allocate("b").unwrap().to_string(), "10.42.0.3");
        assert_eq!(
            ipam.release("a").unwrap().map(|ip| ip.to_string()),
            Some("10.42.0.2".into())
        );
        assert_eq!(ipam.release("a").unwrap(), None);
        drop(ipam);

        let mut ipam = Ipam::open(&file, cidr()).unwrap();
        assert_eq!(
            ipam.get("b").map(|ip| ip.to_string()),
            Some("10.42.0.3".into())
        );
        assert_eq!(
            ipam.allocate("c").unwrap().to_string(),
            "10.42.0.4",
            "cursor persisted"
        );
        assert_eq!(ipam.retain(|uid| uid == "c").unwrap().len(), 1);
        drop(ipam);

        let ipam = Ipam::open(&file, cidr()).unwrap();
        assert_eq!(
            ipam.allocations()
                .map(|(u, _)| u.to_string())
                .collect::<Vec<_>>(),
            ["c"]
        );
        assert!(!dir.path().join("state/ipam.tmp").exists());
    }

    #[test]
    fn exhaustion_and_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ipam");
        let mut ipam = Ipam::open(&file, "10.0.0.0/30".parse().unwrap()).unwrap();
        ipam.allocate("a").unwrap();
        assert!(matches!(ipam.allocate("b"), Err(Error::IpamExhausted(_))));
        assert!(matches!(
            Ipam::open(&file, cidr()),
            Err(Error::IpamCidrMismatch { .. })
        ));
        fs::write(&file, "cidr 10.0.0.0/30\nbogus\n").unwrap();
        assert!(matches!(
            Ipam::open(&file, "10.0.0.0/30".parse().unwrap()),
            Err(Error::IpamCorrupt { line: 2, .. })
        ));
    }
}
