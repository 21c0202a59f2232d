//! CRI container log lines (`<RFC3339Nano time> stdout|stderr F|P <text>`) and their
//! rendering for `kubectl logs`, the way kubelet renders them: the CRI prefix is stripped, a
//! full (`F`) entry ends with a newline while a partial (`P`) one continues in the next,
//! `timestamps` puts the time (re-formatted as Go's RFC3339Nano) and a space before each
//! line, `since` drops earlier entries and `limitBytes` cuts the output. Pure.

use jiff::Timestamp;

/// One parsed log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub time: Timestamp,
    /// `false` for a partial entry, continued by the next.
    pub full: bool,
    /// The content, without the newline.
    pub text: &'a [u8],
}

/// Parses one line (without its `\n`); `None` if it is not a CRI log line.
pub fn parse(line: &[u8]) -> Option<Entry<'_>> {
    let mut parts = line.splitn(4, |b| *b == b' ');
    let time = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let stream = parts.next()?;
    if stream != b"stdout" && stream != b"stderr" {
        return None;
    }
    let full = match parts.next()? {
        b"F" => true,
        b"P" => false,
        _ => return None,
    };
    Some(Entry {
        time,
        full,
        text: parts.next().unwrap_or(b""),
    })
}

/// The offset in `data` where its last `n` complete lines begin.
pub fn tail_start(data: &[u8], n: u64) -> usize {
    let complete = data.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    if n == 0 {
        return complete;
    }
    let mut seen = 0;
    for (i, b) in data[..complete].iter().enumerate().rev() {
        if *b == b'\n' && i + 1 != complete {
            seen += 1;
            if seen == n {
                return i + 1;
            }
        }
    }
    0
}

/// Formats Go's `time.RFC3339Nano`: UTC, fraction without trailing zeros.
pub fn format_time(time: Timestamp) -> String {
    time.to_string()
}

/// Renders entries for one log request, keeping state across calls (line starts, the byte
/// budget).
#[derive(Debug, Clone)]
pub struct Renderer {
    timestamps: bool,
    since: Option<Timestamp>,
    remaining: Option<u64>,
    line_start: bool,
}

impl Renderer {
    pub fn new(timestamps: bool, since: Option<Timestamp>, limit_bytes: Option<u64>) -> Self {
        Renderer {
            timestamps,
            since,
            remaining: limit_bytes,
            line_start: true,
        }
    }

    /// Whether the byte budget is used up.
    pub fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Appends the rendering of every complete line of `data` to `out`; malformed lines are
    /// skipped. Returns how many bytes of `data` were consumed (up to the last `\n`).
    pub fn render(&mut self, data: &[u8], out: &mut Vec<u8>) -> usize {
        let complete = data.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        for line in data[..complete].split(|b| *b == b'\n') {
            if self.exhausted() {
                break;
            }
            if let Some(entry) = parse(line) {
                self.entry(&entry, out);
            }
        }
        complete
    }

    fn entry(&mut self, entry: &Entry<'_>, out: &mut Vec<u8>) {
        if self.since.is_some_and(|since| entry.time < since) {
            return;
        }
        let mut rendered = Vec::with_capacity(entry.text.len() + 40);
        if self.timestamps && self.line_start {
            rendered.extend_from_slice(format_time(entry.time).as_bytes());
            rendered.push(b' ');
        }
        rendered.extend_from_slice(entry.text);
        if entry.full {
            rendered.push(b'\n');
        }
        self.line_start = entry.full;
        if let Some(remaining) = &mut self.remaining {
            let take = rendered
                .len()
                .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
            rendered.truncate(take);
            *remaining -= take as u64;
        }
        out.extend_from_slice(&rendered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
2024-05-01T10:00:00.000000000Z stdout F first
2024-05-01T10:00:01.500000000Z stderr F second
2024-05-01T10:00:02.123456789Z stdout P par
2024-05-01T10:00:02.200000000Z stdout F tial
not a log line
2024-05-01T10:00:03Z stdout F
2024-05-01T10:00:04Z stdout F incomplete";

    fn render(timestamps: bool, since: Option<&str>, limit: Option<u64>) -> String {
        let mut r = Renderer::new(timestamps, since.map(|s| s.parse().unwrap()), limit);
        let mut out = Vec::new();
        let used = r.render(LOG.as_bytes(), &mut out);
        assert_eq!(&LOG[used..], "2024-05-01T10:00:04Z stdout F incomplete");
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rendering() {
        let cases: &[(bool, Option<&str>, Option<u64>, &str)] = &[
            (false, None, None, "first\nsecond\npartial\n\n"),
            (
                true,
                None,
                None,
                "2024-05-01T10:00:00Z first\n2024-05-01T10:00:01.5Z second\n2024-05-01T10:00:02.123456789Z partial\n2024-05-01T10:00:03Z \n",
            ),
            (
                false,
                Some("2024-05-01T10:00:01.5Z"),
                None,
                "second\npartial\n\n",
            ),
            (false, None, Some(8), "first\nse"),
        ];
        for (timestamps, since, limit, want) in cases {
            assert_eq!(
                render(*timestamps, *since, *limit),
                *want,
                "timestamps={timestamps} since={since:?} limit={limit:?}"
            );
        }
    }

    #[test]
    fn tails() {
        let data = b"a\nb\nc\npart";
        let cases = [
            (0, "part"),
            (1, "c\npart"),
            (2, "b\nc\npart"),
            (3, "a\nb\nc\npart"),
            (9, "a\nb\nc\npart"),
        ];
        for (n, want) in cases {
            assert_eq!(&data[tail_start(data, n)..], want.as_bytes(), "n={n}");
        }
        assert_eq!(tail_start(b"", 3), 0);
    }

    #[test]
    fn parse_rejects_other_formats() {
        assert_eq!(parse(b"2024-05-01T10:00:00Z stdin F x"), None);
        assert_eq!(parse(b"2024-05-01T10:00:00Z stdout X x"), None);
        assert_eq!(parse(b"yesterday stdout F x"), None);
        assert_eq!(
            parse(b"2024-05-01T10:00:00Z stdout F a b").map(|e| e.text),
            Some(&b"a b"[..])
        );
    }
}
