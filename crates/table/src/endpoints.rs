//! The endpoints Table (`printEndpoints` / `formatEndpoints`, 1.33).
//!
//! Columns: Name, Endpoints, Age. Endpoints lists `ip:port` for every (port, address) pair of
//! every subset (bare IPs for a subset without ports; IPv6 in brackets), at most three, then
//! ` + N more...` with N counted over all pairs. No subsets gives `<none>`; subsets with only
//! not-ready addresses give an empty cell.

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::column::Column;
use crate::descriptions;
use crate::fields::{int_at, list_at, str_at};
use crate::printer::{Printer, Row};
use crate::timestamp;

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::new("Endpoints", "string", descriptions::ENDPOINTS_SUBSETS),
        Column::age(),
    ],
    row,
    empty_rows_are_null: false,
};

/// At most this many endpoints are listed.
const MAX_SHOWN: usize = 3;

/// Go's `net.JoinHostPort`: brackets around hosts that contain a colon.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn format_endpoints(ep: &Value) -> String {
    let subsets = list_at(ep, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_owned();
    }
    let mut shown: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for subset in subsets {
        let addresses = list_at(subset, &["addresses"]);
        let ports = list_at(subset, &["ports"]);
        // A headless Service may have no ports: list bare addresses.
        let ports: Vec<Option<i64>> = if ports.is_empty() {
            vec![None]
        } else {
            ports.iter().map(|p| Some(int_at(p, &["port"]))).collect()
        };
        for port in ports {
            count += addresses.len();
            for addr in addresses {
                if shown.len() == MAX_SHOWN {
                    more = true;
                    break;
                }
                let ip = str_at(addr, &["ip"]);
                shown.push(match port {
                    Some(port) => join_host_port(ip, port),
                    None => ip.to_owned(),
                });
            }
        }
    }
    let list = shown.join(",");
    if more {
        format!("{list} + {} more...", count - MAX_SHOWN)
    } else {
        list
    }
}

fn row(ep: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        str_at(ep, &["metadata", "name"]).into(),
        format_endpoints(ep).into(),
        timestamp::since(timestamp::at(ep, &["metadata", "creationTimestamp"]), now).into(),
    ])
}
