//! ClusterIP and NodePort allocation, as kube-apiserver does at Service create and update.
//!
//! The allocators hold what is in use in memory and are rebuilt from the stored Services at
//! start, so nothing is handed out twice across a restart. Like upstream, a requested value is
//! taken as asked; dynamic values come at random from the upper part of the range first, leaving
//! the lower part to static requests.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use rand::Rng;

/// Why an allocation failed; `Display` is kube-apiserver's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocError {
    #[error("provided IP is already allocated")]
    IpTaken,
    #[error("the provided IP ({ip}) is not in the valid range. The range of valid IPs is {range}")]
    IpOutOfRange { ip: String, range: String },
    #[error("range is full")]
    IpFull,
    #[error("provided port is already allocated")]
    PortTaken,
    #[error("provided port is not in the valid range. The range of valid ports is {first}-{last}")]
    PortOutOfRange { first: u16, last: u16 },
    #[error("range is full")]
    PortFull,
}

/// Service IPs of one IPv4 CIDR. The network and broadcast addresses are never handed out.
#[derive(Debug)]
pub struct IpAllocator {
    net: Ipv4Net,
    used: BTreeSet<u32>,
    reserved: BTreeSet<u32>,
}

impl IpAllocator {
    /// `reserved` addresses are never given dynamically (the DNS service's), but may be requested.
    pub fn new(net: Ipv4Net, reserved: &[Ipv4Addr]) -> Self {
        IpAllocator {
            net,
            used: BTreeSet::new(),
            reserved: reserved.iter().map(|ip| u32::from(*ip)).collect(),
        }
    }

    pub fn range(&self) -> Ipv4Net {
        self.net
    }

    fn bounds(&self) -> (u32, u32) {
        let first = u32::from(self.net.network()) + 1;
        let last = u32::from(self.net.broadcast()).saturating_sub(1);
        (first, last.max(first))
    }

    /// The `n`th usable address (1 = the first after the network address).
    pub fn nth(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.net.network()) + n)
    }

    pub fn allocate(&mut self, ip: Ipv4Addr) -> Result<(), AllocError> {
        let v = u32::from(ip);
        let (first, last) = self.bounds();
        if v < first || v > last {
            return Err(AllocError::IpOutOfRange {
                ip: ip.to_string(),
                range: self.net.to_string(),
            });
        }
        if !self.used.insert(v) {
            return Err(AllocError::IpTaken);
        }
        Ok(())
    }

    pub fn allocate_next(&mut self) -> Result<Ipv4Addr, AllocError> {
        let (first, last) = self.bounds();
        let size = last - first + 1;
        // Upstream's split: min(max(16, size/16), 256) addresses at the bottom are for static use.
        let static_size = (size / 16).clamp(16, 256).min(size / 2);
        let dynamic_first = first + static_size;
        let pick = |lo: u32, hi: u32, used: &BTreeSet<u32>, reserved: &BTreeSet<u32>| {
            if lo > hi {
                return None;
            }
            let span = hi - lo + 1;
            let start = rand::rng().random_range(0..span);
            (0..span)
                .map(|i| lo + (start + i) % span)
                .find(|v| !used.contains(v) && !reserved.contains(v))
        };
        let v = pick(dynamic_first, last, &self.used, &self.reserved)
            .or_else(|| {
                pick(
                    first,
                    dynamic_first.saturating_sub(1),
                    &self.used,
                    &self.reserved,
                )
            })
            .ok_or(AllocError::IpFull)?;
        self.used.insert(v);
        Ok(Ipv4Addr::from(v))
    }

    pub fn release(&mut self, ip: Ipv4Addr) {
        self.used.remove(&u32::from(ip));
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.net.contains(&ip)
    }
}

/// NodePorts of a port range (30000-32767 by default).
#[derive(Debug)]
pub struct PortAllocator {
    first: u16,
    last: u16,
    used: BTreeSet<u16>,
}

