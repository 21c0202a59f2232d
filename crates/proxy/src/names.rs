//! Names of the per-Service nftables objects, as kube-proxy's nftables mode forms them:
//! `<prefix><HASH>-<namespace>/<service>/<protocol>/<port name>` for Service chains, and the same
//! plus `__<endpoint IP>/<endpoint port>` for endpoint chains and affinity sets. HASH is the first
//! 8 characters of the base32 SHA-256 of the rest, so two names that differ in one digit are
//! still easy to tell apart.
//!
//! nftables identifiers may hold `[A-Za-z0-9_./-]` and must start with a letter, `_` or `.`:
//! namespace, Service and port names are DNS labels (`[a-z0-9-]`), protocols are `tcp`, `udp`
//! and `sctp`, and IPv4 addresses and ports are digits and dots, so every part is copied as is,
//! and the prefix makes the first character a letter. `/` never appears in an input, which is
//! why it separates the parts, and why a chain whose name holds a `/` is known to be a
//! per-Service chain (the stale-chain sweep relies on it). The longest possible name (three
//! 63-character names, 8-character prefix and hash, an IPv4 endpoint) is about 240 characters,
//! under nftables' 256-character limit, so names are never truncated.
//!
//! The shared endpoint chains are named after their entry and endpoint count:
//! `cluster-endpoints-N`, `external-endpoints-N`, `nodeport-endpoints-N`.

use std::net::Ipv4Addr;

use data_encoding::BASE32;
use ring::digest::{SHA256, digest};

use crate::model::{Entry, SharedChain};
use crate::snapshot::{Protocol, ServicePortName};

/// A shared chain's prefix.
fn shared_prefix(entry: Entry) -> &'static str {
    match entry {
        Entry::ClusterIp => "cluster-endpoints-",
        Entry::External => "external-endpoints-",
        Entry::NodePort => "nodeport-endpoints-",
    }
}

/// Prefix of the chain holding a Service port's endpoints for `Cluster` traffic policy.
pub const SERVICE_PREFIX: &str = "service-";
/// Prefix of the chain holding a Service port's node-local endpoints (`Local` policy).
pub const LOCAL_PREFIX: &str = "local-";
/// Prefix of the chain external (NodePort, LoadBalancer, externalIP) traffic goes to.
pub const EXTERNAL_PREFIX: &str = "external-";
/// Prefix of an endpoint's chain.
pub const ENDPOINT_PREFIX: &str = "endpoint-";
/// Prefix of an endpoint's ClientIP affinity set.
pub const AFFINITY_PREFIX: &str = "affinity-";

/// Whether `chain` is a per-Service chain (see the module docs).
pub fn is_service_chain(chain: &str) -> bool {
    chain.contains('/')
}

