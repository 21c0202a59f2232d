//! `kubectl get` / `describe` against the Services lab: the tables' columns and cells, the
//! describe layout, output formats (`-o yaml`, `-o jsonpath`), `get all`, the messages for empty
//! and missing resources, and `get -w`.
//!
//! Expected output follows upstream: pod and service columns from
//! kubernetes `pkg/printers/internalversion/printers.go`; `describeService` and
//! `formatEndpointSlices` in kubectl `pkg/describe/describe.go`; "No resources found in %s
//! namespace." (stderr) in kubectl `pkg/cmd/get/get.go`; NotFound errors from
//! `StandardErrorMessage` in kubectl `pkg/cmd/util/helpers.go`.

mod support;

use std::time::{Duration, Instant};
use support::{Cluster, Table};

const PODS: &str = "labs/services/specs/pods";
const CLUSTERIP: &str = "labs/services/specs/services/whoami-clusterip.yaml";

/// Whether `ip` is an IPv4 address inside the service range 10.43.0.0/16.
fn in_service_range(ip: &str) -> bool {
    let parts: Vec<u8> = ip.split('.').filter_map(|p| p.parse().ok()).collect();
    parts.len() == 4 && ip.split('.').count() == 4 && parts[0] == 10 && parts[1] == 43
}

/// The value printed after `key:` on a `describe` line (tab-aligned), if the line is there.
fn describe_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

#[test]
fn get_service_prints_the_clusterip_row() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", PODS]).ok();
    let applied = c.kubectl(&["apply", "-f", CLUSTERIP]).ok();
    assert_eq!(applied.stdout, "service/whoami created\n");

    let out = c.kubectl(&["get", "service", "whoami"]).ok();
    let table = Table::parse(&out.stdout);
    assert_eq!(
        table.header,
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert_eq!(table.names(), ["whoami"]);
    assert_eq!(table.cell("whoami", "TYPE"), "ClusterIP");
    let ip = table.cell("whoami", "CLUSTER-IP");
    assert!(in_service_range(ip), "{ip} is not in 10.43.0.0/16");
    assert_eq!(table.cell("whoami", "EXTERNAL-IP"), "<none>");
    assert_eq!(table.cell("whoami", "PORT(S)"), "80/TCP");
    let age = table.cell("whoami", "AGE");
    assert!(
        age.ends_with('s') && age.trim_end_matches('s').parse::<u32>().is_ok(),
        "AGE {age}"
    );

    // The jsonpath view of the same field.
    let jsonpath = c
        .kubectl(&["get", "svc", "whoami", "-o", "jsonpath={.spec.clusterIP}"])
        .ok();
    assert_eq!(jsonpath.stdout, ip);

    // `-o wide` adds the SELECTOR column.
    let wide = Table::parse(
        &c.kubectl(&["get", "svc", "whoami", "-o", "wide"])
            .ok()
            .stdout,
    );
    assert_eq!(
        wide.header,
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE",
            "SELECTOR"
        ]
    );
    assert_eq!(wide.cell("whoami", "SELECTOR"), "app=whoami");
}

