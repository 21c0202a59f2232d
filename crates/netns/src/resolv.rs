//! Computes and renders a pod's `/etc/resolv.conf` as kubelet (`GetPodDNS` in
//! pkg/kubelet/network/dns/dns.go) and containerd (`parseDNSOptions`) do together. Pure: the
//! node's resolv.conf is passed in as text or parsed form.
//!
//! One deliberate difference: kubelet merges `dnsConfig.options` through a Go map, so the order of
//! merged options is random there; here it is first-seen order, with later values overriding.

use std::net::IpAddr;

/// `spec.dnsPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DnsPolicy {
    /// `ClusterFirst` (the API default).
    #[default]
    ClusterFirst,
    /// `ClusterFirstWithHostNet`.
    ClusterFirstWithHostNet,
    /// `Default`: the node's resolver settings.
    Default,
    /// `None`: only `spec.dnsConfig`.
    None,
}

/// One `spec.dnsConfig.options` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsOption {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: Option<String>,
}

/// `spec.dnsConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodDnsConfig {
    /// `nameservers`.
    pub nameservers: Vec<String>,
    /// `searches`.
    pub searches: Vec<String>,
    /// `options`.
    pub options: Vec<DnsOption>,
}

/// Resolver settings: parsed from a resolv.conf, or computed for a pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolvConf {
    /// `nameserver` lines, in order.
    pub nameservers: Vec<String>,
    /// The `search` domains.
    pub searches: Vec<String>,
    /// The `options`, each `name` or `name:value`.
    pub options: Vec<String>,
}

/// The node agent's DNS settings (kubelet's `--cluster-dns`, `--cluster-domain`, `--resolv-conf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeDns {
    /// Cluster DNS Service IPs (e.g. 10.43.0.10). Empty means ClusterFirst falls back to Default.
    pub cluster_dns: Vec<IpAddr>,
    /// Cluster domain (e.g. `cluster.local`). Empty means no cluster search domains.
    pub cluster_domain: String,
    /// The node's parsed resolv.conf; `None` like kubelet's `--resolv-conf=""` (use 127.0.0.1).
    pub host: Option<ResolvConf>,
}

/// The pod fields that decide its resolver settings.
#[derive(Clone, Copy, Debug)]
pub struct PodDns<'a> {
    /// `metadata.namespace`.
    pub namespace: &'a str,
    /// `spec.dnsPolicy`.
    pub policy: DnsPolicy,
    /// `spec.hostNetwork`.
    pub host_network: bool,
    /// `spec.dnsConfig`.
    pub dns_config: Option<&'a PodDnsConfig>,
}

const MAX_NAMESERVERS: usize = 3;
const MAX_SEARCH_PATHS: usize = 32;
const MAX_SEARCH_CHARS: usize = 2048;
const MAX_SEARCH_PATH_LEN: usize = 253;

/// Parses resolv.conf text like kubelet: `nameserver` lines accumulate, the last `search` and
/// `options` lines win, trailing dots of search domains are dropped, `#` lines are comments.
pub fn parse_resolv_conf(text: &str) -> ResolvConf {
    let mut conf = ResolvConf::default();
    for line in text.split('\n') {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["nameserver", server, ..] => conf.nameservers.push((*server).to_owned()),
            ["search", domains @ ..] => {
                conf.searches = domains
                    .iter()
                    .map(|d| d.strip_suffix('.').unwrap_or(d).to_owned())
                    .collect();
            }
            ["options", options @ ..] => {
                conf.options = options.iter().map(|o| (*o).to_owned()).collect()
            }
            _ => {}
        }
    }
    conf
}

