//! The node's upstream resolvers, from its `resolv.conf`.

use std::net::{IpAddr, SocketAddr};

/// The `nameserver` addresses of a resolv.conf, on port 53, without those that would send
/// queries back here: `own` (the cluster DNS Service IP and the addresses this server listens
/// on) and loopback stubs (on a node with systemd-resolved, point at
/// `/run/systemd/resolve/resolv.conf` instead, as kubelet does).
pub fn upstreams(text: &str, own: &[IpAddr]) -> Vec<SocketAddr> {
    let mut out: Vec<SocketAddr> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        let Some(addr) = words.next() else { continue };
        // A link-local IPv6 address may carry a zone (`fe80::1%eth0`); such are skipped.
        let Ok(ip) = addr.parse::<IpAddr>() else {
            continue;
        };
        if ip.is_loopback() || ip.is_unspecified() || own.contains(&ip) {
            continue;
        }
        let sa = SocketAddr::new(ip, 53);
        if !out.contains(&sa) {
            out.push(sa);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameservers() {
        let text = "# generated\nsearch corp.example\nnameserver 192.0.2.1\n\
                    nameserver 127.0.0.53\nnameserver 10.43.0.10\nnameserver ::1\n\
                    nameserver 2001:db8::1\nnameserver 192.0.2.1\nnameserver\n\
                    nameserver fe80::1%eth0\noptions ndots:5\n  nameserver 192.0.2.9 # x\n";
        let own = ["10.43.0.10".parse().unwrap()];
        assert_eq!(
            upstreams(text, &own),
            vec![
                "192.0.2.1:53".parse().unwrap(),
                "[2001:db8::1]:53".parse().unwrap(),
                "192.0.2.9:53".parse().unwrap(),
            ]
        );
        assert!(upstreams("", &own).is_empty());
    }
}