#[test]
fn describe_service_prints_selector_ports_endpoints_and_affinity() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", PODS, "-f", CLUSTERIP]).ok();
    let ip = c
        .kubectl(&["get", "svc", "whoami", "-o", "jsonpath={.spec.clusterIP}"])
        .ok()
        .stdout;

    // Endpoints lists the ready whoami Pod as IP:80; while it has no IP or is not ready the
    // EndpointSlice controller's slice has no ready endpoint and kubectl prints an empty value.
    // Poll, as the Pod may become ready while we look.
    let deadline = Instant::now() + Duration::from_secs(5);
    let (text, endpoints, expected) = loop {
        let pod = c.kubectl_json(&["get", "pod", "whoami"]);
        let ready = pod["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|cond| cond["type"] == "Ready" && cond["status"] == "True");
        let expected = match pod["status"]["podIP"].as_str() {
            Some(pod_ip) if ready => format!("{pod_ip}:80"),
            _ => String::new(),
        };
        let text = c.kubectl(&["describe", "svc", "whoami"]).ok().stdout;
        let endpoints = describe_value(&text, "Endpoints")
            .unwrap_or("(missing)")
            .to_string();
        if endpoints == expected || Instant::now() > deadline {
            break (text, endpoints, expected);
        }
        std::thread::sleep(Duration::from_millis(200));
    };

    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let keys: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once(':').map(|(k, _)| k))
        .collect();
    assert_eq!(
        keys,
        [
            "Name",
            "Namespace",
            "Labels",
            "Annotations",
            "Selector",
            "Type",
            "IP Family Policy",
            "IP Families",
            "IP",
            "IPs",
            "Port",
            "TargetPort",
            "Endpoints",
            "Session Affinity",
            "Internal Traffic Policy",
            "Events",
        ],
        "{text}"
    );
    // All values start in one column, two spaces after the longest key.
    let pad = "Internal Traffic Policy:  ".len();
    assert!(
        lines.contains(&format!("{:pad$}whoami", "Name:").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("{:pad$}app=whoami", "Selector:").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("{:pad$}ClusterIP", "Type:").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("{:pad$}{ip}", "IP:").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("{:pad$}{ip}", "IPs:").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("{:pad$}http  80/TCP", "Port:").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("{:pad$}80/TCP", "TargetPort:").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("{:pad$}None", "Session Affinity:").as_str()),
        "{text}"
    );
    assert_eq!(
        describe_value(&text, "Labels"),
        Some("kubernetes.courselabs.co=services")
    );
    assert_eq!(describe_value(&text, "Annotations"), Some("<none>"));
    assert_eq!(describe_value(&text, "Events"), Some("<none>"));
    assert_eq!(endpoints, expected, "Endpoints line of:\n{text}");
}

#[test]
fn get_pods_wide_with_labels_and_selector() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", PODS]).ok();

    let out = c
        .kubectl(&["get", "pods", "-o", "wide", "--show-labels"])
        .ok();
    let table = Table::parse(&out.stdout);
    assert_eq!(
        table.header,
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES",
            "LABELS"
        ]
    );
    assert_eq!(table.names(), ["sleep", "whoami"]);
    assert_eq!(
        table.cell("sleep", "LABELS"),
        "app=sleep,kubernetes.courselabs.co=services"
    );
    assert_eq!(
        table.cell("whoami", "LABELS"),
        "app=whoami,kubernetes.courselabs.co=services"
    );
    for name in ["sleep", "whoami"] {
        assert_eq!(
            table.cell(name, "READY").split_once('/').map(|r| r.1),
            Some("1"),
            "{}",
            out.stdout
        );
        assert_eq!(table.cell(name, "NOMINATED NODE"), "<none>");
        assert_eq!(table.cell(name, "READINESS GATES"), "<none>");
        // A Pod without a node has no IP; one with a node shows both.
        let ip = table.cell(name, "IP");
        let node = table.cell(name, "NODE");
        assert!(ip == "<none>" || ip.split('.').count() == 4, "IP {ip}");
        if ip != "<none>" {
            assert_ne!(node, "<none>");
        }
    }

    // -l filters on the server; the columns stay the same.
    let filtered = c
        .kubectl(&[
            "get",
            "pods",
            "-l",
            "app=whoami",
            "-o",
            "wide",
            "--show-labels",
        ])
        .ok();
    let table = Table::parse(&filtered.stdout);
    assert_eq!(table.names(), ["whoami"]);
    let plain = Table::parse(&c.kubectl(&["get", "pods", "-l", "app=whoami"]).ok().stdout);
    assert_eq!(plain.header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert_eq!(plain.names(), ["whoami"]);
    let none = c.kubectl(&["get", "pods", "-l", "app=nobody"]).ok();
    assert_eq!(none.stdout, "");
    assert_eq!(none.stderr, "No resources found in default namespace.\n");
}

