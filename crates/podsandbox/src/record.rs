//! `init.json`: which process is the pod's init. A PID alone is not an identity (PIDs are
//! reused), so the record pairs it with the process start time from `/proc/<pid>/stat`; the
//! init is "ours" only while both match and it is not a zombie.

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The pod init's identity, as seen from the agent's PID namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InitRecord {
    pub(crate) pid: i32,
    /// Field 22 of `/proc/<pid>/stat` (clock ticks since boot).
    pub(crate) start_time: u64,
}

/// What `/proc/<pid>/stat` says about a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) state: char,
    pub(crate) start_time: u64,
}

/// Parses the fields this crate needs from the text of `/proc/<pid>/stat`. The command name
/// (field 2) may contain spaces and parentheses, so fields are counted from the last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// Reads `/proc/<pid>/stat`; `None` if there is no such process.
pub(crate) fn proc_stat(pid: i32) -> Option<ProcStat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

impl InitRecord {
    /// The record of the calling process as the `/proc` mounted now sees it (the pod init reads
    /// its own before it mounts the pod's `/proc` over the node's): PID and start time both from
    /// `/proc/self/stat`.
    pub(crate) fn of_self() -> Option<InitRecord> {
        let text = fs::read_to_string("/proc/self/stat").ok()?;
        let pid = text.split_once(' ')?.0.parse().ok()?;
        parse_stat(&text).map(|stat| InitRecord {
            pid,
            start_time: stat.start_time,
        })
    }

    /// Whether the recorded process still runs (same start time, not a zombie). A zombie init
    /// has already taken every process of its PID namespace down with it.
    pub(crate) fn is_alive(&self) -> bool {
        proc_stat(self.pid).is_some_and(|stat| {
            stat.start_time == self.start_time && !matches!(stat.state, 'Z' | 'X')
        })
    }

    /// Reads the record; `None` if there is none.
    pub(crate) fn load(path: &Path) -> Result<Option<InitRecord>> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Protocol(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// Writes the record atomically (temporary file, then rename).
    pub(crate) fn store(&self, path: &Path) -> io::Result<()> {
        let tmp = path.with_extension("json.tmp");
        fs::write(&tmp, serde_json::to_vec(self).map_err(io::Error::other)?)?;
        fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines() {
        let cases = [
            (
                "1234 (sleep) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 98765 2363392 200",
                Some(ProcStat {
                    state: 'S',
                    start_time: 98765,
                }),
            ),
            (
                "77 (a) b) (c) Z 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
                Some(ProcStat {
                    state: 'Z',
                    start_time: 5,
                }),
            ),
            ("42 (short) R 1 2", None),
            ("garbage", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_stat(text), want, "{text}");
        }
    }

    #[test]
    fn own_process_is_alive_and_round_trips() {
        let me = InitRecord::of_self().unwrap();
        assert_eq!(me.pid, std::process::id() as i32);
        assert!(me.is_alive());
        let stale = InitRecord {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!stale.is_alive());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("init.json");
        assert_eq!(InitRecord::load(&path).unwrap(), None);
        me.store(&path).unwrap();
        assert_eq!(InitRecord::load(&path).unwrap(), Some(me));
    }
}
