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

/// One change of an [`Ipam::apply`] batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Give this pod UID an address (its current one if it has one).
    Allocate(String),
    /// Free this pod UID's address, if any.
    Release(String),
}

/// What a [`Change`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allocated(Ipv4Addr),
    /// The address freed, `None` if the UID had none.
    Released(Option<Ipv4Addr>),
}

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
        match self.apply(&[Change::Allocate(uid.to_owned())])?.pop() {
            Some(Ok(Outcome::Allocated(ip))) => Ok(ip),
            Some(Err(e)) => Err(e),
            _ => unreachable!("one allocation gives one allocation outcome"),
        }
    }

    /// Frees `uid`'s address (no-op if it has none), returning it.
    pub fn release(&mut self, uid: &str) -> Result<Option<Ipv4Addr>> {
        match self.apply(&[Change::Release(uid.to_owned())])?.pop() {
            Some(Ok(Outcome::Released(ip))) => Ok(ip),
            Some(Err(e)) => Err(e),
            _ => unreachable!("one release gives one release outcome"),
        }
    }

    /// Applies `changes` in order, each seeing the ones before it, and persists the result with
    /// one atomic write (so a burst of Pods costs one write, not one each). An allocation in an
    /// exhausted range fails alone; if the write fails, every change fails and nothing changes.
    pub fn apply(&mut self, changes: &[Change]) -> Result<Vec<Result<Outcome>>> {
        let mut next = self.state.clone();
        let mut changed = false;
        let outcomes: Vec<Result<Outcome>> = changes
            .iter()
            .map(|change| match change {
                Change::Allocate(uid) => {
                    if let Some(ip) = next.get(uid) {
                        return Ok(Outcome::Allocated(ip));
                    }
                    let ip = next
                        .allocate(uid)
                        .ok_or(Error::IpamExhausted(next.range().cidr()))?;
                    changed = true;
                    Ok(Outcome::Allocated(ip))
                }
                Change::Release(uid) => {
                    let ip = next.release(uid);
                    changed |= ip.is_some();
                    Ok(Outcome::Released(ip))
                }
            })
            .collect();
        if changed {
            self.commit(next)?;
        }
        Ok(outcomes)
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
    fn a_batch_is_applied_in_order_and_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ipam");
        let mut ipam = Ipam::open(&path, cidr()).unwrap();
        let first = ipam.allocate("u0").unwrap();
        let outcomes = ipam
            .apply(&[
                Change::Allocate("u1".into()),
                Change::Allocate("u0".into()),
                Change::Release("u1".into()),
                Change::Release("nobody".into()),
                Change::Allocate("u2".into()),
            ])
            .unwrap();
        let ips: Vec<Outcome> = outcomes.into_iter().map(Result::unwrap).collect();
        let Outcome::Allocated(u1) = ips[0] else {
            panic!("{ips:?}")
        };
        assert_eq!(ips[1], Outcome::Allocated(first), "u0 keeps its address");
        assert_eq!(ips[2], Outcome::Released(Some(u1)));
        assert_eq!(ips[3], Outcome::Released(None));
        let Outcome::Allocated(u2) = ips[4] else {
            panic!("{ips:?}")
        };
        assert_ne!(
            u2, u1,
            "a freed address is not reused before the range wraps"
        );
        // What a restarted agent reads back is the batch's result.
        let reopened = Ipam::open(&path, cidr()).unwrap();
        assert_eq!(reopened.get("u0"), Some(first));
        assert_eq!(reopened.get("u1"), None);
        assert_eq!(reopened.get("u2"), Some(u2));
    }

    #[test]
    fn an_exhausted_range_fails_only_that_allocation() {
        let dir = tempfile::tempdir().unwrap();
        let mut ipam = Ipam::open(dir.path().join("ipam"), cidr()).unwrap();
        let changes: Vec<Change> = (0..8).map(|i| Change::Allocate(format!("u{i}"))).collect();
        let outcomes = ipam.apply(&changes).unwrap();
        let ok = outcomes.iter().filter(|o| o.is_ok()).count();
        assert!(
            ok > 0 && ok < 8,
            "a /29 has fewer pod addresses than 8: {outcomes:?}"
        );
        assert!(matches!(outcomes[7], Err(Error::IpamExhausted(_))));
        assert_eq!(ipam.allocations().count(), ok);
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
