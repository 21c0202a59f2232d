//! Endpoints (core/v1) and EndpointSlice (discovery/v1) validation.

use super::field::{FieldError, Path};
use super::meta::{NameRule, str_at, validate_labels, validate_object_meta};
use super::names;
use serde_json::Value;

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn validate_protocol(port: &Value, path: &Path) -> Vec<FieldError> {
    match str_at(port, "protocol") {
        "" => vec![FieldError::required(&path.child("protocol"), "")],
        p if PROTOCOLS.contains(&p) => Vec::new(),
        p => vec![FieldError::not_supported(
            &path.child("protocol"),
            p,
            PROTOCOLS,
        )],
    }
}

fn validate_address(addr: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ip = str_at(addr, "ip");
    for msg in names::ip(ip) {
        errs.push(FieldError::invalid(&path.child("ip"), ip, &msg));
    }
    let hostname = str_at(addr, "hostname");
    if !hostname.is_empty() {
        for msg in names::dns1123_label(hostname) {
            errs.push(FieldError::invalid(&path.child("hostname"), hostname, &msg));
        }
    }
    let node = str_at(addr, "nodeName");
    if !node.is_empty() {
        for msg in names::dns1123_subdomain(node) {
            errs.push(FieldError::invalid(&path.child("nodeName"), node, &msg));
        }
    }
    errs
}

