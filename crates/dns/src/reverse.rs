//! Reverse names (`4.3.2.1.in-addr.arpa.`, 32 nibbles of `ip6.arpa.`) to addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether a name, given as lowercase labels leftmost first, is in a reverse tree.
pub fn is_reverse(labels: &[&str]) -> bool {
    matches!(labels, [.., "in-addr", "arpa"] | [.., "ip6", "arpa"])
}

/// The address a full reverse name stands for; `None` for a partial or malformed one.
pub fn address(labels: &[&str]) -> Option<IpAddr> {
    match labels {
        [d, c, b, a, "in-addr", "arpa"] => {
            let octet = |s: &str| -> Option<u8> {
                // No signs, no leading zeros: exactly what an address prints as.
                if s.is_empty() || (s.len() > 1 && s.starts_with('0')) {
                    return None;
                }
                if !s.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                s.parse().ok()
            };
            Some(IpAddr::V4(Ipv4Addr::new(
                octet(a)?,
                octet(b)?,
                octet(c)?,
                octet(d)?,
            )))
        }
        [nibbles @ .., "ip6", "arpa"] if nibbles.len() == 32 => {
            let mut value: u128 = 0;
            for n in nibbles.iter().rev() {
                let &[c] = n.as_bytes() else {
                    return None;
                };
                let digit = (c as char).to_digit(16)?;
                value = (value << 4) | u128::from(digit);
            }
            Some(IpAddr::V6(Ipv6Addr::from(value)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, want: Option<&str>) {
        let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
        assert_eq!(address(&labels), want.map(|w| w.parse().unwrap()), "{name}");
    }

    #[test]
    fn addresses() {
        check("10.0.43.10.in-addr.arpa.", Some("10.43.0.10"));
        check("1.0.0.127.in-addr.arpa.", Some("127.0.0.1"));
        check("0.43.10.in-addr.arpa.", None);
        check("256.0.43.10.in-addr.arpa.", None);
        check("01.0.43.10.in-addr.arpa.", None);
        check("+1.0.43.10.in-addr.arpa.", None);
        check(
            "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.",
            Some("fd00::5"),
        );
        check("5.0.d.f.ip6.arpa.", None);
        check(
            "g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.",
            None,
        );
        check("example.com.", None);
    }

    #[test]
    fn trees() {
        assert!(is_reverse(&["1", "in-addr", "arpa"]));
        assert!(is_reverse(&["in-addr", "arpa"]));
        assert!(is_reverse(&["ip6", "arpa"]));
        assert!(!is_reverse(&["arpa"]));
    }
}
