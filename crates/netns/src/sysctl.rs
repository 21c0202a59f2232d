//! Node network sysctls, written through /proc/sys of the caller's (the node's) network namespace.

use std::fs;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// What the node needs: forwarding between pods and out, DNAT to 127.0.0.1 for NodePorts, and
/// no ICMP redirects. A Pod's packet to a ClusterIP leaves the node by the bridge it came in on
/// (the service CIDR is routed onto it), so the kernel would answer with a redirect; that
/// redirect uses up the rate-limit token of the ICMP "port unreachable" with which the proxy
/// refuses a Service without endpoints, and the Pod would wait for a timeout instead.
/// `net.bridge.bridge-nf-call-iptables` is deliberately left as the kernel set it.
pub const NODE_SYSCTLS: [(&str, &str); 4] = [
    ("net.ipv4.ip_forward", "1"),
    ("net.ipv4.conf.all.route_localnet", "1"),
    ("net.ipv4.conf.all.send_redirects", "0"),
    ("net.ipv4.conf.default.send_redirects", "0"),
];

/// The per-interface redirect switch, cleared on the bridge too (it may predate
/// `conf.default`).
pub fn send_redirects_key(interface: &str) -> String {
    format!("net.ipv4.conf.{interface}.send_redirects")
}

/// Writes `value` to sysctl `key` (dotted form).
pub fn set_sysctl(key: &str, value: &str) -> Result<()> {
    let path = sysctl_path(key);
    fs::write(&path, value).map_err(|e| Error::io("write sysctl", path, e))
}

/// Reads sysctl `key` (dotted form), trimmed.
pub fn get_sysctl(key: &str) -> Result<String> {
    let path = sysctl_path(key);
    fs::read_to_string(&path)
        .map(|v| v.trim().to_owned())
        .map_err(|e| Error::io("read sysctl", path, e))
}

fn sysctl_path(key: &str) -> PathBuf {
    PathBuf::from("/proc/sys").join(key.replace('.', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            sysctl_path("net.ipv4.conf.all.route_localnet"),
            PathBuf::from("/proc/sys/net/ipv4/conf/all/route_localnet")
        );
    }
}
