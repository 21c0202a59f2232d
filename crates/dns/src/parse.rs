//! Cluster-zone names to lookups (CoreDNS `parse.go`). Below the zone, from the right:
//!
//! ```text
//! service.namespace.svc|pod
//! endpoint.service.namespace.svc|pod
//! _port._protocol.service.namespace.svc|pod
//! ```
//!
//! Anything longer, or not ending in `svc` or `pod`, is invalid (NXDOMAIN).

/// Which half of the zone a name is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Svc,
    Pod,
}

/// A parsed name; empty fields were absent. Labels are lowercase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordRequest<'a> {
    /// `None` for the zone apex, `svc.<zone>` and `pod.<zone>`: names that exist but hold
    /// nothing (NODATA).
    pub kind: Option<Kind>,
    pub namespace: &'a str,
    pub service: &'a str,
    pub endpoint: &'a str,
    pub port: &'a str,
    pub protocol: &'a str,
}

/// The name is not one the schema defines.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid;

/// Parses the labels below the zone, leftmost first.
pub fn parse<'a>(labels: &[&'a str]) -> Result<RecordRequest<'a>, Invalid> {
    let mut r = RecordRequest::default();
    if labels.is_empty() || labels == ["svc"] || labels == ["pod"] {
        return Ok(r);
    }
    let mut rest = labels;
    let mut pop = || {
        let (last, init) = rest.split_last()?;
        rest = init;
        Some(*last)
    };
    r.kind = match pop() {
        Some("svc") => Some(Kind::Svc),
        Some("pod") => Some(Kind::Pod),
        _ => return Err(Invalid),
    };
    let Some(namespace) = pop() else {
        return Ok(r);
    };
    r.namespace = namespace;
    let Some(service) = pop() else {
        return Ok(r);
    };
    r.service = service;
    match rest {
        [] => {}
        [endpoint] => r.endpoint = endpoint,
        [port, protocol] => {
            r.port = strip_underscore(port);
            r.protocol = strip_underscore(protocol);
        }
        _ => return Err(Invalid),
    }
    Ok(r)
}

fn strip_underscore(s: &str) -> &str {
    s.strip_prefix('_').unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `port.protocol.endpoint.service.namespace.kind`, or `invalid`.
    fn check(name: &str, want: &str) {
        let labels: Vec<&str> = if name.is_empty() {
            vec![]
        } else {
            name.split('.').collect()
        };
        let got = match parse(&labels) {
            Ok(r) => format!(
                "{}.{}.{}.{}.{}.{}",
                r.port,
                r.protocol,
                r.endpoint,
                r.service,
                r.namespace,
                match r.kind {
                    Some(Kind::Svc) => "svc",
                    Some(Kind::Pod) => "pod",
                    None => "",
                }
            ),
            Err(Invalid) => "invalid".into(),
        };
        assert_eq!(got, want, "{name:?}");
    }

    #[test]
    fn names() {
        check("", ".....");
        check("svc", ".....");
        check("pod", ".....");
        check("ns.svc", "....ns.svc");
        check("web.ns.svc", "...web.ns.svc");
        check("web-0.web.ns.svc", "..web-0.web.ns.svc");
        check("_http._tcp.web.ns.svc", "http.tcp..web.ns.svc");
        check("http.tcp.web.ns.svc", "http.tcp..web.ns.svc");
        check("1-2-3-4.ns.pod", "...1-2-3-4.ns.pod");
        check("a.b.c.d.e.svc", "invalid");
        check("web.ns", "invalid");
        check("dns-version", "invalid");
        check("x.web", "invalid");
    }
}
