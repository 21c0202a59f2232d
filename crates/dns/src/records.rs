//! `Records`: an immutable snapshot of everything the cluster zone answers, indexed by Service
//! name and by IP. The watch loop builds a new one from the slim caches after each batch of
//! visible changes and publishes it atomically; the query path only reads snapshots.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use hickory_proto::rr::Name;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;

use crate::slim::{self, Address, Key, Port, ServiceKind};
use crate::state::State;

/// How `a-b-c-d.<ns>.pod.<zone>` names are answered (CoreDNS's `pods` option).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodMode {
    /// NXDOMAIN for every Pod name.
    Disabled,
    /// Echo the IP in the name without checking a Pod has it (kube-dns's behaviour).
    Insecure,
    /// Answer only when a Pod in that namespace has the IP (watches every Pod).
    Verified,
}

/// What the zone is built with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The cluster domain, e.g. `cluster.local`.
    pub zone: String,
    /// TTL of the answers, in seconds (CoreDNS's default is 5).
    pub ttl: u32,
    pub pods: PodMode,
    /// The addresses this server listens on: the Service whose endpoints hold one of them is
    /// the zone's name server.
    pub local_ips: Vec<IpAddr>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            zone: "cluster.local".into(),
            ttl: 5,
            pods: PodMode::Insecure,
            local_ips: Vec::new(),
        }
    }
}

/// A Service with the ready endpoints of its slices, one subset per slice.
#[derive(Debug)]
pub(crate) struct ServiceRecord {
    pub kind: ServiceKind,
    pub ports: Vec<Port>,
    pub subsets: Vec<Subset>,
}

#[derive(Debug)]
pub(crate) struct Subset {
    pub ports: Vec<Port>,
    pub addresses: Vec<Address>,
}

/// One snapshot of the cluster zone.
#[derive(Debug)]
pub struct Records {
    /// The zone, lowercase and fully qualified.
    pub(crate) zone: Name,
    pub(crate) synced: bool,
    pub(crate) serial: u32,
    pub(crate) ttl: u32,
    pub(crate) pods: PodMode,
    pub(crate) services: HashMap<Key, ServiceRecord>,
    pub(crate) namespaces: HashSet<String>,
    pub(crate) pod_ips: HashSet<(String, IpAddr)>,
    /// PTR targets by IP: the first Service with that ClusterIP, else every endpoint with it.
    pub(crate) reverse: HashMap<IpAddr, Vec<Name>>,
    /// The zone's name servers: (name, address).
    pub(crate) name_servers: Vec<(Name, IpAddr)>,
}

impl Records {
    /// The snapshot served before the caches have synced: every cluster name is SERVFAIL.
    pub fn unsynced(options: &Options) -> Records {
        let mut r = Records::build(&State::default(), options, 0);
        r.synced = false;
        r
    }

    /// A synced snapshot of exactly these objects (tests, fuzzing, benchmarks).
    pub fn from_objects(
        options: &Options,
        serial: u32,
        services: &[Service],
        slices: &[EndpointSlice],
        namespaces: &[&str],
        pods: &[Pod],
    ) -> Records {
        let state = State::listed(
            services.iter().map(slim::service).collect(),
            slices
                .iter()
                .map(slim::slice)
                .filter_map(|(k, s)| Some((k, s?)))
                .collect(),
            namespaces.iter().map(|n| n.to_string()),
            pods.iter().map(slim::pod).collect(),
        );
        Records::build(&state, options, serial)
    }

