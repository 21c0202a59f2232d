//! What a Service write claims from the allocators: its ClusterIP and its NodePorts.
//!
//! A write first claims new values ([`ServiceAllocator::claim`]); the values the old object held
//! and the new one no longer does are released only once the write is stored
//! ([`Claim::commit`]), and a failed write gives back what it claimed ([`Claim::rollback`]).

use std::net::Ipv4Addr;
use std::sync::Mutex;

use kubelite_api::validation::{FieldError, Path};
use serde_json::{Value, json};

use crate::alloc::{AllocError, IpAllocator, PortAllocator};

pub struct ServiceAllocator {
    ips: Mutex<IpAllocator>,
    ports: Mutex<PortAllocator>,
}

/// The allocations a Service holds.
#[derive(Debug, Default, Clone, PartialEq)]
struct Held {
    ip: Option<Ipv4Addr>,
    node_ports: Vec<i64>,
}

fn held(svc: &Value) -> Held {
    let spec = &svc["spec"];
    let ip = spec["clusterIP"].as_str().and_then(|s| s.parse().ok());
    let node_ports = spec["ports"]
        .as_array()
        .map(|ports| {
            ports
                .iter()
                .filter_map(|p| p["nodePort"].as_i64())
                .filter(|p| *p != 0)
                .collect()
        })
        .unwrap_or_default();
    Held { ip, node_ports }
}

fn needs_node_ports(spec: &Value) -> bool {
    match spec["type"].as_str() {
        Some("NodePort") => true,
        Some("LoadBalancer") => spec["allocateLoadBalancerNodePorts"].as_bool() != Some(false),
        _ => false,
    }
}

/// Values claimed by one write, not yet committed.
#[must_use]
pub struct Claim<'a> {
    alloc: &'a ServiceAllocator,
    claimed: Held,
    to_release: Held,
}

impl Claim<'_> {
    /// The write is stored: free what the old object held and the new one dropped.
    pub fn commit(self) {
        self.alloc.release(&self.to_release);
    }

    /// The write failed: give back what it claimed.
    pub fn rollback(self) {
        self.alloc.release(&self.claimed);
    }
}

impl ServiceAllocator {
    pub fn new(ips: IpAllocator, ports: PortAllocator) -> Self {
        ServiceAllocator {
            ips: Mutex::new(ips),
            ports: Mutex::new(ports),
        }
    }

    /// The `n`th address of the service range (`1` is the `kubernetes` Service's).
    pub fn nth_ip(&self, n: u32) -> Ipv4Addr {
        self.ips.lock().expect("ip allocator").nth(n)
    }

    /// Marks a stored Service's values as used (at start).
    pub fn restore(&self, svc: &Value) {
        let h = held(svc);
        if let Some(ip) = h.ip {
            let _ = self.ips.lock().expect("ip allocator").allocate(ip);
        }
        let mut ports = self.ports.lock().expect("port allocator");
        for p in h.node_ports {
            let _ = ports.allocate(p);
        }
    }

    fn release(&self, h: &Held) {
        if let Some(ip) = h.ip {
            self.ips.lock().expect("ip allocator").release(ip);
        }
        let mut ports = self.ports.lock().expect("port allocator");
        for p in &h.node_ports {
            ports.release(*p);
        }
    }

    /// Frees everything a deleted Service held.
    pub fn release_all(&self, svc: &Value) {
        self.release(&held(svc));
    }

    /// Fills in and claims the ClusterIP and NodePorts of `new` (created when `old` is `None`).
    /// Values the old object held are kept when the update leaves them out, as kube-apiserver does.
    pub fn claim(
        &self,
        old: Option<&Value>,
        new: &mut Value,
    ) -> Result<Claim<'_>, Vec<FieldError>> {
        let before = old.map(held).unwrap_or_default();
        let mut claimed = Held::default();
        let mut errors = Vec::new();
        let spec = &mut new["spec"];
        if !spec.is_object() {
            return Ok(Claim {
                alloc: self,
                claimed,
                to_release: Held::default(),
            });
        }

