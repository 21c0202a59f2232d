//! `HumanDuration`, the AGE format of kubectl tables.
//!
//! Mirrors `k8s.io/apimachinery/pkg/util/duration.HumanDuration` (v0.33): about two or three
//! significant figures, with these thresholds:
//!
//! | duration          | format           |
//! |-------------------|------------------|
//! | < -1s             | `<invalid>`      |
//! | (-2s, 0s)         | `0s` (clock skew tolerated) |
//! | < 2m              | `95s`            |
//! | < 10m             | `3m12s` / `3m`   |
//! | < 3h              | `47m`            |
//! | < 8h              | `5h3m` / `5h`    |
//! | < 48h             | `30h`            |
//! | < 8d              | `3d4h` / `3d`    |
//! | < 2y (730d)       | `120d`           |
//! | < 8y              | `2y5d` / `2y`    |
//! | otherwise         | `9y`             |
//!
//! Every division truncates, as Go's integer arithmetic on `time.Duration` does.

use k8s_openapi::jiff::SignedDuration;

/// Formats `d` the way kube-apiserver formats ages and "ago" times.
pub fn human_duration(d: SignedDuration) -> String {
    // `as_secs` truncates toward zero, like Go's `int(d.Seconds())`.
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        let dy = days % 365;
        return if dy == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{dy}d")
        };
    }
    format!("{years}y")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60;
    const HOUR: i64 = 60 * MIN;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;

    fn check(d: SignedDuration, want: &str) {
        assert_eq!(human_duration(d), want, "duration {d:?}");
    }

    #[test]
    fn every_threshold_and_both_sides_of_it() {
        let cases: &[(i64, &str)] = &[
            (-3, "<invalid>"),
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (95, "95s"),
            (2 * MIN - 1, "119s"),
            (2 * MIN, "2m"),
            (2 * MIN + 1, "2m1s"),
            (3 * MIN + 12, "3m12s"),
            (5 * MIN, "5m"),
            (10 * MIN - 1, "9m59s"),
            (10 * MIN, "10m"),
            (10 * MIN + 59, "10m"),
            (47 * MIN, "47m"),
            (3 * HOUR - 1, "179m"),
            (3 * HOUR, "3h"),
            (3 * HOUR + 59, "3h"),
            (3 * HOUR + MIN, "3h1m"),
            (5 * HOUR + 3 * MIN, "5h3m"),
            (8 * HOUR - 1, "7h59m"),
            (8 * HOUR, "8h"),
            (8 * HOUR + 59 * MIN, "8h"),
            (30 * HOUR, "30h"),
            (48 * HOUR - 1, "47h"),
            (48 * HOUR, "2d"),
            (48 * HOUR + HOUR, "2d1h"),
            (3 * DAY + 4 * HOUR, "3d4h"),
            (8 * DAY - 1, "7d23h"),
            (8 * DAY, "8d"),
            (8 * DAY + 23 * HOUR, "8d"),
            (120 * DAY, "120d"),
            (2 * YEAR - 1, "729d"),
            (2 * YEAR, "2y"),
            (2 * YEAR + 5 * DAY, "2y5d"),
            (8 * YEAR - 1, "7y364d"),
            (8 * YEAR, "8y"),
            (9 * YEAR + 200 * DAY, "9y"),
            (100 * YEAR, "100y"),
        ];
        for &(secs, want) in cases {
            check(SignedDuration::from_secs(secs), want);
        }
    }

    #[test]
    fn sub_second_parts_truncate_toward_zero() {
        check(SignedDuration::from_millis(-1999), "0s");
        check(SignedDuration::from_millis(-2000), "<invalid>");
        check(SignedDuration::from_millis(999), "0s");
        check(SignedDuration::from_millis(119_999), "119s");
        check(SignedDuration::from_millis(120_500), "2m");
    }
}
