//! Repacking Endpoints subsets into the canonical form (upstream's `RepackSubsets`): addresses
//! that serve exactly the same set of ports share one subset, an address is ready for a port if
//! any input said so, and everything is sorted so equal content compares equal.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset};

/// An address's identity: its IP and the UID of what it points at.
type AddrKey = (String, String);
/// A port's identity; `None` stands for "no ports" (a headless Service without ports).
type PortId = Option<(String, i32, String, String)>;

fn addr_key(a: &EndpointAddress) -> AddrKey {
    let uid = a.target_ref.as_ref().and_then(|t| t.uid.clone());
    (a.ip.clone(), uid.unwrap_or_default())
}

fn port_id(p: &EndpointPort) -> PortId {
    Some((
        p.name.clone().unwrap_or_default(),
        p.port,
        p.protocol.clone().unwrap_or_default(),
        p.app_protocol.clone().unwrap_or_default(),
    ))
}

/// The canonical form of `subsets`. Empty lists are left out (`None`), as the API omits them.
pub fn repack(subsets: &[EndpointSubset]) -> Vec<EndpointSubset> {
    let mut addrs: BTreeMap<AddrKey, EndpointAddress> = BTreeMap::new();
    let mut ports: BTreeMap<PortId, EndpointPort> = BTreeMap::new();
    let mut by_port: BTreeMap<PortId, BTreeMap<AddrKey, bool>> = BTreeMap::new();
    for subset in subsets {
        let listed: Vec<(PortId, Option<&EndpointPort>)> = match subset.ports.as_deref() {
            Some(ps) if !ps.is_empty() => ps.iter().map(|p| (port_id(p), Some(p))).collect(),
            _ => vec![(None, None)],
        };
        let ready = subset.addresses.iter().flatten().map(|a| (a, true));
        let not_ready = subset
            .not_ready_addresses
            .iter()
            .flatten()
            .map(|a| (a, false));
        let all: Vec<(&EndpointAddress, bool)> = ready.chain(not_ready).collect();
        for (id, port) in listed {
            if let Some(p) = port {
                ports.entry(id.clone()).or_insert_with(|| p.clone());
            }
            let set = by_port.entry(id).or_default();
            for (addr, is_ready) in &all {
                let key = addr_key(addr);
                addrs.entry(key.clone()).or_insert_with(|| (*addr).clone());
                let flag = set.entry(key).or_insert(*is_ready);
                *flag |= *is_ready;
            }
        }
    }

    let mut groups: BTreeMap<Vec<(AddrKey, bool)>, Vec<EndpointPort>> = BTreeMap::new();
    for (id, set) in by_port {
        let group = groups.entry(set.into_iter().collect()).or_default();
        if let Some(port) = id.and_then(|id| ports.remove(&Some(id))) {
            group.push(port);
        }
    }

    groups
        .into_iter()
        .map(|(members, mut group_ports)| {
            let pick = |want: bool| -> Option<Vec<EndpointAddress>> {
                let list: Vec<EndpointAddress> = members
                    .iter()
                    .filter(|(_, r)| *r == want)
                    .map(|(k, _)| addrs[k].clone())
                    .collect();
                (!list.is_empty()).then_some(list)
            };
            group_ports.sort_by_key(port_id);
            EndpointSubset {
                addresses: pick(true),
                not_ready_addresses: pick(false),
                ports: (!group_ports.is_empty()).then_some(group_ports),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(ip: &str) -> EndpointAddress {
        EndpointAddress {
            ip: ip.into(),
            ..Default::default()
        }
    }

    fn port(name: &str, n: i32) -> EndpointPort {
        EndpointPort {
            name: (!name.is_empty()).then(|| name.to_string()),
            port: n,
            protocol: Some("TCP".into()),
            ..Default::default()
        }
    }

    fn subset(ready: &[&str], not_ready: &[&str], ports: &[&EndpointPort]) -> EndpointSubset {
        let list = |ips: &[&str]| (!ips.is_empty()).then(|| ips.iter().map(|i| addr(i)).collect());
        EndpointSubset {
            addresses: list(ready),
            not_ready_addresses: list(not_ready),
            ports: (!ports.is_empty()).then(|| ports.iter().map(|p| (*p).clone()).collect()),
        }
    }

    /// `ready|not-ready|ports` per subset, e.g. `10.0.0.1,10.0.0.2|10.0.0.3|http:80`.
    fn show(subsets: &[EndpointSubset]) -> Vec<String> {
        subsets
            .iter()
            .map(|s| {
                let ips = |a: &Option<Vec<EndpointAddress>>| {
                    a.iter()
                        .flatten()
                        .map(|a| a.ip.clone())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let ports: Vec<String> = s
                    .ports
                    .iter()
                    .flatten()
                    .map(|p| format!("{}:{}", p.name.as_deref().unwrap_or(""), p.port))
                    .collect();
                format!(
                    "{}|{}|{}",
                    ips(&s.addresses),
                    ips(&s.not_ready_addresses),
                    ports.join(",")
                )
            })
            .collect()
    }

    #[test]
    fn table() {
        let http = port("http", 80);
        let metrics = port("metrics", 9090);
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<EndpointSubset>, Vec<&str>)> = vec![
            ("empty", vec![], vec![]),
            ("one per pod merge",
             vec![subset(&["10.0.0.2"], &[], &[&http]), subset(&["10.0.0.1"], &[], &[&http])],
             vec!["10.0.0.1,10.0.0.2||http:80"]),
            ("not ready kept apart",
             vec![subset(&["10.0.0.1"], &[], &[&http]), subset(&[], &["10.0.0.2"], &[&http])],
             vec!["10.0.0.1|10.0.0.2|http:80"]),
            ("same address, both ports",
             vec![subset(&["10.0.0.1"], &[], &[&http]), subset(&["10.0.0.1"], &[], &[&metrics])],
             vec!["10.0.0.1||http:80,metrics:9090"]),
            ("different port sets split",
             vec![subset(&["10.0.0.1"], &[], &[&http]), subset(&["10.0.0.1"], &[], &[&metrics]),
                  subset(&["10.0.0.2"], &[], &[&http])],
             vec!["10.0.0.1||metrics:9090", "10.0.0.1,10.0.0.2||http:80"]),
            ("ready wins over not ready",
             vec![subset(&[], &["10.0.0.1"], &[&http]), subset(&["10.0.0.1"], &[], &[&http])],
             vec!["10.0.0.1||http:80"]),
            ("no ports", vec![subset(&["10.0.0.1"], &[], &[])], vec!["10.0.0.1||"]),
        ];
        for (name, input, want) in cases {
            assert_eq!(show(&repack(&input)), want, "{name}");
        }
    }
}
