//! The Go standard-library parsers whose behaviour whoami's users can see:
//! `url.ParseQuery` (query parameters), `strconv.ParseBool` (`?env=true`,
//! `--verbose=false`) and `time.ParseDuration` (`?wait=100ms`).

use std::time::Duration;

/// Query parameters parsed like Go's `url.ParseQuery`: `&`-separated
/// `key=value` pairs, `+` and `%XX` unescaped. Pairs Go rejects (a `;` in
/// the key, a bad escape) are skipped, as `URL.Query()` skips them.
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// Parses the raw query string (without the `?`).
    pub(crate) fn parse(raw: &str) -> Query {
        let mut pairs = Vec::new();
        for pair in raw.split('&') {
            if pair.is_empty() {
                continue;
            }
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key.contains(';') {
                continue;
            }
            if let (Some(key), Some(value)) = (unescape(key, true), unescape(value, true)) {
                pairs.push((key, value));
            }
        }
        Query(pairs)
    }

    /// The first value of `key`, or `""` (Go's `Values.Get`).
    pub(crate) fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Percent-decodes `s`; with `plus_is_space` a `+` becomes a space (query
/// encoding). `None` for a malformed escape. Invalid UTF-8 is replaced.
pub(crate) fn unescape(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration` for the durations `time.Sleep` waits on: `None`
/// for malformed or overflowing input, `Some(ZERO)` for negative durations
/// (Go sleeps for no time).
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after_dot[..frac_len];
            rest = &after_dot[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = rest
            .char_indices()
            .find(|&(_, c)| c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let unit_nanos: u128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        let mut nanos = whole.checked_mul(unit_nanos)?;
        if !frac_part.is_empty() {
            // Go keeps at most the digits that fit; 18 are plenty for nanoseconds.
            let digits = &frac_part[..frac_part.len().min(18)];
            let scale = 10u128.pow(u32::try_from(digits.len()).ok()?);
            nanos += digits.parse::<u128>().ok()? * unit_nanos / scale;
        }
        total = total.checked_add(nanos)?;
        if total > i64::MAX as u128 {
            return None;
        }
    }
    if negative {
        return Some(Duration::ZERO);
    }
    Some(Duration::from_nanos(u64::try_from(total).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_get_like_go() {
        let q = Query::parse("size=10&unit=KB&size=20&a+b=c%20d&bad=%zz&x;y=1&&flag");
        assert_eq!(q.get("size"), "10");
        assert_eq!(q.get("unit"), "KB");
        assert_eq!(q.get("a b"), "c d");
        assert_eq!(q.get("bad"), "");
        assert_eq!(q.get("x;y"), "");
        assert_eq!(q.get("flag"), "");
        assert_eq!(q.get("missing"), "");
    }

    #[test]
    fn parse_bool_like_strconv() {
        for s in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(s), Some(true), "{s}");
        }
        for s in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(s), Some(false), "{s}");
        }
        for s in ["", "yes", "tRUE", "2"] {
            assert_eq!(parse_bool(s), None, "{s}");
        }
    }

    #[test]
    fn parse_duration_like_time() {
        let ms = Duration::from_millis;
        let cases = [
            ("0", Some(Duration::ZERO)),
            ("100ms", Some(ms(100))),
            ("1s", Some(ms(1000))),
            ("1.5s", Some(ms(1500))),
            (".5s", Some(ms(500))),
            ("1m30s", Some(ms(90_000))),
            ("1h", Some(ms(3_600_000))),
            ("250us", Some(Duration::from_micros(250))),
            ("250\u{b5}s", Some(Duration::from_micros(250))),
            ("7ns", Some(Duration::from_nanos(7))),
            ("+2s", Some(ms(2000))),
            ("-2s", Some(Duration::ZERO)),
            ("", None),
            ("5", None),
            ("s", None),
            ("1x", None),
            (".s", None),
            ("3000000h", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_duration(input), want, "{input}");
        }
    }
}
