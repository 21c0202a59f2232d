//! The server's metrics, kept in atomics (no lock on the query path) and rendered in the
//! Prometheus text format. Names follow CoreDNS's with a `kubelite_dns_` prefix.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

/// Query types with their own label value (CoreDNS's `monitor` set, less the rare ones).
const TYPES: [&str; 11] = [
    "A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT", "ANY", "other",
];
const RCODES: [&str; 8] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "BADVERS", "other",
];
/// CoreDNS's request duration buckets (0.25 ms doubling to 8 s).
const DURATION_BUCKETS: [f64; 16] = [
    0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024,
    2.048, 4.096, 8.192,
];
/// CoreDNS's DNS programming buckets (1 ms doubling, 20 buckets).
const PROGRAMMING_BUCKETS: [f64; 20] = [
    0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096,
    8.192, 16.384, 32.768, 65.536, 131.072, 262.144, 524.288,
];

/// The `service_kind` label of the programming latency (CoreDNS's values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    ClusterIp,
    HeadlessWithSelector,
    HeadlessWithoutSelector,
}

impl ServiceKind {
    const ALL: [ServiceKind; 3] = [
        ServiceKind::ClusterIp,
        ServiceKind::HeadlessWithSelector,
        ServiceKind::HeadlessWithoutSelector,
    ];

    fn label(self) -> &'static str {
        match self {
            ServiceKind::ClusterIp => "cluster_ip",
            ServiceKind::HeadlessWithSelector => "headless_with_selector",
            ServiceKind::HeadlessWithoutSelector => "headless_without_selector",
        }
    }
}

struct Histogram {
    bounds: &'static [f64],
    /// Per bucket (not cumulative), plus +Inf.
    counts: Vec<AtomicU64>,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, seconds: f64) {
        let seconds = seconds.max(0.0);
        let i = self.bounds.partition_point(|b| *b < seconds);
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos
            .fetch_add((seconds * 1e9) as u64, Ordering::Relaxed);
    }

    fn render(&self, name: &str, labels: &str, out: &mut String) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bound) in self.bounds.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.counts[self.bounds.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!("{{{s}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {cumulative}", braces(labels));
    }
}

/// All of the server's metrics.
pub struct Metrics {
    /// `TYPES.len() × RCODES.len()` counters.
    requests: Vec<AtomicU64>,
    duration: Histogram,
    programming: Vec<Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: (0..TYPES.len() * RCODES.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            duration: Histogram::new(&DURATION_BUCKETS),
            programming: ServiceKind::ALL
                .iter()
                .map(|_| Histogram::new(&PROGRAMMING_BUCKETS))
                .collect(),
        }
    }
}

fn type_index(qtype: Option<RecordType>) -> usize {
    match qtype {
        Some(RecordType::A) => 0,
        Some(RecordType::AAAA) => 1,
        Some(RecordType::CNAME) => 2,
        Some(RecordType::MX) => 3,
        Some(RecordType::NS) => 4,
        Some(RecordType::PTR) => 5,
        Some(RecordType::SOA) => 6,
        Some(RecordType::SRV) => 7,
        Some(RecordType::TXT) => 8,
        Some(RecordType::ANY) => 9,
        _ => TYPES.len() - 1,
    }
}

fn rcode_index(rcode: ResponseCode) -> usize {
    match rcode {
        ResponseCode::NoError => 0,
        ResponseCode::FormErr => 1,
        ResponseCode::ServFail => 2,
        ResponseCode::NXDomain => 3,
        ResponseCode::NotImp => 4,
        ResponseCode::Refused => 5,
        ResponseCode::BADVERS => 6,
        _ => 7,
    }
}

impl Metrics {
    /// Counts one answered request (`qtype` is `None` when the question could not be read).
    pub fn request(&self, qtype: Option<RecordType>, rcode: ResponseCode, seconds: f64) {
        let i = type_index(qtype) * RCODES.len() + rcode_index(rcode);
        self.requests[i].fetch_add(1, Ordering::Relaxed);
        self.duration.observe(seconds);
    }

    /// Records how long a change took to become answerable.
    pub fn programmed(&self, kind: ServiceKind, seconds: f64) {
        let i = ServiceKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(0);
        self.programming[i].observe(seconds);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP kubelite_dns_requests_total DNS requests answered, by query type and response code.\n\
             # TYPE kubelite_dns_requests_total counter\n",
        );
        for (t, ty) in TYPES.iter().enumerate() {
            for (r, rcode) in RCODES.iter().enumerate() {
                let n = self.requests[t * RCODES.len() + r].load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "kubelite_dns_requests_total{{type=\"{ty}\",rcode=\"{rcode}\"}} {n}"
                    );
                }
            }
        }
        out.push_str(
            "# HELP kubelite_dns_request_duration_seconds Time from receiving a request to sending its reply.\n\
             # TYPE kubelite_dns_request_duration_seconds histogram\n",
        );
        self.duration
            .render("kubelite_dns_request_duration_seconds", "", &mut out);
        out.push_str(
            "# HELP kubelite_dns_programming_duration_seconds Time from a Service or endpoint change to its being answerable.\n\
             # TYPE kubelite_dns_programming_duration_seconds histogram\n",
        );
        for (i, kind) in ServiceKind::ALL.iter().enumerate() {
            self.programming[i].render(
                "kubelite_dns_programming_duration_seconds",
                &format!("service_kind=\"{}\"", kind.label()),
                &mut out,
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition() {
        let m = Metrics::default();
        m.request(Some(RecordType::A), ResponseCode::NoError, 0.0003);
        m.request(Some(RecordType::A), ResponseCode::NoError, 0.0001);
        m.request(Some(RecordType::HINFO), ResponseCode::NXDomain, 0.002);
        m.request(None, ResponseCode::FormErr, 0.0);
        m.programmed(ServiceKind::HeadlessWithSelector, 0.010);
        let text = m.render();
        for want in [
            "kubelite_dns_requests_total{type=\"A\",rcode=\"NOERROR\"} 2\n",
            "kubelite_dns_requests_total{type=\"other\",rcode=\"NXDOMAIN\"} 1\n",
            "kubelite_dns_requests_total{type=\"other\",rcode=\"FORMERR\"} 1\n",
            "kubelite_dns_request_duration_seconds_bucket{le=\"0.00025\"} 2\n",
            "kubelite_dns_request_duration_seconds_bucket{le=\"0.0005\"} 3\n",
            "kubelite_dns_request_duration_seconds_bucket{le=\"+Inf\"} 4\n",
            "kubelite_dns_request_duration_seconds_count 4\n",
            "kubelite_dns_programming_duration_seconds_bucket{service_kind=\"headless_with_selector\",le=\"0.008\"} 0\n",
            "kubelite_dns_programming_duration_seconds_bucket{service_kind=\"headless_with_selector\",le=\"0.016\"} 1\n",
            "kubelite_dns_programming_duration_seconds_count{service_kind=\"cluster_ip\"} 0\n",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }
}
