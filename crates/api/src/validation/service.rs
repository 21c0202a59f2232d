//! Service validation: `ValidateService` and `ValidateServiceUpdate` (clusterIP immutability).
//! NodePort range and IP allocation checks belong to the allocators, not here.

use super::field::{FieldError, Path, go_quote};
use super::meta::{
    NameRule, str_at, string_list, validate_labels, validate_object_meta,
    validate_object_meta_update,
};
use super::names;
use super::pod::validate_port_num_or_name;
use serde_json::Value;

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const MAX_CLIENT_IP_AFFINITY_SECONDS: i64 = 86400;

fn ports(svc: &Value) -> &[Value] {
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `spec.clusterIPs` as the registry sees it after syncing it from `spec.clusterIP`.
fn cluster_ips(svc: &Value) -> Vec<String> {
    let ips = string_list(svc.pointer("/spec/clusterIPs"));
    let ip = svc
        .pointer("/spec/clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("");
    if ips.is_empty() && !ip.is_empty() {
        vec![ip.to_string()]
    } else {
        ips
    }
}

fn is_headless(svc: &Value) -> bool {
    cluster_ips(svc) == ["None"]
}

fn externally_accessible(svc: &Value) -> bool {
    let t = svc
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    t == "LoadBalancer"
        || t == "NodePort"
        || (t == "ClusterIP" && !string_list(svc.pointer("/spec/externalIPs")).is_empty())
}

/// Go `%#v` of the `core.ServicePort{Protocol, Port}` key used for duplicate detection.
fn go_service_port_key(protocol: &str, port: i64) -> String {
    format!(
        "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
        go_quote(protocol)
    )
}

fn validate_service_port(
    sp: &Value,
    require_name: bool,
    seen: &mut Vec<String>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_at(sp, "name");
    if require_name && name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else if !name.is_empty() {
        for msg in names::dns1123_label(name) {
            errs.push(FieldError::invalid(&path.child("name"), name, &msg));
        }
        if seen.iter().any(|s| s == name) {
            errs.push(FieldError::duplicate(&path.child("name"), name));
        } else {
            seen.push(name.to_string());
        }
    }
    let port = sp.get("port").and_then(Value::as_i64).unwrap_or(0);
    for msg in names::port_num(port) {
        errs.push(FieldError::invalid(&path.child("port"), port, &msg));
    }
    let proto = str_at(sp, "protocol");
    if proto.is_empty() {
        errs.push(FieldError::required(&path.child("protocol"), ""));
    } else if !PROTOCOLS.contains(&proto) {
        errs.push(FieldError::not_supported(
            &path.child("protocol"),
            proto,
            PROTOCOLS,
        ));
    }
    errs.extend(validate_port_num_or_name(
        sp.get("targetPort"),
        &path.child("targetPort"),
    ));
    if let Some(app) = sp.get("appProtocol").and_then(Value::as_str) {
        for msg in names::qualified_name(app) {
            errs.push(FieldError::invalid(&path.child("appProtocol"), app, &msg));
        }
    }
    errs
}

fn validate_cluster_ips(svc: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let spec = Path::new("spec");
    let ips_path = spec.child("clusterIPs");
    let ips = cluster_ips(svc);
    let ip = svc
        .pointer("/spec/clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !ip.is_empty() {
        if ips.first().map(String::as_str) != Some(ip) {
            errs.push(FieldError::invalid(
                &ips_path,
                Value::from(ips.clone()),
                "first value must match `clusterIP`",
            ));
        }
    } else if !ips.is_empty() {
        errs.push(FieldError::invalid(
            &ips_path,
            Value::from(ips.clone()),
            "must be empty when `clusterIP` is not specified",
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    let families = string_list(svc.pointer("/spec/ipFamilies"));
    for (i, f) in families.iter().enumerate() {
        if f != "IPv4" && f != "IPv6" {
            errs.push(FieldError::not_supported(
                &spec.child("ipFamilies").index(i),
                f.as_str(),
                &["IPv4", "IPv6"],
            ));
        }
        if seen.contains(&f.as_str()) {
            errs.push(FieldError::duplicate(
                &spec.child("ipFamilies").index(i),
                f.as_str(),
            ));
        }
        seen.push(f);
    }
    if let Some(policy) = svc.pointer("/spec/ipFamilyPolicy").and_then(Value::as_str) {
        let valid = ["PreferDualStack", "RequireDualStack", "SingleStack"];
        if !valid.contains(&policy) {
            errs.push(FieldError::not_supported(
                &spec.child("ipFamilyPolicy"),
                policy,
                &valid,
            ));
        }
    }
    let mut invalid = false;
    for (i, cip) in ips.iter().enumerate() {
        if i == 0 && cip == "None" {
            if ips.len() > 1 {
                invalid = true;
                errs.push(FieldError::invalid(
                    &ips_path,
                    Value::from(ips.clone()),
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        for msg in names::ip(cip) {
            invalid = true;
            errs.push(FieldError::invalid(&ips_path.index(i), cip.as_str(), &msg));
        }
    }
    if ips.len() > 2 {
        errs.push(FieldError::invalid(
            &ips_path,
            Value::from(ips.clone()),
            "may only hold up to 2 values",
        ));
    }
    if invalid {
        return errs;
    }
    if ips.len() > 1 {
        let v6: Vec<bool> = ips.iter().map(|s| s.contains(':')).collect();
        if v6.iter().all(|b| *b) || v6.iter().all(|b| !*b) {
            errs.push(FieldError::invalid(
                &ips_path,
                Value::from(ips.clone()),
                "may specify no more than one IP for each IP family",
            ));
        }
    }
    if !is_headless(svc) {
        for (i, cip) in ips.iter().enumerate().take(families.len()) {
            let is_v6 = cip.contains(':');
            if families[i] == "IPv4" && is_v6 {
                errs.push(FieldError::invalid(
                    &ips_path.index(i),
                    cip.as_str(),
                    &format!("expected an IPv4 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
            if families[i] == "IPv6" && !is_v6 {
                errs.push(FieldError::invalid(
                    &ips_path.index(i),
                    cip.as_str(),
                    &format!("expected an IPv6 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
        }
    }
    errs
}

/// `ValidateService`.
pub fn validate_service(svc: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(svc, true, NameRule::Dns1035Label);
    let spec = Path::new("spec");
    let svc_type = svc
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let ports = ports(svc);
    if ports.is_empty() && !is_headless(svc) && svc_type != "ExternalName" {
        errs.push(FieldError::required(&spec.child("ports"), ""));
    }
    match svc_type {
        "LoadBalancer" | "NodePort" if is_headless(svc) => errs.push(FieldError::invalid(
            &spec.child("clusterIPs").index(0),
            "None",
            &format!("may not be set to 'None' for {svc_type} services"),
        )),
        "ExternalName" => {
            if !cluster_ips(svc).is_empty() {
                errs.push(FieldError::forbidden(
                    &spec.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if !string_list(svc.pointer("/spec/ipFamilies")).is_empty() {
                errs.push(FieldError::forbidden(
                    &spec.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if svc
                .pointer("/spec/ipFamilyPolicy")
                .is_some_and(|v| !v.is_null())
            {
                errs.push(FieldError::forbidden(
                    &spec.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            let name = svc
                .pointer("/spec/externalName")
                .and_then(Value::as_str)
                .unwrap_or("");
            let cname = name.strip_suffix('.').unwrap_or(name);
            if cname.is_empty() {
                errs.push(FieldError::required(&spec.child("externalName"), ""));
            } else {
                for msg in names::dns1123_subdomain(cname) {
                    errs.push(FieldError::invalid(
                        &spec.child("externalName"),
                        cname,
                        &msg,
                    ));
                }
            }
        }
        _ => {}
    }
    let mut seen_names = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        errs.extend(validate_service_port(
            p,
            ports.len() > 1,
            &mut seen_names,
            &spec.child("ports").index(i),
        ));
    }
    if let Some(sel) = svc.pointer("/spec/selector").filter(|v| !v.is_null()) {
        errs.extend(validate_labels(Some(sel), &spec.child("selector")));
    }
    let affinity = svc
        .pointer("/spec/sessionAffinity")
        .and_then(Value::as_str)
        .unwrap_or("");
    let config = svc
        .pointer("/spec/sessionAffinityConfig")
        .filter(|v| !v.is_null());
    match affinity {
        "" => errs.push(FieldError::required(&spec.child("sessionAffinity"), "")),
        "ClientIP" => {
            let cp = spec.child("sessionAffinityConfig");
            let detail = "when session affinity type is ClientIP";
            match config.map(|c| (c, c.get("clientIP").filter(|v| !v.is_null()))) {
                None => errs.push(FieldError::required(&cp, detail)),
                Some((_, None)) => errs.push(FieldError::required(&cp.child("clientIP"), detail)),
                Some((_, Some(client))) => match client.get("timeoutSeconds").and_then(Value::as_i64) {
                    None => errs.push(FieldError::required(&cp.child("clientIP").child("timeoutSeconds"), detail)),
                    Some(t) if t <= 0 || t > MAX_CLIENT_IP_AFFINITY_SECONDS => errs.push(FieldError::invalid(
                        &cp.child("clientIP").child("timeoutSeconds"),
                        t,
                        &format!("must be greater than 0 and less than {MAX_CLIENT_IP_AFFINITY_SECONDS}"),
                    )),
                    Some(_) => {}
                },
            }
        }
        "None" => {
            if config.is_some() {
                errs.push(FieldError::forbidden(
                    &spec.child("sessionAffinityConfig"),
                    "must not be set when session affinity is None",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            &spec.child("sessionAffinity"),
            other,
            &["ClientIP", "None"],
        )),
    }
    if svc_type != "ExternalName" {
        errs.extend(validate_cluster_ips(svc));
    }
    for (i, ip) in string_list(svc.pointer("/spec/externalIPs"))
        .iter()
        .enumerate()
    {
        for msg in names::ip(ip) {
            errs.push(FieldError::invalid(
                &spec.child("externalIPs").index(i),
                ip.as_str(),
                &msg,
            ));
        }
    }
    if svc_type.is_empty() {
        errs.push(FieldError::required(&spec.child("type"), ""));
    } else if !SERVICE_TYPES.contains(&svc_type) {
        errs.push(FieldError::not_supported(
            &spec.child("type"),
            svc_type,
            SERVICE_TYPES,
        ));
    }
    if svc_type == "ClusterIP" {
        for (i, p) in ports.iter().enumerate() {
            if p.get("nodePort").and_then(Value::as_i64).unwrap_or(0) != 0 {
                errs.push(FieldError::forbidden(
                    &spec.child("ports").index(i).child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut node_ports: Vec<(String, i64)> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let np = p.get("nodePort").and_then(Value::as_i64).unwrap_or(0);
        if np == 0 {
            continue;
        }
        let key = (str_at(p, "protocol").to_string(), np);
        if node_ports.contains(&key) {
            errs.push(FieldError::duplicate(
                &spec.child("ports").index(i).child("nodePort"),
                np,
            ));
        }
        node_ports.push(key);
    }
    let mut keys: Vec<(String, i64)> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let key = (
            str_at(p, "protocol").to_string(),
            p.get("port").and_then(Value::as_i64).unwrap_or(0),
        );
        if keys.contains(&key) {
            errs.push(
                FieldError::duplicate(&spec.child("ports").index(i), Value::Null)
                    .with_go_repr(go_service_port_key(&key.0, key.1)),
            );
        }
        keys.push(key);
    }
    if svc
        .pointer("/spec/allocateLoadBalancerNodePorts")
        .is_some_and(|v| !v.is_null())
        && svc_type != "LoadBalancer"
    {
        errs.push(FieldError::forbidden(
            &spec.child("allocateLoadBalancerNodePorts"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    let etp = svc
        .pointer("/spec/externalTrafficPolicy")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !externally_accessible(svc) {
        if !etp.is_empty() {
            errs.push(FieldError::invalid(
                &spec.child("externalTrafficPolicy"),
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(FieldError::required(
            &spec.child("externalTrafficPolicy"),
            "",
        ));
    } else if etp != "Cluster" && etp != "Local" {
        errs.push(FieldError::not_supported(
            &spec.child("externalTrafficPolicy"),
            etp,
            &["Cluster", "Local"],
        ));
    }
    match svc
        .pointer("/spec/internalTrafficPolicy")
        .and_then(Value::as_str)
    {
        None if ["NodePort", "LoadBalancer", "ClusterIP"].contains(&svc_type) => {
            errs.push(FieldError::required(
                &spec.child("internalTrafficPolicy"),
                "",
            ));
        }
        Some(itp) if itp != "Cluster" && itp != "Local" => {
            errs.push(FieldError::not_supported(
                &spec.child("internalTrafficPolicy"),
                itp,
                &["Cluster", "Local"],
            ));
        }
        _ => {}
    }
    errs
}

/// `ValidateServiceUpdate`: clusterIPs and ipFamilies may not change once set.
pub fn validate_service_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    let ips_path = Path::new("spec").child("clusterIPs");
    let is_ext =
        |s: &Value| s.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName");
    if !(is_ext(new) || is_ext(old) || (is_headless(new) && is_headless(old))) {
        let (n, o) = (cluster_ips(new), cluster_ips(old));
        let changed = Value::from(n.clone());
        if n.len() == o.len() {
            for (i, ip) in o.iter().enumerate() {
                if *ip != n[i] {
                    errs.push(FieldError::invalid(
                        &ips_path.index(i),
                        changed.clone(),
                        "may not change once set",
                    ));
                }
            }
        } else if o.len() > n.len() {
            if n.is_empty() {
                errs.push(FieldError::invalid(
                    &ips_path.index(0),
                    changed.clone(),
                    "primary clusterIP can not be unset",
                ));
            } else if n[0] != o[0] {
                errs.push(FieldError::invalid(
                    &ips_path.index(0),
                    changed.clone(),
                    "may not change once set",
                ));
            }
        } else if !o.is_empty() && n[0] != o[0] {
            errs.push(FieldError::invalid(
                &ips_path.index(0),
                changed,
                "may not change once set",
            ));
        }
        if is_headless(new) == is_headless(old) && !is_headless(new) {
            let (nf, of) = (
                string_list(new.pointer("/spec/ipFamilies")),
                string_list(old.pointer("/spec/ipFamilies")),
            );
            let fam_path = Path::new("spec").child("ipFamilies").index(0);
            if nf.len() == of.len() {
                for (i, f) in of.iter().enumerate() {
                    if *f != nf[i] {
                        errs.push(FieldError::invalid(
                            &fam_path,
                            Value::from(nf.clone()),
                            "may not change once set",
                        ));
                    }
                }
            }
        }
    }
    errs.extend(validate_service(new));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::apply_defaults;
    use serde_json::json;

    fn svc(spec: Value) -> Value {
        let mut s = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"}, "spec": spec});
        apply_defaults("Service", &mut s);
        s
    }

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn create_errors() {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"ports": [{"port": 80}]}), vec![]),
            (
                json!({"selector": {"app": "x"}}),
                vec!["spec.ports: Required value"],
            ),
            (json!({"clusterIP": "None"}), vec![]),
            (
                json!({"type": "ExternalName"}),
                vec!["spec.externalName: Required value"],
            ),
            (
                json!({"type": "ExternalName", "externalName": "example.com."}),
                vec![],
            ),
            (
                json!({"ports": [{"port": 0}]}),
                vec![
                    "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                    "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "name": "http"}, {"port": 81, "name": "http"}, {"port": 82}]}),
                vec![
                    "spec.ports[1].name: Duplicate value: \"http\"",
                    "spec.ports[2].name: Required value",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "protocol": "XYZ"}]}),
                vec![
                    "spec.ports[0].protocol: Unsupported value: \"XYZ\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "targetPort": "Web_Port"}]}),
                vec![
                    "spec.ports[0].targetPort: Invalid value: \"Web_Port\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                ],
            ),
            (
                json!({"type": "Magic", "ports": [{"port": 80}]}),
                vec![
                    "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "nodePort": 30080}]}),
                vec![
                    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "name": "a"}, {"port": 80, "name": "b"}]}),
                vec![
                    "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
                ],
            ),
            (
                json!({"sessionAffinity": "Sticky", "ports": [{"port": 80}]}),
                vec![
                    "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"",
                ],
            ),
            (
                json!({"type": "NodePort", "clusterIP": "None", "ports": [{"port": 80}]}),
                vec![
                    "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services",
                ],
            ),
            (
                json!({"clusterIP": "10.0.0.300", "ports": [{"port": 80}]}),
                vec![
                    "spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                ],
            ),
            (
                json!({"selector": {"app": "a b"}, "ports": [{"port": 80}]}),
                vec![
                    "spec.selector: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(msgs(validate_service(&svc(spec.clone()))), want, "{spec}");
        }
        let mut bad_name = svc(json!({"ports": [{"port": 80}]}));
        bad_name["metadata"]["name"] = json!("1web");
        assert_eq!(
            msgs(validate_service(&bad_name)),
            vec![
                "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
            ]
        );
    }

    #[test]
    fn cluster_ip_immutable() {
        let mut old = svc(json!({"ports": [{"port": 80}]}));
        old["spec"]["clusterIP"] = json!("10.96.0.10");
        old["spec"]["clusterIPs"] = json!(["10.96.0.10"]);
        let mut new = old.clone();
        new["spec"]["clusterIP"] = json!("10.96.0.11");
        new["spec"]["clusterIPs"] = json!(["10.96.0.11"]);
        assert_eq!(
            msgs(validate_service_update(&new, &old)),
            vec![
                "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set"
            ]
        );
        assert!(validate_service_update(&old, &old).is_empty());
    }
}