/// The pod's resolver settings (kubelet `GetPodDNS`), limits applied.
pub fn pod_resolv_conf(node: &NodeDns, pod: &PodDns<'_>) -> ResolvConf {
    let host = node.host.clone().unwrap_or_default();
    let cluster = match pod.policy {
        DnsPolicy::None => None,
        DnsPolicy::ClusterFirstWithHostNet => Some(true),
        DnsPolicy::ClusterFirst => Some(!pod.host_network),
        DnsPolicy::Default => Some(false),
    };
    let mut conf = match cluster {
        None => ResolvConf::default(),
        Some(true) if !node.cluster_dns.is_empty() => ResolvConf {
            nameservers: node.cluster_dns.iter().map(IpAddr::to_string).collect(),
            searches: cluster_searches(&node.cluster_domain, pod.namespace, host.searches),
            options: vec!["ndots:5".to_owned()],
        },
        Some(_) if node.host.is_none() => ResolvConf {
            nameservers: vec!["127.0.0.1".to_owned()],
            searches: vec![".".to_owned()],
            options: host.options,
        },
        Some(_) => host,
    };
    if let Some(extra) = pod.dns_config {
        conf.nameservers = dedup(
            conf.nameservers
                .into_iter()
                .chain(extra.nameservers.iter().cloned()),
        );
        conf.searches = dedup(
            conf.searches
                .into_iter()
                .chain(extra.searches.iter().cloned()),
        );
        conf.options = merge_options(conf.options, &extra.options);
    }
    conf.nameservers.truncate(MAX_NAMESERVERS);
    conf.searches = fit_searches(conf.searches);
    conf
}

/// resolv.conf text as containerd writes it: `search`, then one `nameserver` line each, then
/// `options`; empty parts are left out. An empty result (policy `None` without `dnsConfig`, which
/// validation forbids) is where containerd would copy the node's file instead.
pub fn render_resolv_conf(conf: &ResolvConf) -> String {
    let mut out = String::new();
    if !conf.searches.is_empty() {
        out.push_str(&format!("search {}\n", conf.searches.join(" ")));
    }
    for server in &conf.nameservers {
        out.push_str(&format!("nameserver {server}\n"));
    }
    if !conf.options.is_empty() {
        out.push_str(&format!("options {}\n", conf.options.join(" ")));
    }
    out
}

