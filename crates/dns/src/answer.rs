//! The answer to one question from one snapshot: pure, no IO, no clock.
//!
//! It follows CoreDNS's kubernetes plugin (`handler.go`, `kubernetes.go`, `reverse.go` and
//! `plugin/backend_lookup.go`): a name is first turned into *entries* (an address or a CNAME
//! target, a port and the name an SRV points at), and each query type renders them. A name
//! error is NXDOMAIN; a name that exists without records of the type is NODATA (NOERROR, no
//! answer); both carry the zone's SOA in the authority section. Reverse names are answered
//! only for ClusterIPs and endpoint IPs; plain one-label names get NXDOMAIN; everything else
//! outside the zone is forwarded.

use std::collections::HashSet;
use std::net::IpAddr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::{A, AAAA, CNAME, NS, PTR, SOA, SRV, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::parse::{self, Kind, RecordRequest};
use crate::records::{self, Records, ServiceRecord};
use crate::reverse;
use crate::slim::{Key, ServiceKind};

/// The version of the Kubernetes DNS schema served at `dns-version.<zone>`.
pub const SCHEMA_VERSION: &str = "1.1.0";
/// TTL of the `dns-version` TXT record (CoreDNS's).
const VERSION_TTL: u32 = 28800;
/// How many CNAMEs a chain may hold (CoreDNS's `maxCnameChainLength`).
const MAX_CNAME_CHAIN: usize = 10;
/// Stands for a label that is not UTF-8: it matches no Kubernetes name.
const NOT_A_NAME: &str = "\0";

/// One question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// As the client sent it: answers keep its case.
    pub name: Name,
    pub qtype: RecordType,
}

/// What to do with a question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// An authoritative answer from the cluster zone.
    Zone(Reply),
    /// Not the cluster's: ask the upstream resolvers.
    Forward,
}

/// An authoritative reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub rcode: ResponseCode,
    /// Whether the AA bit is set (all but REFUSED).
    pub authoritative: bool,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    pub additionals: Vec<Record>,
    /// The target of an ExternalName CNAME outside the zone: its records (same type as the
    /// question) are to be looked up upstream and appended to the answers.
    pub chase: Option<Name>,
}

impl Reply {
    fn new(rcode: ResponseCode) -> Reply {
        Reply {
            rcode,
            authoritative: true,
            answers: Vec::new(),
            authorities: Vec::new(),
            additionals: Vec::new(),
            chase: None,
        }
    }
}

/// Answers `q` from `records`.
pub fn answer(records: &Records, q: &Question) -> Response {
    let lower = q.name.to_lowercase();
    let labels: Vec<&str> = lower
        .iter()
        .map(|l| std::str::from_utf8(l).unwrap_or(NOT_A_NAME))
        .collect();
    let zone_len = usize::from(records.zone.num_labels());
    if records.zone.zone_of(&lower) {
        let ctx = Ctx {
            records,
            zone: query_case_zone(&q.name, zone_len),
        };
        return Response::Zone(ctx.zone_reply(q, &labels[..labels.len() - zone_len]));
    }
    if reverse::is_reverse(&labels)
        && q.qtype == RecordType::PTR
        && records.synced
        && let Some(names) = reverse::address(&labels).and_then(|ip| records.reverse.get(&ip))
    {
        let mut reply = Reply::new(ResponseCode::NoError);
        reply.answers = names
            .iter()
            .map(|n| record(&q.name, records.ttl, RData::PTR(PTR(n.clone()))))
            .collect();
        return Response::Zone(reply);
    }
    if labels.len() == 1 {
        // A plain name (`whoami.`, the last try of a search list) is never sent upstream, as
        // dnsmasq's `domain-needed` and systemd-resolved do: no public zone holds one, and a
        // node without a reachable resolver would turn "no such name" into SERVFAIL.
        return Response::Zone(Reply {
            authoritative: false,
            ..Reply::new(ResponseCode::NXDomain)
        });
    }
    Response::Forward
}

/// The zone as the question spells it (CoreDNS keeps the query's case).
fn query_case_zone(name: &Name, zone_len: usize) -> Name {
    // `num_labels` does not count a leading `*`; the iterator does.
    let skip = name.iter().count().saturating_sub(zone_len);
    let mut zone = Name::from_labels(name.iter().skip(skip)).unwrap_or_else(|_| Name::root());
    zone.set_fqdn(true);
    zone
}

fn record(name: &Name, ttl: u32, data: RData) -> Record {
    Record::from_rdata(name.clone(), ttl, data)
}

/// The name does not exist (NXDOMAIN).
struct NameError;