        let is_external_name = spec["type"].as_str() == Some("ExternalName");
        if is_external_name {
            if let Some(m) = spec.as_object_mut() {
                m.remove("clusterIP");
                m.remove("clusterIPs");
                m.remove("ipFamilies");
                m.remove("ipFamilyPolicy");
            }
        } else {
            let requested = spec["clusterIP"]
                .as_str()
                .or_else(|| spec["clusterIPs"][0].as_str())
                .unwrap_or("")
                .to_string();
            let keep = old
                .and_then(|o| o["spec"]["clusterIP"].as_str())
                .filter(|s| !s.is_empty());
            let ip_value = match (requested.as_str(), keep) {
                ("", Some(kept)) => kept.to_string(),
                ("None", _) => "None".to_string(),
                ("", None) => match self.ips.lock().expect("ip allocator").allocate_next() {
                    Ok(ip) => {
                        claimed.ip = Some(ip);
                        ip.to_string()
                    }
                    Err(e) => {
                        errors.push(alloc_ip_error(&requested, e));
                        String::new()
                    }
                },
                (req, Some(kept)) if req == kept => kept.to_string(),
                (req, _) => match req.parse::<Ipv4Addr>() {
                    Ok(ip) => match self.ips.lock().expect("ip allocator").allocate(ip) {
                        Ok(()) => {
                            claimed.ip = Some(ip);
                            ip.to_string()
                        }
                        Err(e) => {
                            errors.push(alloc_ip_error(req, e));
                            req.to_string()
                        }
                    },
                    // Malformed addresses are reported by validation.
                    Err(_) => req.to_string(),
                },
            };
            if !ip_value.is_empty() {
                spec["clusterIP"] = json!(ip_value);
                spec["clusterIPs"] = json!([ip_value]);
                if spec.get("ipFamilies").is_none_or(Value::is_null) {
                    spec["ipFamilies"] = json!(["IPv4"]);
                }
                if spec.get("ipFamilyPolicy").is_none_or(Value::is_null) {
                    spec["ipFamilyPolicy"] = json!("SingleStack");
                }
            }
        }