fn cluster_searches(domain: &str, namespace: &str, host: Vec<String>) -> Vec<String> {
    if domain.is_empty() {
        return host;
    }
    let cluster = [
        format!("{namespace}.svc.{domain}"),
        format!("svc.{domain}"),
        domain.to_owned(),
    ];
    dedup(cluster.into_iter().chain(host))
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn merge_options(existing: Vec<String>, extra: &[DnsOption]) -> Vec<String> {
    let mut merged: Vec<(String, String)> = Vec::new();
    let mut set = |name: &str, value: &str| match merged.iter_mut().find(|(n, _)| n == name) {
        Some(entry) => entry.1 = value.to_owned(),
        None => merged.push((name.to_owned(), value.to_owned())),
    };
    for option in &existing {
        let (name, value) = option.split_once(':').unwrap_or((option, ""));
        set(name, value);
    }
    for option in extra {
        set(&option.name, option.value.as_deref().unwrap_or(""));
    }
    merged
        .into_iter()
        .map(|(name, value)| {
            if value.is_empty() {
                name
            } else {
                format!("{name}:{value}")
            }
        })
        .collect()
}

fn fit_searches(mut searches: Vec<String>) -> Vec<String> {
    searches.truncate(MAX_SEARCH_PATHS);
    searches.retain(|s| s.len() <= MAX_SEARCH_PATH_LEN);
    let mut line_len = searches.join(" ").len();
    while line_len > MAX_SEARCH_CHARS {
        let Some(cut) = searches.pop() else { break };
        line_len -= cut.len() + usize::from(!searches.is_empty());
    }
    searches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: Option<&str>) -> NodeDns {
        NodeDns {
            cluster_dns: vec!["10.43.0.10".parse().unwrap()],
            cluster_domain: "cluster.local".into(),
            host: host.map(parse_resolv_conf),
        }
    }

    fn pod<'a>(
        policy: DnsPolicy,
        host_network: bool,
        dns_config: Option<&'a PodDnsConfig>,
    ) -> PodDns<'a> {
        PodDns {
            namespace: "default",
            policy,
            host_network,
            dns_config,
        }
    }

    const NODE_RESOLV: &str = "# generated\nnameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example. lab.example\noptions timeout:2 rotate\n";

    #[test]
    fn parses_like_kubelet() {
        let conf = parse_resolv_conf(
            "nameserver 1.1.1.1\nsearch a b\n  # nameserver 9.9.9.9\nsearch c. d\noptions x\noptions ndots:2 y\nnameserver 8.8.8.8 extra\nnameserver\n",
        );
        assert_eq!(conf.nameservers, ["1.1.1.1", "8.8.8.8"]);
        assert_eq!(conf.searches, ["c", "d"]);
        assert_eq!(conf.options, ["ndots:2", "y"]);
    }

    #[test]
    fn rendered_resolv_confs() {
        let custom = PodDnsConfig {
            nameservers: vec!["1.2.3.4".into(), "10.43.0.10".into()],
            searches: vec![
                "ns1.svc.cluster.local".into(),
                "my.dns.search.suffix".into(),
            ],
            options: vec![
                DnsOption {
                    name: "ndots".into(),
                    value: Some("2".into()),
                },
                DnsOption {
                    name: "edns0".into(),
                    value: None,
                },
            ],
        };
        let cases: Vec<(&str, NodeDns, PodDns<'_>, &str)> = vec![
            (
                "cluster first, node without search",
                node(Some("nameserver 192.168.1.1\n")),
                pod(DnsPolicy::ClusterFirst, false, None),
                "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n",
            ),
            (
                "cluster first appends node search domains",
                node(Some(NODE_RESOLV)),
                pod(DnsPolicy::ClusterFirst, false, None),
                "search default.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.43.0.10\noptions ndots:5\n",
            ),
            (
                "default copies the node",
                node(Some(NODE_RESOLV)),
                pod(DnsPolicy::Default, false, None),
                "search corp.example lab.example\nnameserver 192.168.1.1\nnameserver 192.168.1.2\noptions timeout:2 rotate\n",
            ),
            (
                "cluster first on host network falls back to default",
                node(Some(NODE_RESOLV)),
                pod(DnsPolicy::ClusterFirst, true, None),
                "search corp.example lab.example\nnameserver 192.168.1.1\nnameserver 192.168.1.2\noptions timeout:2 rotate\n",
            ),
            (
                "cluster first with host net",
                node(Some("nameserver 192.168.1.1\n")),
                pod(DnsPolicy::ClusterFirstWithHostNet, true, None),
                "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n",
            ),
            (
                "none uses only dnsConfig",
                node(Some(NODE_RESOLV)),
                pod(DnsPolicy::None, false, Some(&custom)),
                "search ns1.svc.cluster.local my.dns.search.suffix\nnameserver 1.2.3.4\nnameserver 10.43.0.10\noptions ndots:2 edns0\n",
            ),
            (
                "dnsConfig merges into cluster first",
                node(Some("nameserver 192.168.1.1\n")),
                pod(DnsPolicy::ClusterFirst, false, Some(&custom)),
                "search default.svc.cluster.local svc.cluster.local cluster.local ns1.svc.cluster.local my.dns.search.suffix\nnameserver 10.43.0.10\nnameserver 1.2.3.4\noptions ndots:2 edns0\n",
            ),
            (
                "no node resolv.conf",
                node(None),
                pod(DnsPolicy::Default, false, None),
                "search .\nnameserver 127.0.0.1\n",
            ),
            (
                "no cluster dns falls back to default",
                NodeDns {
                    cluster_dns: vec![],
                    ..node(Some("nameserver 192.168.1.1\n"))
                },
                pod(DnsPolicy::ClusterFirst, false, None),
                "nameserver 192.168.1.1\n",
            ),
            (
                "none without dnsConfig is empty",
                node(Some(NODE_RESOLV)),
                pod(DnsPolicy::None, false, None),
                "",
            ),
        ];
        for (name, node, pod, want) in cases {
            assert_eq!(
                render_resolv_conf(&pod_resolv_conf(&node, &pod)),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn limits() {
        let many = PodDnsConfig {
            nameservers: (1..=5).map(|i| format!("10.0.0.{i}")).collect(),
            searches: (0..40)
                .map(|i| format!("s{i}.example"))
                .chain([format!("{}.x", "a".repeat(260))])
                .collect(),
            options: vec![],
        };
        let conf = pod_resolv_conf(&node(None), &pod(DnsPolicy::None, false, Some(&many)));
        assert_eq!(conf.nameservers, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        assert_eq!(conf.searches.len(), 32);
        assert_eq!(conf.searches[31], "s31.example");

        let long = PodDnsConfig {
            searches: (0..20)
                .map(|i| format!("{i:02}{}", "d".repeat(200)))
                .collect(),
            ..PodDnsConfig::default()
        };
        let conf = pod_resolv_conf(&node(None), &pod(DnsPolicy::None, false, Some(&long)));
        // 202 characters each plus separators: 10 fit in 2048 (2029), 11 do not (2232).
        assert_eq!(conf.searches.len(), 10);
    }
}