/// `ValidateEndpoints` (create and update share it).
pub fn validate_endpoints(ep: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(ep, true, NameRule::Dns1123Subdomain);
    let subsets_path = Path::new("subsets");
    for (i, ss) in array(ep, "subsets").iter().enumerate() {
        let sp = subsets_path.index(i);
        let (ready, not_ready) = (array(ss, "addresses"), array(ss, "notReadyAddresses"));
        if ready.is_empty() && not_ready.is_empty() {
            errs.push(FieldError::required(
                &sp,
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for (j, a) in ready.iter().enumerate() {
            errs.extend(validate_address(a, &sp.child("addresses").index(j)));
        }
        for (j, a) in not_ready.iter().enumerate() {
            errs.extend(validate_address(a, &sp.child("notReadyAddresses").index(j)));
        }
        let ports = array(ss, "ports");
        for (j, p) in ports.iter().enumerate() {
            let pp = sp.child("ports").index(j);
            let name = str_at(p, "name");
            if ports.len() > 1 && name.is_empty() {
                errs.push(FieldError::required(&pp.child("name"), ""));
            } else if !name.is_empty() {
                for msg in names::dns1123_label(name) {
                    errs.push(FieldError::invalid(&pp.child("name"), name, &msg));
                }
            }
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            for msg in names::port_num(port) {
                errs.push(FieldError::invalid(&pp.child("port"), port, &msg));
            }
            errs.extend(validate_protocol(p, &pp));
        }
    }
    errs
}

/// `ValidateEndpointSlice`; `old` is the stored object on update (addressType is immutable).
pub fn validate_endpoint_slice(slice: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = validate_object_meta(slice, true, NameRule::Dns1123Subdomain);
    let addr_type = str_at(slice, "addressType");
    let mut valid = vec!["FQDN", "IPv4", "IPv6"];
    if old.is_some() {
        valid.insert(0, "IP");
    }
    if addr_type.is_empty() {
        errs.push(FieldError::required(&Path::new("addressType"), ""));
    } else if !valid.contains(&addr_type) {
        errs.push(FieldError::not_supported(
            &Path::new("addressType"),
            addr_type,
            &valid,
        ));
    }
    let eps_path = Path::new("endpoints");
    let endpoints = array(slice, "endpoints");
    if endpoints.len() > 1000 {
        errs.push(FieldError::too_many(&eps_path, endpoints.len(), 1000));
    } else {
        for (i, ep) in endpoints.iter().enumerate() {
            let ap = eps_path.index(i).child("addresses");
            let addrs = array(ep, "addresses");
            if addrs.is_empty() {
                errs.push(FieldError::required(&ap, "must contain at least 1 address"));
            } else if addrs.len() > 100 {
                errs.push(FieldError::too_many(&ap, addrs.len(), 100));
            }
            for (j, a) in addrs.iter().enumerate() {
                let a = a.as_str().unwrap_or("");
                if addr_type != "IPv4" && addr_type != "IPv6" {
                    continue;
                }
                let msgs = names::ip(a);
                if !msgs.is_empty() {
                    for msg in msgs {
                        errs.push(FieldError::invalid(&ap.index(j), a, &msg));
                    }
                } else if a.contains(':') != (addr_type == "IPv6") {
                    errs.push(FieldError::invalid(
                        &ap.index(j),
                        a,
                        &format!("must be an {addr_type} address"),
                    ));
                }
            }
            errs.extend(validate_labels(
                ep.get("topology"),
                &eps_path.index(i).child("topology"),
            ));
            if let Some(h) = ep.get("hostname").and_then(Value::as_str) {
                for msg in names::dns1123_label(h) {
                    errs.push(FieldError::invalid(
                        &eps_path.index(i).child("hostname"),
                        h,
                        &msg,
                    ));
                }
            }
        }
    }
    let ports_path = Path::new("ports");
    let ports = array(slice, "ports");
    if ports.len() > 100 {
        errs.push(FieldError::too_many(&ports_path, ports.len(), 100));
        return errs;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = ports_path.index(i);
        let name = str_at(p, "name");
        if !name.is_empty() {
            for msg in names::dns1123_label(name) {
                errs.push(FieldError::invalid(&pp.child("name"), name, &msg));
            }
        }
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(&pp.child("name"), name));
        } else {
            seen.push(name);
        }
        errs.extend(validate_protocol(p, &pp));
    }
    if let Some(old) = old {
        let old_type = str_at(old, "addressType");
        if old_type != addr_type {
            errs.push(FieldError::invalid(
                &Path::new("addressType"),
                addr_type,
                "field is immutable",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn endpoints() {
        let ok = json!({"metadata": {"name": "web", "namespace": "default"}, "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80, "protocol": "TCP"}]}]});
        assert!(validate_endpoints(&ok).is_empty());
        let bad = json!({"metadata": {"name": "web", "namespace": "default"}, "subsets": [{"ports": [{"port": 80, "protocol": "TCP"}, {"port": 81, "protocol": "TCP"}]}]});
        assert_eq!(
            msgs(validate_endpoints(&bad)),
            vec![
                "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`",
                "subsets[0].ports[0].name: Required value",
                "subsets[0].ports[1].name: Required value",
            ]
        );
    }

    #[test]
    fn endpoint_slices() {
        let ok = json!({"metadata": {"name": "web-abc", "namespace": "default"}, "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.1"]}], "ports": [{"name": "", "port": 80, "protocol": "TCP"}]});
        assert!(validate_endpoint_slice(&ok, None).is_empty());
        let bad = json!({"metadata": {"name": "web-abc", "namespace": "default"}, "addressType": "Foo", "endpoints": [{"addresses": []}], "ports": [{"name": "a", "protocol": "TCP"}, {"name": "a", "protocol": "TCP"}]});
        assert_eq!(
            msgs(validate_endpoint_slice(&bad, None)),
            vec![
                "addressType: Unsupported value: \"Foo\": supported values: \"FQDN\", \"IPv4\", \"IPv6\"",
                "endpoints[0].addresses: Required value: must contain at least 1 address",
                "ports[1].name: Duplicate value: \"a\"",
            ]
        );
        let mut changed = ok.clone();
        changed["addressType"] = json!("IPv6");
        changed["endpoints"] = json!([{"addresses": ["fd00::1"]}]);
        assert_eq!(
            msgs(validate_endpoint_slice(&changed, Some(&ok))),
            vec!["addressType: Invalid value: \"IPv6\": field is immutable"]
        );
    }
}
