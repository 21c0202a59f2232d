//! Pure IPAM bookkeeping: which pod UID holds which address, and the "last allocated" cursor.
//!
//! Allocation walks forward from the cursor and wraps, so a released address is not handed out
//! again until every other free address has been used once (a replacement Pod gets a new IP).
//! This file also defines the state file's text format; it does no IO.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::pod_range::PodRange;

/// Allocations of one pod range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpamState {
    range: PodRange,
    last: Option<Ipv4Addr>,
    by_uid: BTreeMap<String, Ipv4Addr>,
    by_ip: BTreeMap<Ipv4Addr, String>,
}

/// Why a state file could not be decoded: the 1-based line and a reason.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The file names another CIDR.
    CidrMismatch(Ipv4Net),
    /// A malformed line.
    Bad { line: usize, reason: String },
}

const HEADER: &str =
    "# kubelite pod IPAM state (cidr, last allocated address, one `ip ADDRESS UID` per pod)";

impl IpamState {
    /// No allocations, cursor before the first address.
    pub fn new(range: PodRange) -> Self {
        IpamState {
            range,
            last: None,
            by_uid: BTreeMap::new(),
            by_ip: BTreeMap::new(),
        }
    }

    /// The range allocated from.
    pub fn range(&self) -> PodRange {
        self.range
    }

    /// The address most recently handed out.
    pub fn last(&self) -> Option<Ipv4Addr> {
        self.last
    }

    /// The address held by `uid`.
    pub fn get(&self, uid: &str) -> Option<Ipv4Addr> {
        self.by_uid.get(uid).copied()
    }

    /// All allocations, ordered by UID.
    pub fn allocations(&self) -> impl Iterator<Item = (&str, Ipv4Addr)> {
        self.by_uid.iter().map(|(uid, ip)| (uid.as_str(), *ip))
    }

    /// Gives `uid` an address: its existing one, else the first free address after the cursor
    /// (wrapping). `None` when the range is full.
    pub fn allocate(&mut self, uid: &str) -> Option<Ipv4Addr> {
        if let Some(ip) = self.get(uid) {
            return Some(ip);
        }
        let mut candidate = self.range.next(self.last.unwrap_or(self.range.last()));
        for _ in 0..self.range.size() {
            if !self.by_ip.contains_key(&candidate) {
                self.insert(uid, candidate);
                self.last = Some(candidate);
                return Some(candidate);
            }
            candidate = self.range.next(candidate);
        }
        None
    }

    /// Frees the address held by `uid`, returning it. The cursor does not move back.
    pub fn release(&mut self, uid: &str) -> Option<Ipv4Addr> {
        let ip = self.by_uid.remove(uid)?;
        self.by_ip.remove(&ip);
        Some(ip)
    }