/// What a name resolves to, before a query type renders it.
struct Entry {
    host: Host,
    /// `None` for a port-less endpoint: it gives addresses but no SRV.
    port: Option<u16>,
    /// The name an SRV record points at.
    target: Name,
}

enum Host {
    Ip(IpAddr),
    /// An ExternalName's CNAME target.
    Alias(Name),
}

struct Ctx<'r> {
    records: &'r Records,
    /// The zone in the question's case: owner of the SOA.
    zone: Name,
}

impl Ctx<'_> {
    fn ttl(&self) -> u32 {
        self.records.ttl
    }

    fn zone_reply(&self, q: &Question, rel: &[&str]) -> Reply {
        if !self.records.synced {
            return self.negative(ResponseCode::ServFail);
        }
        let result = match q.qtype {
            RecordType::A | RecordType::AAAA => self
                .addresses(&q.name, rel, q.qtype, &mut Vec::new())
                .map(|(answers, chase)| (answers, Vec::new(), chase)),
            RecordType::TXT => self.txt(&q.name, rel).map(|a| (a, Vec::new(), None)),
            RecordType::CNAME => self.cname(&q.name, rel).map(|a| (a, Vec::new(), None)),
            RecordType::SRV => self.srv(&q.name, rel).map(|(a, x)| (a, x, None)),
            // Names exist or not as for A; they hold no PTR or MX records.
            RecordType::PTR => self.entries(rel).map(|_| Default::default()),
            RecordType::MX => self
                .entries_for(rel, RecordType::MX)
                .map(|_| Default::default()),
            RecordType::SOA if rel.is_empty() => Ok((vec![self.soa()], Vec::new(), None)),
            RecordType::SOA => Ok(Default::default()),
            RecordType::AXFR | RecordType::IXFR => {
                let mut reply = Reply::new(ResponseCode::Refused);
                reply.authoritative = false;
                return reply;
            }
            RecordType::NS if rel.is_empty() => Ok(self.ns(&q.name)),
            // Any other type: the name exists (NODATA) when an A lookup finds no name error.
            _ => self
                .addresses(&q.name, rel, RecordType::A, &mut Vec::new())
                .map(|_| Default::default()),
        };
        match result {
            Err(NameError) => self.negative(ResponseCode::NXDomain),
            Ok((answers, _, _)) if answers.is_empty() => self.negative(ResponseCode::NoError),
            Ok((answers, additionals, chase)) => {
                let mut reply = Reply::new(ResponseCode::NoError);
                reply.answers = answers;
                reply.additionals = additionals;
                reply.chase = chase;
                reply
            }
        }
    }

    /// NXDOMAIN, NODATA or SERVFAIL, with the SOA as authority.
    fn negative(&self, rcode: ResponseCode) -> Reply {
        let mut reply = Reply::new(rcode);
        reply.authorities.push(self.soa());
        reply
    }

    fn soa(&self) -> Record {
        let join = |label: &[u8]| {
            Name::from_labels([label])
                .and_then(|n| n.append_domain(&self.zone))
                .unwrap_or_else(|_| self.zone.clone())
        };
        let mname = Name::from_labels([&b"ns"[..], b"dns"])
            .and_then(|n| n.append_domain(&self.zone))
            .unwrap_or_else(|_| self.zone.clone());
        let soa = SOA::new(
            mname,
            join(b"hostmaster"),
            self.records.serial,
            7200,
            1800,
            86400,
            self.ttl(),
        );
        record(&self.zone, self.ttl().min(300), RData::SOA(soa))
    }

    /// What `rel` names, for query type `qtype` (CoreDNS's `Services`, less TXT and NS).
    fn entries_for(&self, rel: &[&str], qtype: RecordType) -> Result<Vec<Entry>, NameError> {
        if rel == ["ns", "dns"] {
            let want_v4 = match qtype {
                RecordType::A => true,
                RecordType::AAAA => false,
                _ => return Ok(Vec::new()),
            };
            return Ok(self
                .records
                .name_servers
                .iter()
                .filter(|(_, ip)| ip.is_ipv4() == want_v4)
                .map(|(name, ip)| Entry {
                    host: Host::Ip(*ip),
                    port: None,
                    target: name.clone(),
                })
                .collect());
        }
        let mut entries = self.entries(rel)?;
        if qtype == RecordType::SRV {
            entries.retain(|e| matches!(e.host, Host::Ip(_)));
        }
        Ok(entries)
    }

    /// What `rel` names (CoreDNS's `Records`).
    fn entries(&self, rel: &[&str]) -> Result<Vec<Entry>, NameError> {
        let r = parse::parse(rel).map_err(|parse::Invalid| NameError)?;
        let Some(kind) = r.kind else {
            return Ok(Vec::new());
        };
        if !self.records.namespaces.contains(r.namespace) {
            return Err(NameError);
        }
        match kind {
            Kind::Pod => self.pods(&r),
            Kind::Svc => self.services(&r),
        }
    }

    fn pods(&self, r: &RecordRequest<'_>) -> Result<Vec<Entry>, NameError> {
        if self.records.pods == records::PodMode::Disabled {
            return Err(NameError);
        }
        if r.service.is_empty() {
            return Ok(Vec::new());
        }
        let ip = if r.service.matches('-').count() == 3 && !r.service.contains("--") {
            r.service.replace('-', ".")
        } else {
            r.service.replace('-', ":")
        };
        let ip: IpAddr = ip.parse().map_err(|_| NameError)?;
        if self.records.pods == records::PodMode::Verified
            && !self
                .records
                .pod_ips
                .contains(&(r.namespace.to_string(), ip))
        {
            return Err(NameError);
        }
        let target = Name::from_labels([r.service, r.namespace, "pod"])
            .and_then(|n| n.append_domain(&self.records.zone))
            .map_err(|_| NameError)?;
        Ok(vec![Entry {
            host: Host::Ip(ip),
            port: Some(0),
            target,
        }])
    }

    fn services(&self, r: &RecordRequest<'_>) -> Result<Vec<Entry>, NameError> {
        if r.service.is_empty() {
            return Ok(Vec::new());
        }
        let key = Key::new(r.namespace, r.service);
        let svc: &ServiceRecord = self.records.services.get(&key).ok_or(NameError)?;
        let zone = &self.records.zone;
        let service_name = records::service_name(&key, zone).ok_or(NameError)?;
        let mut entries = Vec::new();
        if let ServiceKind::ExternalName(target) = &svc.kind {
            if !r.endpoint.is_empty() || !r.port.is_empty() || !r.protocol.is_empty() {
                return Err(NameError);
            }
            // An IP is not a name to alias (CoreDNS answers NXDOMAIN).
            if target.parse::<IpAddr>().is_err()
                && let Ok(mut alias) = Name::from_ascii(target)
            {
                alias.set_fqdn(true);
                entries.push(Entry {
                    host: Host::Alias(alias),
                    port: None,
                    target: service_name,
                });
            }
        } else if svc.kind == ServiceKind::Headless || !r.endpoint.is_empty() {
            for subset in &svc.subsets {
                for addr in &subset.addresses {
                    let hostname = records::endpoint_hostname(addr);
                    if !r.endpoint.is_empty() && r.endpoint != hostname {
                        continue;
                    }
                    for p in &subset.ports {
                        if !port_matches(r, &p.name, &p.protocol) {
                            continue;
                        }
                        if let Ok(target) = service_name.prepend_label(hostname.as_bytes()) {
                            entries.push(Entry {
                                host: Host::Ip(addr.ip),
                                port: p.port,
                                target,
                            });
                        }
                    }
                }
            }
        } else if let ServiceKind::ClusterIp(ips) = &svc.kind {
            let mut any_port = false;
            for p in &svc.ports {
                if !port_matches(r, &p.name, &p.protocol) {
                    continue;
                }
                any_port = true;
                entries.extend(ips.iter().map(|ip| Entry {
                    host: Host::Ip(*ip),
                    port: p.port,
                    target: service_name.clone(),
                }));
            }
            // A Service exists through its ports: with none matching, the name does not.
            if !any_port {
                return Err(NameError);
            }
            return Ok(entries);
        }
        if entries.is_empty() {
            return Err(NameError);
        }
        Ok(entries)
    }

    /// A and AAAA records, following in-zone CNAMEs; the second value is an out-of-zone
    /// CNAME target to look up upstream.
    fn addresses(
        &self,
        owner: &Name,
        rel: &[&str],
        qtype: RecordType,
        chain: &mut Vec<Name>,
    ) -> Result<(Vec<Record>, Option<Name>), NameError> {
        let mut out: Vec<Record> = Vec::new();
        let mut seen: HashSet<IpAddr> = HashSet::new();
        let mut chase = None;
        for e in self.entries_for(rel, qtype)? {
            match e.host {
                Host::Alias(target) => {
                    if target == *owner || chain.len() > MAX_CNAME_CHAIN || chain.contains(&target)
                    {
                        continue;
                    }
                    let cname = record(owner, self.ttl(), RData::CNAME(CNAME(target.clone())));
                    if self.records.zone.zone_of(&target) {
                        let lower = target.to_lowercase();
                        let labels: Vec<&str> = lower
                            .iter()
                            .map(|l| std::str::from_utf8(l).unwrap_or(NOT_A_NAME))
                            .collect();
                        let zone_len = usize::from(self.records.zone.num_labels());
                        chain.push(target.clone());
                        let next = self.addresses(
                            &target,
                            &labels[..labels.len() - zone_len],
                            qtype,
                            chain,
                        );
                        if let Ok((next, next_chase)) = next
                            && !next.is_empty()
                        {
                            out.push(cname);
                            out.extend(next);
                            chase = chase.or(next_chase);
                        }
                        continue;
                    }
                    out.push(cname);
                    chase = Some(target);
                }
                Host::Ip(ip) => {
                    let data = match (qtype, ip) {
                        (RecordType::A, IpAddr::V4(v4)) => RData::A(A(v4)),
                        (RecordType::AAAA, IpAddr::V6(v6)) => RData::AAAA(AAAA(v6)),
                        _ => continue,
                    };
                    if seen.insert(ip) {
                        out.push(record(owner, self.ttl(), data));
                    }
                }
            }
        }
        Ok((out, chase))
    }

    fn txt(&self, owner: &Name, rel: &[&str]) -> Result<Vec<Record>, NameError> {
        if rel == ["dns-version"] {
            let txt = TXT::new(vec![SCHEMA_VERSION.to_string()]);
            return Ok(vec![record(owner, VERSION_TTL, RData::TXT(txt))]);
        }
        // The name holds no TXT: NODATA if it holds anything else, NXDOMAIN if not.
        match self.entries(rel) {
            Ok(entries) if !entries.is_empty() => Ok(Vec::new()),
            _ => Err(NameError),
        }
    }

    fn cname(&self, owner: &Name, rel: &[&str]) -> Result<Vec<Record>, NameError> {
        let entries = self.entries_for(rel, RecordType::CNAME)?;
        Ok(match entries.into_iter().next() {
            Some(Entry {
                host: Host::Alias(target),
                ..
            }) => vec![record(owner, self.ttl(), RData::CNAME(CNAME(target)))],
            _ => Vec::new(),
        })
    }

    /// SRV records with their targets' addresses as additionals.
    fn srv(&self, owner: &Name, rel: &[&str]) -> Result<(Vec<Record>, Vec<Record>), NameError> {
        let entries = self.entries_for(rel, RecordType::SRV)?;
        // Every entry has priority 0 and an equal share of weight 100 (CoreDNS's arithmetic).
        let weight = if entries.is_empty() {
            0
        } else {
            u16::try_from(100 / entries.len()).unwrap_or(1).max(1)
        };
        let mut answers: Vec<Record> = Vec::new();
        let mut extra: Vec<Record> = Vec::new();
        for e in entries {
            let (Some(port), Host::Ip(ip)) = (e.port, &e.host) else {
                continue;
            };
            let srv = record(
                owner,
                self.ttl(),
                RData::SRV(SRV::new(0, weight, port, e.target.clone())),
            );
            if !answers.contains(&srv) {
                answers.push(srv);
            }
            let data = match ip {
                IpAddr::V4(v4) => RData::A(A(*v4)),
                IpAddr::V6(v6) => RData::AAAA(AAAA(*v6)),
            };
            let addr = record(&e.target, self.ttl(), data);
            if !extra.contains(&addr) {
                extra.push(addr);
            }
        }
        Ok((answers, extra))
    }

    fn ns(&self, owner: &Name) -> (Vec<Record>, Vec<Record>, Option<Name>) {
        let mut answers: Vec<Record> = Vec::new();
        let mut extra = Vec::new();
        for (name, ip) in &self.records.name_servers {
            let ns = record(owner, self.ttl(), RData::NS(NS(name.clone())));
            if !answers.contains(&ns) {
                answers.push(ns);
            }
            let data = match ip {
                IpAddr::V4(v4) => RData::A(A(*v4)),
                IpAddr::V6(v6) => RData::AAAA(AAAA(*v6)),
            };
            extra.push(record(name, self.ttl(), data));
        }
        (answers, extra, None)
    }
}

/// Whether a port matches the `_port._protocol` of the name (absent parts match any).
fn port_matches(r: &RecordRequest<'_>, name: &str, protocol: &str) -> bool {
    (r.port.is_empty() || r.port == name) && (r.protocol.is_empty() || r.protocol == protocol)
}
