//! The services Table (`printService`, 1.33).
//!
//! Columns: Name, Type, Cluster-IP (`clusterIPs[0]`, `None` for headless, `<none>` if unset),
//! External-IP (by type: `externalIPs` or `<none>`; LoadBalancer ingress IPs/hostnames sorted,
//! then `externalIPs`, or `<pending>`; ExternalName's `externalName`; `<unknown>` for any other
//! type), Port(s) (`80/TCP`, `8010:30010/TCP`, comma-joined, `<none>`), Age, and wide: Selector
//! (`k=v,...` sorted by key, `<none>`). kube-apiserver renders wide, so External-IP is never clipped.

use std::collections::BTreeSet;

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;
use crate::descriptions;
use crate::fields::{int_at, list_at, str_at, string_map_at};
use crate::printer::{Printer, Row};
use crate::timestamp;

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::new("Type", "string", descriptions::SERVICE_TYPE),
        Column::new("Cluster-IP", "string", descriptions::SERVICE_CLUSTER_IP),
        Column::new("External-IP", "string", descriptions::SERVICE_EXTERNAL_IPS),
        Column::new("Port(s)", "string", descriptions::SERVICE_PORTS),
        Column::age(),
        Column::new("Selector", "string", descriptions::SERVICE_SELECTOR).wide(),
    ],
    row,
    empty_rows_are_null: false,
};

fn strings(list: &[Value]) -> Vec<&str> {
    list.iter().map(|v| v.as_str().unwrap_or("")).collect()
}

/// Distinct load-balancer ingress points (IP, else hostname), sorted.
fn load_balancer_ingress(svc: &Value) -> Vec<&str> {
    let points: BTreeSet<&str> = list_at(svc, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(
            |ing| match (str_at(ing, &["ip"]), str_at(ing, &["hostname"])) {
                ("", "") => None,
                ("", host) => Some(host),
                (ip, _) => Some(ip),
            },
        )
        .collect();
    points.into_iter().collect()
}

fn external_ip(svc: &Value) -> String {
    let external_ips = strings(list_at(svc, &["spec", "externalIPs"]));
    match str_at(svc, &["spec", "type"]) {
        "ClusterIP" | "NodePort" if !external_ips.is_empty() => external_ips.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_owned(),
        "LoadBalancer" => {
            let mut all = load_balancer_ingress(svc);
            all.extend(external_ips);
            if all.is_empty() {
                "<pending>".to_owned()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => str_at(svc, &["spec", "externalName"]).to_owned(),
        _ => "<unknown>".to_owned(),
    }
}

fn cluster_ip(svc: &Value) -> &str {
    let ip = match list_at(svc, &["spec", "clusterIPs"]).first() {
        Some(first) => first.as_str().unwrap_or(""),
        None => str_at(svc, &["spec", "clusterIP"]),
    };
    if ip.is_empty() { "<none>" } else { ip }
}

fn ports(svc: &Value) -> String {
    let pieces: Vec<String> = list_at(svc, &["spec", "ports"])
        .iter()
        .map(|p| {
            let (port, node_port, protocol) = (
                int_at(p, &["port"]),
                int_at(p, &["nodePort"]),
                str_at(p, &["protocol"]),
            );
            if node_port > 0 {
                format!("{port}:{node_port}/{protocol}")
            } else {
                format!("{port}/{protocol}")
            }
        })
        .collect();
    if pieces.is_empty() {
        "<none>".to_owned()
    } else {
        pieces.join(",")
    }
}

/// `labels.FormatLabels`: `k=v` pairs sorted by key, or `<none>`.
fn format_labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return "<none>".to_owned();
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn row(svc: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        str_at(svc, &["metadata", "name"]).into(),
        str_at(svc, &["spec", "type"]).into(),
        cluster_ip(svc).into(),
        external_ip(svc).into(),
        ports(svc).into(),
        timestamp::since(timestamp::at(svc, &["metadata", "creationTimestamp"]), now).into(),
        format_labels(&string_map_at(svc, &["spec", "selector"])).into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn external_ip_by_type() {
        let cases = [
            (
                json!({"type": "NodePort", "externalIPs": ["1.2.3.4"]}),
                json!({}),
                "1.2.3.4",
            ),
            (json!({"type": "NodePort"}), json!({}), "<none>"),
            (
                json!({"type": "LoadBalancer"}),
                json!({"loadBalancer": {}}),
                "<pending>",
            ),
            // Ingress points first (sorted, deduplicated), then the spec's external IPs.
            (
                json!({"type": "LoadBalancer", "externalIPs": ["9.9.9.9", "1.1.1.1"]}),
                json!({"loadBalancer": {"ingress": [{"ip": "5.5.5.5"}, {"hostname": "a.example"}, {"ip": "5.5.5.5"}, {}]}}),
                "5.5.5.5,a.example,9.9.9.9,1.1.1.1",
            ),
            (
                json!({"type": "LoadBalancer", "externalIPs": ["9.9.9.9"]}),
                json!({}),
                "9.9.9.9",
            ),
            (
                json!({"type": "ExternalName", "externalName": "db.example.com"}),
                json!({}),
                "db.example.com",
            ),
            (json!({}), json!({}), "<unknown>"),
        ];
        for (spec, status, want) in cases {
            assert_eq!(
                external_ip(&json!({"spec": spec, "status": status})),
                want,
                "{spec} {status}"
            );
        }
    }

    #[test]
    fn cluster_ip_prefers_cluster_ips() {
        assert_eq!(
            cluster_ip(
                &json!({"spec": {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.2", "fd00::2"]}})
            ),
            "10.0.0.2"
        );
        assert_eq!(
            cluster_ip(&json!({"spec": {"clusterIP": "10.0.0.1"}})),
            "10.0.0.1"
        );
        assert_eq!(cluster_ip(&json!({"spec": {}})), "<none>");
    }

    #[test]
    fn ports_print_port_node_port_and_protocol_as_given() {
        let svc = json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "nodePort": 30053, "protocol": "UDP"}, {"port": 1}]}});
        assert_eq!(ports(&svc), "80/TCP,53:30053/UDP,1/");
    }
}
