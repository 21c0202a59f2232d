//! Reading container logs as `kubectl logs` wants them. Each container run writes
//! `<logs_dir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log` in the CRI log format
//! (`<RFC3339Nano timestamp> stdout|stderr F|P <text>`, one line each), with at most one rotated
//! predecessor `<restartCount>.log.1` (see [`crate::log_pump`]). [`select`] is the pure part:
//! it applies `--since`, `--tail`, `--timestamps` and `--limit-bytes` to the text of those files.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use k8s_openapi::jiff::Timestamp;

/// `kubectl logs` options that decide which lines are returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// `--tail`: only the last N lines.
    pub tail: Option<usize>,
    /// `--since`/`--since-time`: only lines logged at or after this time.
    pub since: Option<Timestamp>,
    /// `--timestamps`: prefix each line with its RFC3339Nano timestamp and a space.
    pub timestamps: bool,
    /// `--limit-bytes`: stop after this many bytes of output.
    pub limit_bytes: Option<usize>,
}

/// One parsed CRI log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// When the runtime read it.
    pub time: Timestamp,
    /// The RFC3339Nano text of `time`, as written.
    pub time_text: &'a str,
    /// `stdout` or `stderr`.
    pub stream: &'a str,
    /// `false` for a `P` (partial) line, which continues in the next one.
    pub full: bool,
    /// The content, without the newline.
    pub text: &'a str,
}

/// Parses one CRI log line; `None` if it is malformed.
pub fn parse_line(line: &str) -> Option<LogLine<'_>> {
    let (time_text, rest) = line.split_once(' ')?;
    let (stream, rest) = rest.split_once(' ')?;
    let (tag, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let full = match tag {
        "F" => true,
        "P" => false,
        _ => return None,
    };
    if stream != "stdout" && stream != "stderr" {
        return None;
    }
    Some(LogLine {
        time: time_text.parse().ok()?,
        time_text,
        stream,
        full,
        text,
    })
}

/// The log file of run `restart` of container `container` of a pod.
pub fn container_log_path(
    logs_dir: &Path,
    namespace: &str,
    pod: &str,
    uid: &str,
    container: &str,
    restart: u32,
) -> PathBuf {
    pod_log_dir(logs_dir, namespace, pod, uid)
        .join(container)
        .join(format!("{restart}.log"))
}

/// The directory of all of a pod's logs (removed when the pod is deleted).
pub fn pod_log_dir(logs_dir: &Path, namespace: &str, pod: &str, uid: &str) -> PathBuf {
    logs_dir.join(format!("{namespace}_{pod}_{uid}"))
}

/// The path of the rotated predecessor of log file `path`.
pub fn rotated_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

/// Reads the log file `path` (and its rotated predecessor) and returns the selected output
/// lines, each ending with `\n` unless it is a trailing partial line. A missing file reads as
/// empty.
pub fn read(path: &Path, opts: &LogOptions) -> io::Result<Vec<String>> {
    let mut text = read_or_empty(&rotated_path(path))?;
    text.push_str(&read_or_empty(path)?);
    Ok(select(&text, opts))
}

fn read_or_empty(path: &Path) -> io::Result<String> {
    match fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e),
    }
}

/// Applies `opts` to CRI log text: partial lines are joined with their continuation, lines
/// before `since` are dropped, then the last `tail` lines are kept, then `timestamps` and
/// `limit_bytes` are applied. Pure.
pub fn select(text: &str, opts: &LogOptions) -> Vec<String> {
    let mut lines: Vec<(Timestamp, String, bool)> = Vec::new();
    let mut pending: Option<(Timestamp, String)> = None;
    for line in text.lines().filter_map(parse_line) {
        let (time, mut joined) = pending.take().unwrap_or((line.time, String::new()));
        joined.push_str(line.text);
        if line.full {
            lines.push((time, joined, true));
        } else {
            pending = Some((time, joined));
        }
    }
    if let Some((time, joined)) = pending {
        lines.push((time, joined, false));
    }
    if let Some(since) = opts.since {
        lines.retain(|(time, _, _)| *time >= since);
    }
    if let Some(tail) = opts.tail {
        let skip = lines.len().saturating_sub(tail);
        lines.drain(..skip);
    }
    let mut out = Vec::with_capacity(lines.len());
    let mut budget = opts.limit_bytes.unwrap_or(usize::MAX);
    for (time, text, full) in lines {
        let mut line = String::new();
        if opts.timestamps {
            line.push_str(&format_time(time));
            line.push(' ');
        }
        line.push_str(&text);
        if full {
            line.push('\n');
        }
        if line.len() >= budget {
            let mut cut = budget;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            if !line.is_empty() {
                out.push(line);
            }
            break;
        }
        budget -= line.len();
        out.push(line);
    }
    out
}