#[test]
fn get_service_yaml_holds_the_server_defaults() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", CLUSTERIP]).ok();
    let yaml = c
        .kubectl(&["get", "svc", "whoami", "-o", "yaml"])
        .ok()
        .stdout;
    assert!(
        yaml.starts_with("apiVersion: v1\nkind: Service\nmetadata:\n"),
        "{yaml}"
    );
    for line in [
        "  sessionAffinity: None\n",
        "  type: ClusterIP\n",
        "  internalTrafficPolicy: Cluster\n",
        "  ipFamilyPolicy: SingleStack\n",
        "  ipFamilies:\n  - IPv4\n",
        "    protocol: TCP\n",
        "    targetPort: 80\n",
        "  name: whoami\n",
        "  namespace: default\n",
        "status:\n  loadBalancer: {}\n",
    ] {
        assert!(yaml.contains(line), "{line:?} missing from\n{yaml}");
    }
    for key in [
        "  clusterIP: 10.43.",
        "  uid: ",
        "  resourceVersion: \"",
        "  creationTimestamp: \"",
    ] {
        assert!(yaml.contains(key), "{key:?} missing from\n{yaml}");
    }
    // managedFields are hidden unless asked for.
    assert!(!yaml.contains("managedFields"), "{yaml}");
}

#[test]
fn get_all_shows_pods_and_services_sections() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", PODS, "-f", CLUSTERIP]).ok();
    let out = c.kubectl(&["get", "all"]).ok();
    let sections: Vec<&str> = out.stdout.split("\n\n").collect();
    assert_eq!(sections.len(), 2, "{}", out.stdout);
    let pods = Table::parse(sections[0]);
    assert_eq!(pods.header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert_eq!(pods.names(), ["pod/sleep", "pod/whoami"]);
    let services = Table::parse(sections[1]);
    assert_eq!(
        services.header,
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert_eq!(services.names(), ["service/kubernetes", "service/whoami"]);
    assert_eq!(
        services.cell("service/kubernetes", "CLUSTER-IP"),
        "10.43.0.1"
    );
    assert_eq!(services.cell("service/kubernetes", "PORT(S)"), "443/TCP");
}

#[test]
fn get_on_an_empty_namespace_and_a_missing_pod() {
    let c = Cluster::start();
    let empty = c.kubectl(&["get", "pods"]).ok();
    assert_eq!(empty.stdout, "");
    assert_eq!(empty.stderr, "No resources found in default namespace.\n");

    let missing = c.kubectl(&["get", "pod", "nope"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert_eq!(missing.stdout, "");
    assert_eq!(
        missing.stderr,
        "Error from server (NotFound): pods \"nope\" not found\n"
    );

    let missing_svc = c.kubectl(&["describe", "svc", "nope"]);
    assert_eq!(missing_svc.code, 1, "{missing_svc:?}");
    assert_eq!(
        missing_svc.stderr,
        "Error from server (NotFound): services \"nope\" not found\n"
    );
}

#[test]
fn get_pods_watch_prints_new_rows() {
    let c = Cluster::start();
    c.kubectl(&["apply", "-f", "labs/services/specs/pods/sleep.yaml"])
        .ok();
    let out = c.dir.path().join("watch.txt");
    let mut watch = c.kubectl_spawn(&["get", "pods", "-w"], &out);
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    let rows = |name: &str| {
        read()
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(name))
            .count()
    };

    support::eventually(10, || (rows("sleep") >= 1).then_some(()));
    c.kubectl(&["apply", "-f", "labs/services/specs/pods/whoami.yaml"])
        .ok();
    support::eventually(10, || (rows("whoami") >= 1).then_some(()));
    let before = rows("whoami");
    assert_eq!(
        c.kubectl(&["label", "pod", "whoami", "x=y"]).ok().stdout,
        "pod/whoami labeled\n"
    );
    support::eventually(10, || (rows("whoami") > before).then_some(()));

    let _ = watch.kill();
    let _ = watch.wait();
    let text = read();
    let lines: Vec<&str> = text.lines().collect();
    // One header, first; every other line is a pod row with the same five columns.
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    assert_eq!(text.matches("NAME").count(), 1, "{text}");
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), 5, "{line:?} in\n{text}");
        assert!(["sleep", "whoami"].contains(&cells[0]), "{line:?}");
        assert!(cells[1].ends_with("/1"), "{line:?}");
    }
}
