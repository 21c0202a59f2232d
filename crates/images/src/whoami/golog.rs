//! whoami's log output, formatted like the upstream Go programs'.
//!
//! traefik/whoami logs through Go's `log` package: standard error, each line
//! prefixed with `YYYY/MM/DD HH:MM:SS` (UTC in a container without a
//! timezone). Its `--verbose` access log uses the Common Log Format time
//! `02/Jan/2006:15:04:05 -0700`. The sixeyed image prints its start-up line on
//! standard output with no prefix.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A UTC calendar time, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
}

impl Civil {
    /// Converts seconds since the Unix epoch (days-from-civil inverse, valid
    /// for the whole proleptic Gregorian calendar).
    fn from_unix(secs: i64) -> Civil {
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400).unsigned_abs();
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
        let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: of_day / 3_600,
            minute: of_day % 3_600 / 60,
            second: of_day % 60,
        }
    }

    fn now() -> Civil {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        Civil::from_unix(secs)
    }

    /// Go's `log.LstdFlags` prefix: `2006/01/02 15:04:05`.
    fn log_prefix(self) -> String {
        format!(
            "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// Common Log Format time: `02/Jan/2006:15:04:05 -0700`.
    fn access_time(self) -> String {
        let month = MONTHS[usize::try_from(self.month - 1).unwrap_or(0)];
        format!(
            "{:02}/{month}/{:04}:{:02}:{:02}:{:02} +0000",
            self.day, self.year, self.hour, self.minute, self.second
        )
    }
}

/// Writes `message` to standard error as Go's `log.Printf` does.
pub(crate) fn log(message: &str) {
    let line = format!("{} {message}\n", Civil::now().log_prefix());
    // Like Go's log package, a failed write to stderr is ignored.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Writes `line` and a newline to standard output and flushes it, so that
/// `kubectl logs` sees it at once.
pub(crate) fn print(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// traefik/whoami's `--verbose` access-log message (logged with [`log`]).
pub(crate) fn access_message(remote_addr: &str, method: &str, path: &str, proto: &str) -> String {
    format!(
        "{remote_addr} - - [{}] \"{method} {path} {proto}\" - -",
        Civil::now().access_time()
    )
}

#[cfg(test)]
mod tests {
    use super::Civil;

    #[test]
    fn formats_like_go() {
        // (unix seconds, log prefix, access time)
        let cases = [
            (0, "1970/01/01 00:00:00", "01/Jan/1970:00:00:00 +0000"),
            (
                951_782_400,
                "2000/02/29 00:00:00",
                "29/Feb/2000:00:00:00 +0000",
            ),
            (
                1_700_000_000,
                "2023/11/14 22:13:20",
                "14/Nov/2023:22:13:20 +0000",
            ),
            (
                1_735_689_599,
                "2024/12/31 23:59:59",
                "31/Dec/2024:23:59:59 +0000",
            ),
            (-1, "1969/12/31 23:59:59", "31/Dec/1969:23:59:59 +0000"),
        ];
        for (secs, prefix, access) in cases {
            let civil = Civil::from_unix(secs);
            assert_eq!(civil.log_prefix(), prefix, "{secs}");
            assert_eq!(civil.access_time(), access, "{secs}");
        }
    }
}