/// RFC3339 with nanoseconds, as the CRI log format and `kubectl logs --timestamps` write it
/// (Go's `time.RFC3339Nano`: trailing zeros of the fraction dropped).
pub fn format_time(time: Timestamp) -> String {
    format!("{time:.0}")
        .strip_suffix('Z')
        .map(|base| {
            let nanos = time.subsec_nanosecond();
            if nanos == 0 {
                format!("{base}Z")
            } else {
                let frac = format!("{nanos:09}");
                format!("{base}.{}Z", frac.trim_end_matches('0'))
            }
        })
        .unwrap_or_else(|| time.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2026-11-26T07:00:00.1Z stdout F first\n\
        2026-11-26T07:00:01Z stderr F oops\n\
        2026-11-26T07:00:02.5Z stdout P par\n\
        2026-11-26T07:00:02.6Z stdout F tial\n\
        garbage\n\
        2026-11-26T07:00:03Z stdout F last\n";

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn selections() {
        let cases: [(LogOptions, &[&str]); 6] = [
            (
                LogOptions::default(),
                &["first\n", "oops\n", "partial\n", "last\n"],
            ),
            (
                LogOptions {
                    tail: Some(2),
                    ..Default::default()
                },
                &["partial\n", "last\n"],
            ),
            (
                LogOptions {
                    tail: Some(0),
                    ..Default::default()
                },
                &[],
            ),
            (
                LogOptions {
                    since: Some(ts("2026-11-26T07:00:01Z")),
                    tail: Some(5),
                    ..Default::default()
                },
                &["oops\n", "partial\n", "last\n"],
            ),
            (
                LogOptions {
                    timestamps: true,
                    tail: Some(2),
                    ..Default::default()
                },
                &[
                    "2026-11-26T07:00:02.5Z partial\n",
                    "2026-11-26T07:00:03Z last\n",
                ],
            ),
            (
                LogOptions {
                    limit_bytes: Some(9),
                    ..Default::default()
                },
                &["first\n", "oop"],
            ),
        ];
        for (opts, want) in cases {
            assert_eq!(select(LOG, &opts), want, "{opts:?}");
        }
    }

    #[test]
    fn parsing_and_times() {
        let line = parse_line("2026-11-26T07:00:00.123456789Z stderr F a b").unwrap();
        assert_eq!((line.stream, line.full, line.text), ("stderr", true, "a b"));
        assert_eq!(parse_line("2026-11-26T07:00:00Z stdin F x"), None);
        assert_eq!(parse_line("nonsense"), None);
        assert_eq!(
            format_time(ts("2026-11-26T07:00:00.120Z")),
            "2026-11-26T07:00:00.12Z"
        );
        assert_eq!(
            format_time(ts("2026-11-26T07:00:00Z")),
            "2026-11-26T07:00:00Z"
        );
    }

    #[test]
    fn reads_rotated_then_current() {
        let dir = tempfile::tempdir().unwrap();
        let path = container_log_path(dir.path(), "ns", "p", "u", "c", 0);
        assert_eq!(
            read(&path, &LogOptions::default()).unwrap(),
            Vec::<String>::new()
        );
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(rotated_path(&path), "2026-11-26T07:00:00Z stdout F old\n").unwrap();
        fs::write(&path, "2026-11-26T07:00:01Z stdout F new\n").unwrap();
        assert_eq!(
            read(&path, &LogOptions::default()).unwrap(),
            ["old\n", "new\n"]
        );
        assert!(path.ends_with("ns_p_u/c/0.log"));
    }
}