impl PortAllocator {
    pub fn new(first: u16, last: u16) -> Self {
        PortAllocator {
            first,
            last,
            used: BTreeSet::new(),
        }
    }

    pub fn allocate(&mut self, port: i64) -> Result<(), AllocError> {
        if port < i64::from(self.first) || port > i64::from(self.last) {
            return Err(AllocError::PortOutOfRange {
                first: self.first,
                last: self.last,
            });
        }
        if !self.used.insert(port as u16) {
            return Err(AllocError::PortTaken);
        }
        Ok(())
    }

    pub fn allocate_next(&mut self) -> Result<u16, AllocError> {
        let size = u32::from(self.last - self.first) + 1;
        let static_size = (size / 16).clamp(16, 128).min(size / 2);
        let dynamic_first = u32::from(self.first) + static_size;
        let pick = |lo: u32, hi: u32, used: &BTreeSet<u16>| {
            if lo > hi {
                return None;
            }
            let span = hi - lo + 1;
            let start = rand::rng().random_range(0..span);
            (0..span)
                .map(|i| (lo + (start + i) % span) as u16)
                .find(|p| !used.contains(p))
        };
        let last = u32::from(self.last);
        let port = pick(dynamic_first, last, &self.used)
            .or_else(|| pick(u32::from(self.first), dynamic_first - 1, &self.used))
            .ok_or(AllocError::PortFull)?;
        self.used.insert(port);
        Ok(port)
    }

    pub fn release(&mut self, port: i64) {
        if let Ok(p) = u16::try_from(port) {
            self.used.remove(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_are_unique_in_range_and_reserved_ones_only_on_request() {
        let net: Ipv4Net = "10.43.0.0/28".parse().unwrap();
        let dns = Ipv4Addr::new(10, 43, 0, 10);
        let mut a = IpAllocator::new(net, &[dns]);
        a.allocate(a.nth(1)).unwrap();
        assert_eq!(a.allocate(a.nth(1)), Err(AllocError::IpTaken));
        let mut got = BTreeSet::new();
        while let Ok(ip) = a.allocate_next() {
            assert!(net.contains(&ip));
            assert_ne!(ip, dns);
            assert!(got.insert(ip));
        }
        // 14 usable addresses, one static, one reserved.
        assert_eq!(got.len(), 12);
        a.allocate(dns).unwrap();
        assert_eq!(
            a.allocate(Ipv4Addr::new(10, 0, 0, 5))
                .unwrap_err()
                .to_string(),
            "the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.43.0.0/28"
        );
        assert!(
            a.allocate(Ipv4Addr::new(10, 43, 0, 15)).is_err(),
            "broadcast"
        );
        a.release(dns);
        a.allocate(dns).unwrap();
    }

    #[test]
    fn dynamic_ips_avoid_the_static_block() {
        let net: Ipv4Net = "10.43.0.0/16".parse().unwrap();
        let mut a = IpAllocator::new(net, &[]);
        for _ in 0..100 {
            let ip = a.allocate_next().unwrap();
            assert!(
                u32::from(ip) >= u32::from(Ipv4Addr::new(10, 43, 1, 1)),
                "{ip}"
            );
        }
    }

    #[test]
    fn node_ports() {
        let mut p = PortAllocator::new(30000, 32767);
        p.allocate(30010).unwrap();
        assert_eq!(
            p.allocate(30010).unwrap_err().to_string(),
            "provided port is already allocated"
        );
        assert_eq!(
            p.allocate(8080).unwrap_err().to_string(),
            "provided port is not in the valid range. The range of valid ports is 30000-32767"
        );
        for _ in 0..50 {
            let port = p.allocate_next().unwrap();
            assert!((30128..=32767).contains(&port));
        }
        let mut small = PortAllocator::new(30000, 30003);
        let all: BTreeSet<u16> = (0..4).map(|_| small.allocate_next().unwrap()).collect();
        assert_eq!(all.len(), 4);
        assert_eq!(small.allocate_next(), Err(AllocError::PortFull));
    }
}