    /// Releases every allocation whose UID `keep` rejects, returning them ordered by UID.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) -> Vec<(String, Ipv4Addr)> {
        let gone: Vec<String> = self
            .by_uid
            .keys()
            .filter(|uid| !keep(uid))
            .cloned()
            .collect();
        gone.into_iter()
            .filter_map(|uid| self.release(&uid).map(|ip| (uid, ip)))
            .collect()
    }

    fn insert(&mut self, uid: &str, ip: Ipv4Addr) {
        self.by_uid.insert(uid.to_owned(), ip);
        self.by_ip.insert(ip, uid.to_owned());
    }

    /// The state file's text.
    pub fn encode(&self) -> String {
        let mut out = format!("{HEADER}\ncidr {}\n", self.range.cidr());
        if let Some(last) = self.last {
            let _ = writeln!(out, "last {last}");
        }
        for (ip, uid) in &self.by_ip {
            let _ = writeln!(out, "ip {ip} {uid}");
        }
        out
    }

    /// Parses a state file written by [`IpamState::encode`] for `range`.
    pub fn decode(text: &str, range: PodRange) -> Result<Self, DecodeError> {
        let mut state = IpamState::new(range);
        let mut saw_cidr = false;
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let bad = |reason: String| DecodeError::Bad {
                line: line_no,
                reason,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                ["cidr", cidr] => {
                    let cidr: Ipv4Net = cidr.parse().map_err(|e| bad(format!("cidr: {e}")))?;
                    if cidr.trunc() != range.cidr() {
                        return Err(DecodeError::CidrMismatch(cidr));
                    }
                    saw_cidr = true;
                }
                ["last", ip] => {
                    let ip: Ipv4Addr = ip.parse().map_err(|e| bad(format!("last: {e}")))?;
                    range.check(ip).map_err(|e| bad(e.to_string()))?;
                    state.last = Some(ip);
                }
                ["ip", ip, uid] => {
                    let ip: Ipv4Addr = ip.parse().map_err(|e| bad(format!("ip: {e}")))?;
                    range.check(ip).map_err(|e| bad(e.to_string()))?;
                    if state.by_ip.contains_key(&ip) || state.by_uid.contains_key(*uid) {
                        return Err(bad(format!("duplicate allocation {ip} {uid}")));
                    }
                    state.insert(uid, ip);
                }
                _ => return Err(bad(format!("unexpected line {line:?}"))),
            }
        }
        if !saw_cidr {
            return Err(DecodeError::Bad {
                line: 0,
                reason: "missing cidr line".into(),
            });
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(cidr: &str) -> IpamState {
        IpamState::new(PodRange::new(cidr.parse().unwrap()).unwrap())
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn allocates_in_order_skipping_gateway() {
        let mut s = state("10.42.0.0/24");
        assert_eq!(s.allocate("a"), Some(ip("10.42.0.2")));
        assert_eq!(s.allocate("b"), Some(ip("10.42.0.3")));
        assert_eq!(s.allocate("a"), Some(ip("10.42.0.2")), "idempotent per uid");
        assert_eq!(s.get("b"), Some(ip("10.42.0.3")));
        assert_eq!(s.get("c"), None);
    }

    #[test]
    fn released_address_is_not_reused_until_wrap() {
        // /29: network .0, gateway .1, pods .2-.6, broadcast .7.
        let mut s = state("10.0.0.0/29");
        assert_eq!(s.allocate("a"), Some(ip("10.0.0.2")));
        assert_eq!(s.release("a"), Some(ip("10.0.0.2")));
        assert_eq!(s.release("a"), None);
        let got: Vec<_> = ["b", "c", "d", "e"]
            .iter()
            .map(|u| s.allocate(u).unwrap().to_string())
            .collect();
        assert_eq!(got, ["10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
        // Wrapped: the first free address after .6 is .2 again.
        assert_eq!(s.allocate("f"), Some(ip("10.0.0.2")));
        assert_eq!(s.allocate("g"), None, "range full");
        s.release("d");
        assert_eq!(s.allocate("g"), Some(ip("10.0.0.5")));
        assert_eq!(s.last(), Some(ip("10.0.0.5")));
    }

    #[test]
    fn never_hands_out_network_gateway_or_broadcast() {
        let mut s = state("10.0.0.0/30");
        assert_eq!(s.allocate("a"), Some(ip("10.0.0.2")));
        assert_eq!(s.allocate("b"), None);
    }

    #[test]
    fn retain_releases_unwanted() {
        let mut s = state("10.42.0.0/24");
        for uid in ["a", "b", "c"] {
            s.allocate(uid);
        }
        let gone = s.retain(|uid| uid == "b");
        assert_eq!(
            gone,
            vec![
                ("a".to_string(), ip("10.42.0.2")),
                ("c".to_string(), ip("10.42.0.4"))
            ]
        );
        assert_eq!(
            s.allocations().collect::<Vec<_>>(),
            vec![("b", ip("10.42.0.3"))]
        );
        assert_eq!(s.allocate("d"), Some(ip("10.42.0.5")), "cursor kept");
    }

    #[test]
    fn encode_decode_round_trip() {
        let mut s = state("10.42.0.0/24");
        s.allocate("pod-a");
        s.allocate("pod-b");
        s.release("pod-b");
        let text = s.encode();
        assert_eq!(
            text,
            format!("{HEADER}\ncidr 10.42.0.0/24\nlast 10.42.0.3\nip 10.42.0.2 pod-a\n")
        );
        assert_eq!(IpamState::decode(&text, s.range()).unwrap(), s);
    }

    #[test]
    fn decode_errors() {
        let range = PodRange::new("10.42.0.0/24".parse().unwrap()).unwrap();
        assert_eq!(
            IpamState::decode("cidr 10.42.1.0/24\n", range),
            Err(DecodeError::CidrMismatch("10.42.1.0/24".parse().unwrap()))
        );
        for (text, line) in [
            ("cidr 10.42.0.0/24\nip 10.42.0.1 a\n", 2),
            ("cidr 10.42.0.0/24\nip 10.42.0.2 a\nip 10.42.0.2 b\n", 3),
            ("cidr 10.42.0.0/24\nlast nope\n", 2),
            ("cidr 10.42.0.0/24\nwhat\n", 2),
            ("ip 10.42.0.2 a\n", 0),
        ] {
            match IpamState::decode(text, range) {
                Err(DecodeError::Bad { line: got, .. }) => assert_eq!(got, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
