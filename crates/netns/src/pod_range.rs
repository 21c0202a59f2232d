//! The usable addresses of a node's pod CIDR: the gateway is the first host address, pods get the
//! rest, and the network and broadcast addresses are never handed out.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::error::{Error, Result};

/// A pod CIDR checked to leave at least one pod address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodRange {
    cidr: Ipv4Net,
}

impl PodRange {
    /// Validates `cidr` (host bits are ignored: `10.42.0.7/24` means `10.42.0.0/24`).
    pub fn new(cidr: Ipv4Net) -> Result<Self> {
        let cidr = cidr.trunc();
        if cidr.prefix_len() > 30 {
            return Err(Error::CidrTooSmall(cidr));
        }
        Ok(PodRange { cidr })
    }

    /// The network this range covers.
    pub fn cidr(&self) -> Ipv4Net {
        self.cidr
    }

    /// The node bridge's address: the first host address of the CIDR.
    pub fn gateway(&self) -> Ipv4Addr {
        offset(self.cidr.network(), 1)
    }

    /// First address a pod may get (the one after the gateway).
    pub fn first(&self) -> Ipv4Addr {
        offset(self.cidr.network(), 2)
    }

    /// Last address a pod may get (the one before the broadcast address).
    pub fn last(&self) -> Ipv4Addr {
        offset(self.cidr.broadcast(), -1)
    }

    /// Number of pod addresses.
    pub fn size(&self) -> u32 {
        u32::from(self.last()) - u32::from(self.first()) + 1
    }

    /// Whether `ip` may be given to a pod.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (self.first()..=self.last()).contains(&ip)
    }

    /// The pod address after `ip`, wrapping from the last to the first.
    pub fn next(&self, ip: Ipv4Addr) -> Ipv4Addr {
        if ip >= self.last() || ip < self.first() {
            self.first()
        } else {
            offset(ip, 1)
        }
    }

    /// Checks that `ip` is a pod address of this range.
    pub fn check(&self, ip: Ipv4Addr) -> Result<()> {
        if self.contains(ip) {
            Ok(())
        } else {
            Err(Error::AddressOutOfRange {
                ip,
                cidr: self.cidr,
            })
        }
    }
}

fn offset(ip: Ipv4Addr, by: i64) -> Ipv4Addr {
    Ipv4Addr::from((i64::from(u32::from(ip)) + by) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> PodRange {
        PodRange::new(s.parse().unwrap()).unwrap()
    }

    #[test]
    fn bounds() {
        for (cidr, gw, first, last, size) in [
            ("10.42.0.0/24", "10.42.0.1", "10.42.0.2", "10.42.0.254", 253),
            ("10.42.1.9/24", "10.42.1.1", "10.42.1.2", "10.42.1.254", 253),
            ("10.42.0.0/30", "10.42.0.1", "10.42.0.2", "10.42.0.2", 1),
            (
                "10.42.0.0/16",
                "10.42.0.1",
                "10.42.0.2",
                "10.42.255.254",
                65533,
            ),
        ] {
            let r = range(cidr);
            assert_eq!(r.gateway().to_string(), gw, "{cidr}");
            assert_eq!(r.first().to_string(), first, "{cidr}");
            assert_eq!(r.last().to_string(), last, "{cidr}");
            assert_eq!(r.size(), size, "{cidr}");
        }
    }

    #[test]
    fn too_small() {
        for cidr in ["10.0.0.0/31", "10.0.0.0/32"] {
            assert!(
                matches!(
                    PodRange::new(cidr.parse().unwrap()),
                    Err(Error::CidrTooSmall(_))
                ),
                "{cidr}"
            );
        }
    }

    #[test]
    fn membership_and_next() {
        let r = range("10.42.0.0/24");
        for (ip, ok) in [
            ("10.42.0.0", false),
            ("10.42.0.1", false),
            ("10.42.0.2", true),
            ("10.42.0.254", true),
            ("10.42.0.255", false),
            ("10.42.1.2", false),
        ] {
            assert_eq!(r.contains(ip.parse().unwrap()), ok, "{ip}");
        }
        let next = |ip: &str| r.next(ip.parse().unwrap()).to_string();
        assert_eq!(next("10.42.0.2"), "10.42.0.3");
        assert_eq!(next("10.42.0.254"), "10.42.0.2");
        assert_eq!(next("10.42.0.1"), "10.42.0.2");
    }
}