    /// The snapshot of `state`.
    pub(crate) fn build(state: &State, options: &Options, serial: u32) -> Records {
        let zone = zone_name(&options.zone);
        let mut services: HashMap<Key, ServiceRecord> = state
            .services
            .iter()
            .map(|(k, s)| {
                let rec = ServiceRecord {
                    kind: s.kind.clone(),
                    ports: s.ports.clone(),
                    subsets: Vec::new(),
                };
                (k.clone(), rec)
            })
            .collect();
        let mut reverse: HashMap<IpAddr, Vec<Name>> = HashMap::new();
        // ClusterIPs first: the first Service (in key order) with the IP names it.
        for (key, svc) in state.services.iter() {
            if let ServiceKind::ClusterIp(ips) = &svc.kind {
                for ip in ips {
                    if !reverse.contains_key(ip)
                        && let Some(name) = service_name(key, &zone)
                    {
                        reverse.insert(*ip, vec![name]);
                    }
                }
            }
        }
        let mut endpoint_ptrs: HashMap<IpAddr, Vec<Name>> = HashMap::new();
        for (_, slice) in state.slices.iter() {
            for addr in &slice.addresses {
                if reverse.contains_key(&addr.ip) {
                    continue;
                }
                if let Some(name) = endpoint_name(addr, &slice.service, &zone) {
                    let names = endpoint_ptrs.entry(addr.ip).or_default();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
            if let Some(svc) = services.get_mut(&slice.service) {
                svc.subsets.push(Subset {
                    ports: slice.ports.clone(),
                    addresses: slice.addresses.clone(),
                });
            }
        }
        reverse.extend(endpoint_ptrs);

        let mut name_servers = Vec::new();
        let mut keys: Vec<&Key> = services.keys().collect();
        keys.sort();
        for key in keys {
            let svc = &services[key];
            let local = svc.subsets.iter().any(|s| {
                s.addresses
                    .iter()
                    .any(|a| options.local_ips.contains(&a.ip))
            });
            if !local {
                continue;
            }
            match &svc.kind {
                ServiceKind::ClusterIp(ips) => {
                    if let Some(name) = service_name(key, &zone) {
                        name_servers.extend(ips.iter().map(|ip| (name.clone(), *ip)));
                    }
                }
                ServiceKind::Headless => {
                    for a in svc.subsets.iter().flat_map(|s| &s.addresses) {
                        if let Some(name) = endpoint_name(a, key, &zone) {
                            name_servers.push((name, a.ip));
                        }
                    }
                }
                ServiceKind::ExternalName(_) => {}
            }
        }
        if name_servers.is_empty()
            && let Ok(ns) = Name::from_ascii("ns.dns").and_then(|n| n.append_domain(&zone))
        {
            name_servers.extend(options.local_ips.iter().map(|ip| (ns.clone(), *ip)));
        }

        Records {
            zone,
            synced: true,
            serial,
            ttl: options.ttl,
            pods: options.pods,
            services,
            namespaces: state
                .namespaces
                .iter()
                .map(|(k, ())| k.name.clone())
                .collect(),
            pod_ips: state
                .pods
                .iter()
                .flat_map(|(k, ips)| ips.iter().map(|ip| (k.namespace.clone(), *ip)))
                .collect(),
            reverse,
            name_servers,
        }
    }

    /// Whether the caches had synced when this snapshot was built.
    pub fn synced(&self) -> bool {
        self.synced
    }

    /// The SOA serial: bumped on every change visible in DNS.
    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// The cluster zone, lowercase and fully qualified.
    pub fn zone(&self) -> &Name {
        &self.zone
    }
}

/// `zone` as a lowercase FQDN; the root when it does not parse.
fn zone_name(zone: &str) -> Name {
    let mut name = Name::from_ascii(zone.trim_end_matches('.'))
        .map(|n| n.to_lowercase())
        .unwrap_or_else(|_| Name::root());
    name.set_fqdn(true);
    name
}

/// `<svc>.<ns>.svc.<zone>`.
pub(crate) fn service_name(key: &Key, zone: &Name) -> Option<Name> {
    Name::from_labels([key.name.as_bytes(), key.namespace.as_bytes(), b"svc"])
        .ok()?
        .append_domain(zone)
        .ok()
}

/// `<hostname>.<svc>.<ns>.svc.<zone>`, the hostname being the endpoint's own or its dashed IP.
pub(crate) fn endpoint_name(addr: &Address, service: &Key, zone: &Name) -> Option<Name> {
    service_name(service, zone)?
        .prepend_label(endpoint_hostname(addr).as_bytes())
        .ok()
}

/// The first label of an endpoint's name (CoreDNS's `endpointHostname`).
pub(crate) fn endpoint_hostname(addr: &Address) -> String {
    if let Some(h) = &addr.hostname {
        return h.clone();
    }
    match addr.ip {
        IpAddr::V4(ip) => ip.to_string().replace('.', "-"),
        IpAddr::V6(ip) => {
            let s = ip.to_string().replace(':', "-");
            if s.ends_with('-') { s + "0" } else { s }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_hostnames() {
        let cases = [
            ("10.42.0.5", None, "10-42-0-5"),
            ("10.42.0.5", Some("web-0"), "web-0"),
            ("fd00::5", None, "fd00--5"),
            ("fd00::", None, "fd00--0"),
        ];
        for (ip, host, want) in cases {
            let addr = Address {
                ip: ip.parse().unwrap(),
                hostname: host.map(String::from),
            };
            assert_eq!(endpoint_hostname(&addr), want, "{ip}");
        }
    }

    #[test]
    fn zone_names() {
        assert_eq!(zone_name("Cluster.Local").to_string(), "cluster.local.");
        assert_eq!(zone_name("cluster.local.").to_string(), "cluster.local.");
    }
}
