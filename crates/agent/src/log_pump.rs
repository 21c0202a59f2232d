//! Turns a container's raw output into its CRI log file. The pod init appends a container's
//! stdout and stderr to raw files in the pod's sandbox directory (on the agent's tmpfs, see
//! [`RawOutput`]); the agent pumps new bytes from them into the run's log `<n>.log` as CRI lines
//! stamped with the time it read them, remembers how far it got in a position file beside the
//! raw files (so a restarted agent neither repeats nor loses lines), truncates a raw file once
//! it has been consumed and exceeds [`RAW_LIMIT`], and rotates `<n>.log` to `<n>.log.1` past
//! [`LOG_LIMIT`], so a pod's logs stay bounded.
//! A write that lands between the last read and a truncation is lost; the window is one
//! `stat`-to-`ftruncate` of a file nobody else reads.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use k8s_openapi::jiff::Timestamp;

use kubelite_streaming::{format_time, rotated_path};

/// A consumed raw file larger than this is truncated.
pub const RAW_LIMIT: u64 = 1 << 20;
/// A log file larger than this is rotated (kubelet's `containerLogMaxSize` default).
pub const LOG_LIMIT: u64 = 10 << 20;
/// A line longer than this is written as partial (`P`) pieces (the CRI runtime's 16 KiB).
const MAX_LINE: usize = 16 << 10;

/// Where run `run` of a container writes its output and its pump keeps its position:
/// `<sandbox dir>/<container>.<run>.stdout`, `….stderr` and `….pos`. Transient like the
/// sandbox (the log file is what stays).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawOutput {
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub pos: PathBuf,
}

impl RawOutput {
    /// The files of run `run` of `container` in the sandbox directory `sandbox_dir`.
    pub fn new(sandbox_dir: &Path, container: &str, run: u32) -> RawOutput {
        let file = |suffix: &str| sandbox_dir.join(format!("{container}.{run}.{suffix}"));
        RawOutput {
            stdout: file("stdout"),
            stderr: file("stderr"),
            pos: file("pos"),
        }
    }

    /// Removes the files (the run's output is in its log by now, or lost with it).
    pub fn remove(&self) {
        for path in [&self.stdout, &self.stderr, &self.pos] {
            let _ = fs::remove_file(path);
        }
    }
}

/// The pump of one container run.
#[derive(Debug)]
pub struct LogPump {
    log: PathBuf,
    pos: PathBuf,
    streams: [Source; 2],
}

#[derive(Debug)]
struct Source {
    name: &'static str,
    path: PathBuf,
    offset: u64,
    pending: Vec<u8>,
}

impl LogPump {
    /// The pump from `raw` into log file `log`, resuming from `raw`'s position file.
    pub fn new(log: PathBuf, raw: RawOutput) -> LogPump {
        let offsets: Vec<u64> = fs::read_to_string(&raw.pos)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let offset = |i: usize| offsets.get(i).copied().unwrap_or(0);
        LogPump {
            streams: [
                Source {
                    name: "stdout",
                    path: raw.stdout,
                    offset: offset(0),
                    pending: Vec::new(),
                },
                Source {
                    name: "stderr",
                    path: raw.stderr,
                    offset: offset(1),
                    pending: Vec::new(),
                },
            ],
            log,
            pos: raw.pos,
        }
    }

    /// The log file this pump writes.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Moves new output into the log file. `flush` (the container has exited) also writes a
    /// trailing line without newline.
    pub fn pump(&mut self, now: Timestamp, flush: bool) -> io::Result<()> {
        let mut out = String::new();
        let mut moved = false;
        for source in &mut self.streams {
            moved |= source.read_new()?;
            out.push_str(&frame(&mut source.pending, source.name, now, flush));
            if source.pending.is_empty() {
                source.truncate_if_large()?;
            }
        }
        if !out.is_empty() {
            append_rotating(&self.log, out.as_bytes())?;
        }
        if moved {
            let [out, err] = &self.streams;
            let pos = format!("{} {}\n", out.consumed(), err.consumed());
            fs::write(&self.pos, pos)?;
        }
        Ok(())
    }
}

