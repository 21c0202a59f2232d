//! Renders a pod's `/etc/hosts` exactly as kubelet does (`managedHostsFileContent`,
//! `nodeHostsFileContent`, `hostsEntriesFromHostAliases` in pkg/kubelet/kubelet_pods.go), and
//! derives the pod's hostname and domain (`GeneratePodHostNameAndDomain`). Pure: no IO.

use std::fmt::Write as _;

const MANAGED_HEADER: &str = "# Kubernetes-managed hosts file.\n";
const MANAGED_HEADER_HOST_NETWORK: &str = "# Kubernetes-managed hosts file (host network).\n";
const HOSTNAME_MAX_LEN: usize = 63;

/// One `spec.hostAliases` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostAlias {
    /// `ip`.
    pub ip: String,
    /// `hostnames`, written on one line in this order.
    pub hostnames: Vec<String>,
}

/// What a pod's managed hosts file is made of.
#[derive(Clone, Copy, Debug)]
pub struct PodHosts<'a> {
    /// `status.podIPs`, in order.
    pub pod_ips: &'a [String],
    /// The pod's hostname (see [`pod_hostname_and_domain`]).
    pub hostname: &'a str,
    /// `<subdomain>.<namespace>.svc.<cluster domain>` when `spec.subdomain` is set.
    pub host_domain: Option<&'a str>,
    /// `spec.hostAliases`.
    pub host_aliases: &'a [HostAlias],
}

/// The hosts file of a pod that does not use the host network.
pub fn render_hosts(pod: &PodHosts<'_>) -> String {
    let mut out = String::from(MANAGED_HEADER);
    out.push_str("127.0.0.1\tlocalhost\n");
    out.push_str("::1\tlocalhost ip6-localhost ip6-loopback\n");
    out.push_str("fe00::0\tip6-localnet\n");
    out.push_str("fe00::0\tip6-mcastprefix\n");
    out.push_str("fe00::1\tip6-allnodes\n");
    out.push_str("fe00::2\tip6-allrouters\n");
    for ip in pod.pod_ips {
        match pod.host_domain.filter(|d| !d.is_empty()) {
            Some(domain) => {
                let _ = writeln!(out, "{ip}\t{}.{domain}\t{}", pod.hostname, pod.hostname);
            }
            None => {
                let _ = writeln!(out, "{ip}\t{}", pod.hostname);
            }
        }
    }
    out.push_str(&alias_entries(pod.host_aliases));
    out
}

/// The hosts file of a `hostNetwork` pod: the node's hosts file plus the aliases.
pub fn render_host_network_hosts(node_hosts: &str, host_aliases: &[HostAlias]) -> String {
    format!(
        "{MANAGED_HEADER_HOST_NETWORK}{node_hosts}{}",
        alias_entries(host_aliases)
    )
}

fn alias_entries(aliases: &[HostAlias]) -> String {
    if aliases.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n# Entries added by HostAliases.\n");
    for alias in aliases {
        let _ = writeln!(out, "{}\t{}", alias.ip, alias.hostnames.join("\t"));
    }
    out
}

/// The pod's hostname (`spec.hostname`, else the pod name, cut to 63 characters without a
/// trailing `-` or `.`) and, when `spec.subdomain` is set, its domain
/// `<subdomain>.<namespace>.svc.<cluster_domain>`. The API server has already validated both.
pub fn pod_hostname_and_domain(
    pod_name: &str,
    spec_hostname: Option<&str>,
    spec_subdomain: Option<&str>,
    namespace: &str,
    cluster_domain: &str,
) -> (String, Option<String>) {
    let hostname = spec_hostname.filter(|h| !h.is_empty()).unwrap_or(pod_name);
    let hostname = if hostname.len() > HOSTNAME_MAX_LEN {
        hostname[..HOSTNAME_MAX_LEN].trim_end_matches(['-', '.'])
    } else {
        hostname
    };
    let domain = spec_subdomain
        .filter(|s| !s.is_empty())
        .map(|sub| format!("{sub}.{namespace}.svc.{cluster_domain}"));
    (hostname.to_owned(), domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# Kubernetes-managed hosts file.\n\
        127.0.0.1\tlocalhost\n\
        ::1\tlocalhost ip6-localhost ip6-loopback\n\
        fe00::0\tip6-localnet\n\
        fe00::0\tip6-mcastprefix\n\
        fe00::1\tip6-allnodes\n\
        fe00::2\tip6-allrouters\n";

    #[test]
    fn managed_hosts_files() {
        let ips = vec!["10.42.0.5".to_string()];
        let dual = vec!["10.42.0.5".to_string(), "fd00::5".to_string()];
        let aliases = vec![
            HostAlias {
                ip: "123.45.67.89".into(),
                hostnames: vec!["alias1".into(), "alias2".into()],
            },
            HostAlias {
                ip: "10.1.2.3".into(),
                hostnames: vec!["foo.remote".into()],
            },
        ];
        let cases: Vec<(PodHosts<'_>, String)> = vec![
            (
                PodHosts {
                    pod_ips: &ips,
                    hostname: "web-0",
                    host_domain: None,
                    host_aliases: &[],
                },
                format!("{BASE}10.42.0.5\tweb-0\n"),
            ),
            (
                PodHosts {
                    pod_ips: &ips,
                    hostname: "web-0",
                    host_domain: Some("nginx.default.svc.cluster.local"),
                    host_aliases: &[],
                },
                format!("{BASE}10.42.0.5\tweb-0.nginx.default.svc.cluster.local\tweb-0\n"),
            ),
            (
                PodHosts {
                    pod_ips: &dual,
                    hostname: "p",
                    host_domain: None,
                    host_aliases: &aliases,
                },
                format!(
                    "{BASE}10.42.0.5\tp\nfd00::5\tp\n\n# Entries added by HostAliases.\n\
                     123.45.67.89\talias1\talias2\n10.1.2.3\tfoo.remote\n"
                ),
            ),
            (
                PodHosts {
                    pod_ips: &[],
                    hostname: "p",
                    host_domain: None,
                    host_aliases: &[],
                },
                BASE.to_string(),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(render_hosts(&input), want, "{input:?}");
        }
    }

    #[test]
    fn host_network_hosts_file() {
        let aliases = [HostAlias {
            ip: "1.2.3.4".into(),
            hostnames: vec!["a".into()],
        }];
        assert_eq!(
            render_host_network_hosts("127.0.0.1 localhost\n", &aliases),
            "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n\n# Entries added by HostAliases.\n1.2.3.4\ta\n"
        );
        assert_eq!(
            render_host_network_hosts("127.0.0.1 localhost\n", &[]),
            "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n"
        );
    }

    #[test]
    fn hostname_and_domain() {
        let long = format!("{}-{}", "a".repeat(62), "b");
        let cases = [
            (("web-0", None, None), ("web-0", None)),
            (("web-0", Some("h"), None), ("h", None)),
            (("web-0", Some(""), Some("")), ("web-0", None)),
            (
                ("web-0", None, Some("nginx")),
                ("web-0", Some("nginx.prod.svc.cluster.local")),
            ),
            (
                (long.as_str(), None, None),
                ("a".repeat(62).leak() as &str, None),
            ),
        ];
        for ((name, hostname, subdomain), (want_host, want_domain)) in cases {
            let (host, domain) =
                pod_hostname_and_domain(name, hostname, subdomain, "prod", "cluster.local");
            assert_eq!(host, want_host, "{name}");
            assert_eq!(domain.as_deref(), want_domain, "{name}");
        }
    }
}