        let wants_ports = needs_node_ports(spec);
        let old_ports: Vec<(i64, String, i64)> = old
            .and_then(|o| o["spec"]["ports"].as_array())
            .map(|ports| {
                ports
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p["port"].as_i64()?,
                            p["protocol"].as_str().unwrap_or("TCP").to_string(),
                            p["nodePort"].as_i64().filter(|n| *n != 0)?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(ports) = spec["ports"].as_array_mut() {
            let mut ports_alloc = self.ports.lock().expect("port allocator");
            for (i, p) in ports.iter_mut().enumerate() {
                let requested = p["nodePort"].as_i64().filter(|n| *n != 0);
                if !wants_ports {
                    if requested.is_some() && !is_external_name && old.is_some() {
                        // Leaving NodePort type: the port is wiped, as upstream does.
                        if let Some(m) = p.as_object_mut() {
                            m.remove("nodePort");
                        }
                    }
                    continue;
                }
                let port = p["port"].as_i64().unwrap_or(0);
                let proto = p["protocol"].as_str().unwrap_or("TCP").to_string();
                let previous = old_ports
                    .iter()
                    .find(|(op, opr, _)| *op == port && *opr == proto)
                    .map(|(_, _, n)| *n);
                let chosen = match (requested, previous) {
                    (Some(r), _) if before.node_ports.contains(&r) => Some(r),
                    (None, Some(prev)) => Some(prev),
                    (Some(r), _) => match ports_alloc.allocate(r) {
                        Ok(()) => {
                            claimed.node_ports.push(r);
                            Some(r)
                        }
                        Err(e) => {
                            errors.push(node_port_error(i, r, e));
                            None
                        }
                    },
                    (None, None) => match ports_alloc.allocate_next() {
                        Ok(n) => {
                            claimed.node_ports.push(i64::from(n));
                            Some(i64::from(n))
                        }
                        Err(e) => {
                            errors.push(node_port_error(i, 0, e));
                            None
                        }
                    },
                };
                if let (Some(n), Some(m)) = (chosen, p.as_object_mut()) {
                    m.insert("nodePort".into(), json!(n));
                }
            }
        }

        if !errors.is_empty() {
            self.release(&claimed);
            return Err(errors);
        }
        let after = held(new);
        let to_release = Held {
            ip: before.ip.filter(|ip| after.ip != Some(*ip)),
            node_ports: before
                .node_ports
                .iter()
                .copied()
                .filter(|p| !after.node_ports.contains(p))
                .collect(),
        };
        Ok(Claim {
            alloc: self,
            claimed,
            to_release,
        })
    }
}

fn alloc_ip_error(requested: &str, e: AllocError) -> FieldError {
    let detail = if requested.is_empty() {
        format!("failed to allocate a serviceIP: {e}")
    } else {
        format!("failed to allocate IP {requested}: {e}")
    };
    FieldError::invalid(
        &Path::new("spec").child("clusterIPs"),
        json!([requested]),
        &detail,
    )
}

fn node_port_error(index: usize, port: i64, e: AllocError) -> FieldError {
    let path = Path::new("spec")
        .child("ports")
        .index(index)
        .child("nodePort");
    FieldError::invalid(&path, port, &e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocator() -> ServiceAllocator {
        ServiceAllocator::new(
            IpAllocator::new(
                "10.43.0.0/16".parse().unwrap(),
                &[Ipv4Addr::new(10, 43, 0, 10)],
            ),
            PortAllocator::new(30000, 32767),
        )
    }

    #[test]
    fn create_allocates_ip_and_node_ports() {
        let a = allocator();
        let mut svc = json!({"spec": {"type": "NodePort", "ports": [{"port": 8010, "protocol": "TCP", "nodePort": 30010}, {"port": 9, "protocol": "UDP"}]}});
        a.claim(None, &mut svc).unwrap().commit();
        let ip: Ipv4Addr = svc["spec"]["clusterIP"].as_str().unwrap().parse().unwrap();
        assert_eq!(svc["spec"]["clusterIPs"], json!([ip.to_string()]));
        assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv4"]));
        assert_eq!(svc["spec"]["ports"][0]["nodePort"], 30010);
        assert!(svc["spec"]["ports"][1]["nodePort"].as_i64().unwrap() >= 30000);

        let mut clash = json!({"spec": {"type": "NodePort", "clusterIP": ip.to_string(), "ports": [{"port": 1, "protocol": "TCP", "nodePort": 30010}]}});
        let errs = a.claim(None, &mut clash).err().unwrap();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].field, "spec.clusterIPs");
        assert_eq!(
            errs[0].detail,
            format!("failed to allocate IP {ip}: provided IP is already allocated")
        );
        assert_eq!(errs[1].field, "spec.ports[0].nodePort");
        assert_eq!(errs[1].detail, "provided port is already allocated");

        let mut out_of_range = json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 1, "protocol": "TCP", "nodePort": 8080}]}});
        let errs = a.claim(None, &mut out_of_range).err().unwrap();
        assert_eq!(
            errs[0].detail,
            "provided port is not in the valid range. The range of valid ports is 30000-32767"
        );
    }

    #[test]
    fn updates_keep_values_and_release_dropped_ones() {
        let a = allocator();
        let mut svc = json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}]}});
        a.claim(None, &mut svc).unwrap().commit();
        // An update that leaves out clusterIP and nodePort keeps them.
        let mut same =
            json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "protocol": "TCP"}]}});
        a.claim(Some(&svc), &mut same).unwrap().commit();
        assert_eq!(same["spec"]["clusterIP"], svc["spec"]["clusterIP"]);
        assert_eq!(same["spec"]["ports"][0]["nodePort"], 30080);
        // Back to ClusterIP: the NodePort is wiped and freed for others.
        let mut cip = json!({"spec": {"type": "ClusterIP", "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}]}});
        a.claim(Some(&same), &mut cip).unwrap().commit();
        assert!(cip["spec"]["ports"][0].get("nodePort").is_none());
        let mut other = json!({"spec": {"type": "NodePort", "ports": [{"port": 1, "protocol": "TCP", "nodePort": 30080}]}});
        let claim = a.claim(None, &mut other).unwrap();
        claim.rollback();
        let mut again = other.clone();
        a.claim(None, &mut again).unwrap().commit();
    }

    #[test]
    fn headless_and_external_name_hold_no_ip() {
        let a = allocator();
        let mut headless = json!({"spec": {"clusterIP": "None", "ports": []}});
        a.claim(None, &mut headless).unwrap().commit();
        assert_eq!(headless["spec"]["clusterIPs"], json!(["None"]));
        let mut ext = json!({"spec": {"type": "ExternalName", "externalName": "example.com"}});
        a.claim(None, &mut ext).unwrap().commit();
        assert!(ext["spec"].get("clusterIP").is_none());
        // The reserved DNS address is given only when asked for.
        let mut dns = json!({"spec": {"clusterIP": "10.43.0.10", "ports": [{"port": 53, "protocol": "UDP"}]}});
        a.claim(None, &mut dns).unwrap().commit();
        assert_eq!(dns["spec"]["clusterIP"], "10.43.0.10");
    }
}