/// Whether `chain` is a shared endpoint chain: one of the prefixes and a number (so the fixed
/// `nodeport-endpoints-check` is not one).
pub fn is_shared_chain(chain: &str) -> bool {
    [Entry::ClusterIp, Entry::External, Entry::NodePort]
        .into_iter()
        .filter_map(|entry| chain.strip_prefix(shared_prefix(entry)))
        .any(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `chain` is one a sync may find unused and delete: a per-Service or a shared chain.
pub fn is_collectable_chain(chain: &str) -> bool {
    is_service_chain(chain) || is_shared_chain(chain)
}

impl SharedChain {
    /// `cluster-endpoints-N`, `external-endpoints-N` or `nodeport-endpoints-N`.
    pub fn name(&self) -> String {
        format!("{}{}", shared_prefix(self.entry), self.endpoints)
    }
}

/// Whether `set` is an affinity set.
pub fn is_affinity_set(set: &str) -> bool {
    set.starts_with(AFFINITY_PREFIX)
}

/// `ns/svc/proto/port`: the readable part of a Service port's names.
fn port_base(port: &ServicePortName) -> String {
    format!(
        "{}/{}/{}/{}",
        port.service.namespace,
        port.service.name,
        port.protocol.as_str(),
        port.port
    )
}

fn hashed(prefix: &str, hashed_input: &str, readable: &str) -> String {
    let sum = digest(&SHA256, hashed_input.as_bytes());
    let encoded = BASE32.encode(sum.as_ref());
    format!("{prefix}{}-{readable}", &encoded[..8])
}

/// A Service port's chain: `prefix` is [`SERVICE_PREFIX`], [`LOCAL_PREFIX`] or
/// [`EXTERNAL_PREFIX`].
pub fn service_chain(prefix: &str, port: &ServicePortName) -> String {
    let base = port_base(port);
    hashed(prefix, &base, &base)
}

/// The chain that DNATs to one endpoint of a Service port.
pub fn endpoint_chain(port: &ServicePortName, ip: Ipv4Addr, target: u16) -> String {
    let base = format!("{}__{ip}/{target}", port_base(port));
    hashed(ENDPOINT_PREFIX, &base, &base)
}

/// The ClientIP affinity set of one endpoint. The timeout is part of the hash, because nftables
/// cannot change a set's timeout in place: a new timeout makes a new set, and the old one is
/// deleted as stale.
pub fn affinity_set(port: &ServicePortName, ip: Ipv4Addr, target: u16, timeout: u32) -> String {
    let base = format!("{}__{ip}/{target}", port_base(port));
    hashed(AFFINITY_PREFIX, &format!("{base}#{timeout}"), &base)
}

/// `Protocol` as nftables writes it.
impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::ServiceName;

    fn port(ns: &str, svc: &str, proto: Protocol, name: &str) -> ServicePortName {
        ServicePortName {
            service: ServiceName::new(ns, svc),
            port: name.to_string(),
            protocol: proto,
        }
    }

    #[test]
    fn names_are_hashed_and_readable() {
        let p = port("ns1", "svc1", Protocol::Tcp, "p80");
        let chain = service_chain(SERVICE_PREFIX, &p);
        assert!(chain.starts_with("service-"), "{chain}");
        assert!(chain.ends_with("-ns1/svc1/tcp/p80"), "{chain}");
        assert_eq!(
            chain.len(),
            "service-".len() + 8 + "-ns1/svc1/tcp/p80".len()
        );
        // Deterministic, and different for a different port.
        assert_eq!(chain, service_chain(SERVICE_PREFIX, &p));
        let other = service_chain(SERVICE_PREFIX, &port("ns1", "svc1", Protocol::Udp, "p80"));
        assert_ne!(chain[8..16], other[8..16]);

        let ep = endpoint_chain(&p, Ipv4Addr::new(10, 180, 0, 1), 80);
        assert!(ep.starts_with("endpoint-"), "{ep}");
        assert!(ep.ends_with("-ns1/svc1/tcp/p80__10.180.0.1/80"), "{ep}");
        assert!(is_service_chain(&ep));
        assert!(!is_service_chain("nat-prerouting"));
    }

    #[test]
    fn shared_chain_names() {
        let chain = |entry, endpoints| SharedChain { entry, endpoints }.name();
        assert_eq!(chain(Entry::ClusterIp, 10), "cluster-endpoints-10");
        assert_eq!(chain(Entry::External, 1), "external-endpoints-1");
        assert_eq!(chain(Entry::NodePort, 3), "nodeport-endpoints-3");
        for name in [
            "cluster-endpoints-10",
            "external-endpoints-1",
            "nodeport-endpoints-3",
        ] {
            assert!(is_shared_chain(name), "{name}");
            assert!(is_collectable_chain(name), "{name}");
        }
        for name in [
            "nodeport-endpoints-check",
            "cluster-endpoints-",
            "services",
            "cluster-ips-check",
        ] {
            assert!(!is_shared_chain(name), "{name}");
            assert!(!is_collectable_chain(name), "{name}");
        }
        assert!(is_collectable_chain("service-AAAAAAAA-ns/svc/tcp/"));
    }

    #[test]
    fn affinity_sets_change_name_with_their_timeout() {
        let p = port("ns", "svc", Protocol::Tcp, "");
        let ip = Ipv4Addr::new(10, 42, 0, 5);
        let a = affinity_set(&p, ip, 80, 10800);
        let b = affinity_set(&p, ip, 80, 60);
        assert!(a.ends_with("-ns/svc/tcp/__10.42.0.5/80"), "{a}");
        assert!(is_affinity_set(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn the_longest_name_fits() {
        let long = "a".repeat(63);
        let p = port(&long, &long, Protocol::Sctp, &long);
        let ep = endpoint_chain(&p, Ipv4Addr::new(255, 255, 255, 255), 65535);
        assert!(ep.len() < 256, "{}", ep.len());
    }
}