impl Source {
    /// Reads what was appended since `offset`; true if anything was.
    fn read_new(&mut self) -> io::Result<bool> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        if len < self.offset {
            self.offset = 0;
        }
        if len == self.offset {
            return Ok(false);
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let read = file
            .take(len - self.offset)
            .read_to_end(&mut self.pending)?;
        self.offset += read as u64;
        Ok(true)
    }

    /// The offset up to which output is in the log file (a held-back partial line is not).
    fn consumed(&self) -> u64 {
        self.offset - self.pending.len() as u64
    }

    /// Empties the raw file once everything in it is in the log and it has grown large.
    fn truncate_if_large(&mut self) -> io::Result<()> {
        if self.offset <= RAW_LIMIT {
            return Ok(());
        }
        let file = OpenOptions::new().write(true).open(&self.path)?;
        if file.metadata()?.len() == self.offset {
            file.set_len(0)?;
            self.offset = 0;
        }
        Ok(())
    }
}

/// Takes the complete lines (and, with `flush` or past [`MAX_LINE`], the rest) out of `buf`
/// as CRI log lines of `stream` stamped `now`. Pure.
pub fn frame(buf: &mut Vec<u8>, stream: &str, now: Timestamp, flush: bool) -> String {
    let time = format_time(now);
    let mut out = String::new();
    let mut start = 0;
    while start < buf.len() {
        let rest = &buf[start..];
        let (piece, tag, used) = match rest.iter().position(|&b| b == b'\n') {
            Some(nl) if nl <= MAX_LINE => (&rest[..nl], 'F', nl + 1),
            _ if rest.len() > MAX_LINE => (&rest[..MAX_LINE], 'P', MAX_LINE),
            _ if flush => (rest, 'F', rest.len()),
            _ => break,
        };
        out.push_str(&format!(
            "{time} {stream} {tag} {}\n",
            String::from_utf8_lossy(piece)
        ));
        start += used;
    }
    buf.drain(..start);
    out
}

fn append_rotating(log: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir)?;
    }
    let size = fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    if size > 0 && size + bytes.len() as u64 > LOG_LIMIT {
        fs::rename(log, rotated_path(log))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?
        .write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log's lines without their timestamps.
    fn entries(log: &Path) -> Vec<String> {
        fs::read_to_string(log)
            .unwrap()
            .lines()
            .map(|l| l.split_once(' ').unwrap().1.to_owned())
            .collect()
    }

    fn now() -> Timestamp {
        "2026-11-26T07:00:00.5Z".parse().unwrap()
    }

    #[test]
    fn framing() {
        let cases: [(&[u8], bool, &str, &[u8]); 4] = [
            (b"a\nb\n", false, "T stdout F a\nT stdout F b\n", b""),
            (b"a\nhalf", false, "T stdout F a\n", b"half"),
            (b"half", true, "T stdout F half\n", b""),
            (b"", true, "", b""),
        ];
        for (input, flush, want, left) in cases {
            let mut buf = input.to_vec();
            let got = frame(&mut buf, "stdout", now(), flush);
            assert_eq!(got.replace("2026-11-26T07:00:00.5Z", "T"), want);
            assert_eq!(buf, left);
        }
        let mut long = vec![b'x'; MAX_LINE + 3];
        let got = frame(&mut long, "stderr", now(), false);
        assert!(got.contains(" stderr P "));
        assert_eq!(long, b"xxx");
    }

    #[test]
    fn pumps_and_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("logs/c/0.log");
        let raw = RawOutput::new(&dir.path().join("sb"), "c", 0);
        fs::create_dir_all(dir.path().join("sb")).unwrap();
        fs::write(&raw.stdout, "one\ntw").unwrap();
        fs::write(&raw.stderr, "bad\n").unwrap();
        let mut pump = LogPump::new(log.clone(), raw.clone());
        pump.pump(now(), false).unwrap();
        assert_eq!(entries(&log), ["stdout F one", "stderr F bad"]);
        drop(pump);
        // A restarted agent continues after what is in the log; the partial "tw" was held
        // back, so it is read again.
        let mut file = OpenOptions::new().append(true).open(&raw.stdout).unwrap();
        file.write_all(b"o\n").unwrap();
        let mut pump = LogPump::new(log.clone(), raw);
        pump.pump(now(), true).unwrap();
        assert_eq!(
            entries(&log),
            ["stdout F one", "stderr F bad", "stdout F two"]
        );
    }
}
