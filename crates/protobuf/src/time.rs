//! `metav1.Time` and `metav1.MicroTime` as the JSON strings Go writes: RFC 3339 in UTC, whole
//! seconds for `Time` (`2006-01-02T15:04:05Z`) and six fractional digits for `MicroTime`
//! (`2006-01-02T15:04:05.000000Z`).

use jiff::{SignedDuration, Timestamp};

use crate::error::Error;

/// Go's zero `time.Time` (0001-01-01T00:00:00Z) in Unix seconds; it marshals as JSON `null`.
const GO_ZERO_UNIX: i64 = -62_135_596_800;

/// Which of the two time types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precision {
    Seconds,
    Micros,
}

/// Formats `seconds` + `nanos` since the Unix epoch; `None` for Go's zero time.
pub(crate) fn format(
    seconds: i64,
    nanos: i32,
    precision: Precision,
) -> Result<Option<String>, Error> {
    let invalid = |reason: String| Error::InvalidTime {
        seconds,
        nanos,
        reason,
    };
    // Go's time.Unix normalises nanos outside [0, 1e9) into the seconds.
    let instant = Timestamp::from_second(seconds)
        .and_then(|t| t.checked_add(SignedDuration::from_nanos(i64::from(nanos))))
        .map_err(|e| invalid(e.to_string()))?;
    if instant.as_second() == GO_ZERO_UNIX && instant.subsec_nanosecond() == 0 {
        return Ok(None);
    }
    let pattern = match precision {
        Precision::Seconds => "%Y-%m-%dT%H:%M:%SZ",
        Precision::Micros => "%Y-%m-%dT%H:%M:%S%.6fZ",
    };
    Ok(Some(instant.strftime(pattern).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        let cases = [
            (0, 0, Precision::Seconds, Some("1970-01-01T00:00:00Z")),
            (
                1_764_140_400,
                999_999_999,
                Precision::Seconds,
                Some("2025-11-26T07:00:00Z"),
            ),
            (
                1_764_140_400,
                123_456_789,
                Precision::Micros,
                Some("2025-11-26T07:00:00.123456Z"),
            ),
            (
                1_764_140_400,
                0,
                Precision::Micros,
                Some("2025-11-26T07:00:00.000000Z"),
            ),
            (-1, 0, Precision::Seconds, Some("1969-12-31T23:59:59Z")),
            (5, -1, Precision::Seconds, Some("1970-01-01T00:00:04Z")),
            (GO_ZERO_UNIX, 0, Precision::Seconds, None),
        ];
        for (seconds, nanos, precision, want) in cases {
            assert_eq!(
                format(seconds, nanos, precision).unwrap().as_deref(),
                want,
                "{seconds} {nanos}"
            );
        }
    }

    #[test]
    fn out_of_range_is_an_error() {
        assert!(matches!(
            format(i64::MAX, 0, Precision::Seconds),
            Err(Error::InvalidTime { .. })
        ));
    }
}
