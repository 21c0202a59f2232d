//! EndpointSlice address types (`IPv4`, `IPv6`): which a Service asks for, and which a given
//! address belongs to.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

/// An EndpointSlice's `addressType` (the deprecated `FQDN` is never produced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressType {
    IPv4,
    IPv6,
}

impl AddressType {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::IPv4 => "IPv4",
            AddressType::IPv6 => "IPv6",
        }
    }

    pub fn parse(s: &str) -> Option<AddressType> {
        match s {
            "IPv4" => Some(AddressType::IPv4),
            "IPv6" => Some(AddressType::IPv6),
            _ => None,
        }
    }

    pub fn of(ip: IpAddr) -> AddressType {
        match ip {
            IpAddr::V4(_) => AddressType::IPv4,
            IpAddr::V6(_) => AddressType::IPv6,
        }
    }
}

/// The address types a Service's slices carry: its `ipFamilies`; without them the family of its
/// ClusterIP; a headless Service without families gets both (as upstream does for Services
/// written before families existed).
pub fn for_service(svc: &Service) -> Vec<AddressType> {
    let spec = svc.spec.as_ref();
    let mut types: Vec<AddressType> = spec
        .and_then(|s| s.ip_families.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|f| match f.as_str() {
            "IPv4" => Some(AddressType::IPv4),
            "IPv6" => Some(AddressType::IPv6),
            _ => None,
        })
        .collect();
    types.sort();
    types.dedup();
    if !types.is_empty() {
        return types;
    }
    let cluster_ip = spec.and_then(|s| s.cluster_ip.as_deref()).unwrap_or("");
    match cluster_ip.parse::<IpAddr>() {
        Ok(ip) => vec![AddressType::of(ip)],
        Err(_) => vec![AddressType::IPv4, AddressType::IPv6],
    }
}

/// The family a Service's Endpoints addresses come from: its first `ipFamilies` entry, else its
/// ClusterIP's family, else IPv4.
pub fn primary_family(svc: &Service) -> AddressType {
    let spec = svc.spec.as_ref();
    let first = spec
        .and_then(|s| s.ip_families.as_ref())
        .and_then(|f| f.first())
        .and_then(|f| AddressType::parse(f));
    let from_cluster_ip = || {
        spec.and_then(|s| s.cluster_ip.as_deref())
            .and_then(|ip| ip.parse::<IpAddr>().ok())
            .map(AddressType::of)
    };
    first.or_else(from_cluster_ip).unwrap_or(AddressType::IPv4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ServiceSpec;

    fn svc(families: &[&str], cluster_ip: Option<&str>) -> Service {
        Service {
            spec: Some(ServiceSpec {
                ip_families: (!families.is_empty())
                    .then(|| families.iter().map(|f| f.to_string()).collect()),
                cluster_ip: cluster_ip.map(String::from),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn address_types_follow_families_then_cluster_ip() {
        use AddressType::*;
        let cases: &[(&[&str], Option<&str>, &[AddressType])] = &[
            (&["IPv4"], Some("10.43.0.5"), &[IPv4]),
            (&["IPv6", "IPv4"], None, &[IPv4, IPv6]),
            (&[], Some("10.43.0.5"), &[IPv4]),
            (&[], Some("fd00::5"), &[IPv6]),
            (&[], Some("None"), &[IPv4, IPv6]),
            (&[], None, &[IPv4, IPv6]),
        ];
        for (families, ip, want) in cases {
            assert_eq!(
                for_service(&svc(families, *ip)),
                *want,
                "{families:?} {ip:?}"
            );
        }
    }
}
