//! The Services lab (`labs/services/STEPS.md`), every command verbatim and in order, with the
//! stock kubectl (and again with kubectl 1.30), from a folder holding `labs/services/`,
//! asserting at each step what STEPS.md says a person sees; then `kubelite down` leaves no
//! namespace, link, route or rule behind.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use support::{Cluster, Run, Table, eventually};

/// One learner at the keyboard: runs STEPS.md's commands as typed.
struct Learner<'c> {
    c: &'c Cluster,
}

impl Learner<'_> {
    /// A `kubectl …` line of STEPS.md, split on spaces as the shell would.
    fn kubectl(&self, line: &str) -> Run {
        let args: Vec<&str> = line
            .strip_prefix("kubectl ")
            .expect("a kubectl line")
            .split(' ')
            .collect();
        self.c.kubectl(&args)
    }

    /// A `curl …` line run on the node itself.
    fn curl_on_node(&self, line: &str) -> Run {
        let args: Vec<&str> = line
            .strip_prefix("curl ")
            .expect("a curl line")
            .split(' ')
            .collect();
        self.c.exec("curl", &args, &[])
    }
}

fn assert_whoami(body: &str, pod_ip: &str, host: &str) {
    assert!(body.contains("Hostname: whoami"), "{body}");
    assert!(body.contains(&format!("IP: {pod_ip}\n")), "{body}");
    assert!(body.contains("RemoteAddr: "), "{body}");
    assert!(body.contains("GET / HTTP/1.1"), "{body}");
    assert!(body.contains(&format!("Host: {host}")), "{body}");
}

fn in_range(ip: &str, prefix: &str) -> bool {
    ip.starts_with(prefix) && ip.parse::<std::net::Ipv4Addr>().is_ok()
}

fn run_lab(kubectl: &str) {
    let mut c = Cluster::start();
    c.kubectl = kubectl.to_string();
    let me = Learner { c: &c };

    // 1. Pods with labels.
    let out = me.kubectl("kubectl apply -f labs/services/specs/pods").ok();
    assert_eq!(out.stdout, "pod/sleep created\npod/whoami created\n");
    let table = eventually(20, || {
        let t = Table::parse(
            &me.kubectl("kubectl get pods -o wide --show-labels")
                .ok()
                .stdout,
        );
        ["sleep", "whoami"]
            .iter()
            .all(|p| t.cell(p, "STATUS") == "Running" && t.cell(p, "READY") == "1/1")
            .then_some(t)
    });
    let whoami_ip = table.cell("whoami", "IP").to_string();
    let sleep_ip = table.cell("sleep", "IP").to_string();
    assert_ne!(whoami_ip, sleep_ip);
    assert!(in_range(&whoami_ip, "10.42.0.") && in_range(&sleep_ip, "10.42.0."));
    assert_ne!(table.cell("whoami", "NODE"), "<none>");
    assert_eq!(
        table.cell("whoami", "LABELS"),
        "app=whoami,kubernetes.courselabs.co=services"
    );
    let lookup = me.kubectl("kubectl exec sleep -- nslookup whoami");
    assert_ne!(lookup.code, 0);
    assert!(lookup.stdout.contains("NXDOMAIN"), "{}", lookup.stdout);

    // 2. A ClusterIP Service.
    let out = me
        .kubectl("kubectl apply -f labs/services/specs/services/whoami-clusterip.yaml")
        .ok();
    assert_eq!(out.stdout, "service/whoami created\n");
    let svc = me.kubectl("kubectl get service whoami").ok().stdout;
    let t = Table::parse(&svc);
    assert_eq!(
        t.header,
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert_eq!(t.cell("whoami", "TYPE"), "ClusterIP");
    let cluster_ip = t.cell("whoami", "CLUSTER-IP").to_string();
    assert!(in_range(&cluster_ip, "10.43."), "{cluster_ip}");
    assert_eq!(t.cell("whoami", "EXTERNAL-IP"), "<none>");
    assert_eq!(t.cell("whoami", "PORT(S)"), "80/TCP");
    let describe = eventually(10, || {
        let out = me.kubectl("kubectl describe svc whoami").ok().stdout;
        out.contains(&format!("{whoami_ip}:80")).then_some(out)
    });
    for (field, value) in [
        ("Selector:", "app=whoami".to_string()),
        ("IP:", cluster_ip.clone()),
        ("Port:", "http  80/TCP".to_string()),
        ("TargetPort:", "80/TCP".to_string()),
        ("Endpoints:", format!("{whoami_ip}:80")),
    ] {
        assert!(
            describe
                .lines()
                .any(|l| l.starts_with(field) && l.ends_with(&value)),
            "{field} {value}:\n{describe}"
        );
    }

    // 3. DNS finds the Service.
    let lookup = me
        .kubectl("kubectl exec sleep -- nslookup whoami")
        .ok()
        .stdout;
    assert!(lookup.starts_with("Server:\t\t10.43.0.10\n"), "{lookup}");
    assert!(
        lookup.contains(&format!(
            "Name:\twhoami.default.svc.cluster.local\nAddress: {cluster_ip}\n"
        )),
        "{lookup}"
    );
    let body = me
        .kubectl("kubectl exec sleep -- curl -s http://whoami")
        .ok()
        .stdout;
    assert_whoami(&body, &whoami_ip, "whoami");

    // 4. Replace the Pod: new IP, same Service.
    let t = Table::parse(
        &me.kubectl("kubectl get pods -o wide -l app=whoami")
            .ok()
            .stdout,
    );
    assert_eq!(t.names(), ["whoami"]);
    let started = Instant::now();
    let out = me.kubectl("kubectl delete pods -l app=whoami").ok();
    assert_eq!(out.stdout, "pod \"whoami\" deleted\n");
    assert!(started.elapsed() < Duration::from_secs(10));
    let out = me.kubectl("kubectl apply -f labs/services/specs/pods").ok();
    assert_eq!(out.stdout, "pod/sleep unchanged\npod/whoami created\n");
    let new_ip = eventually(20, || {
        let t = Table::parse(
            &me.kubectl("kubectl get pods -o wide -l app=whoami")
                .ok()
                .stdout,
        );
        (t.cell("whoami", "STATUS") == "Running").then(|| t.cell("whoami", "IP").to_string())
    });
    assert_ne!(new_ip, whoami_ip);
    assert!(in_range(&new_ip, "10.42.0."));
    let lookup = me
        .kubectl("kubectl exec sleep -- nslookup whoami")
        .ok()
        .stdout;
    assert!(
        lookup.contains(&format!("Address: {cluster_ip}\n")),
        "{lookup}"
    );
    let body = eventually(10, || {
        let run = me.kubectl("kubectl exec sleep -- curl -s http://whoami");
        (run.code == 0 && run.stdout.contains(&format!("IP: {new_ip}\n"))).then_some(run.stdout)
    });
    assert_whoami(&body, &new_ip, "whoami");

    // 5. External Services.
    let out = me
        .kubectl("kubectl apply -f labs/services/specs/services/whoami-nodeport.yaml -f labs/services/specs/services/whoami-loadbalancer.yaml")
        .ok();
    assert_eq!(
        out.stdout,
        "service/whoami-np created\nservice/whoami-lb created\n"
    );
    let node_ip = c
        .kubectl(&[
            "get",
            "nodes",
            "-o",
            "jsonpath={.items[0].status.addresses[?(@.type==\"InternalIP\")].address}",
        ])
        .ok()
        .stdout;
    let t = eventually(10, || {
        let t = Table::parse(&me.kubectl("kubectl get svc -l app=whoami").ok().stdout);
        (t.cell("whoami-lb", "EXTERNAL-IP") != "<pending>").then_some(t)
    });
    assert_eq!(t.names(), ["whoami-lb", "whoami-np"]);
    assert_eq!(t.cell("whoami-np", "TYPE"), "NodePort");
    assert_eq!(t.cell("whoami-np", "PORT(S)"), "8010:30010/TCP");
    assert_eq!(t.cell("whoami-lb", "TYPE"), "LoadBalancer");
    assert_eq!(t.cell("whoami-lb", "EXTERNAL-IP"), node_ip);
    let lb_ports = t.cell("whoami-lb", "PORT(S)");
    assert!(
        lb_ports.starts_with("8080:3") && lb_ports.ends_with("/TCP"),
        "{lb_ports}"
    );
    for (line, host) in [
        (
            "kubectl exec sleep -- curl -s http://whoami-lb:8080",
            "whoami-lb:8080",
        ),
        (
            "kubectl exec sleep -- curl -s http://whoami-np:8010",
            "whoami-np:8010",
        ),
    ] {
        let body = me.kubectl(line).ok().stdout;
        assert_whoami(&body, &new_ip, host);
    }
    for (line, host) in [
        ("curl http://localhost:8080", "localhost:8080"),
        ("curl http://localhost:30010", "localhost:30010"),
    ] {
        let body = me.curl_on_node(line).ok().stdout;
        assert_whoami(&body, &new_ip, host);
    }

    // 6. Zero and many matching Pods.
    let out = me
        .kubectl("kubectl apply -f labs/services/solution/whoami-svc-zeromatches.yaml")
        .ok();
    assert_eq!(out.stdout, "service/whoami-zero-matches created\n");
    let endpoints = eventually(5, || {
        let run = me.kubectl("kubectl get endpoints whoami-zero-matches");
        (run.code == 0).then_some(run.stdout)
    });
    assert_eq!(
        Table::parse(&endpoints).cell("whoami-zero-matches", "ENDPOINTS"),
        "<none>"
    );
    let lookup = me
        .kubectl("kubectl exec sleep -- nslookup whoami-zero-matches")
        .ok()
        .stdout;
    assert!(
        lookup.contains("Name:\twhoami-zero-matches.default.svc.cluster.local\nAddress: 10.43."),
        "{lookup}"
    );
    let started = Instant::now();
    let refused = me.kubectl("kubectl exec sleep -- curl -v -m 5 http://whoami-zero-matches");
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("Connection refused"),
        "{}",
        refused.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    let out = me
        .kubectl("kubectl apply -f labs/services/solution/whoami-pod-2.yaml")
        .ok();
    assert_eq!(out.stdout, "pod/whoami-2 created\n");
    let t = eventually(20, || {
        let t = Table::parse(
            &me.kubectl("kubectl get po -o wide -l app=whoami")
                .ok()
                .stdout,
        );
        (t.cell("whoami-2", "STATUS") == "Running").then_some(t)
    });
    let ips: BTreeSet<String> = ["whoami", "whoami-2"]
        .iter()
        .map(|p| t.cell(p, "IP").to_string())
        .collect();
    assert_eq!(ips.len(), 2);
    let endpoints = eventually(10, || {
        let t = Table::parse(&me.kubectl("kubectl get endpoints whoami").ok().stdout);
        let listed: BTreeSet<String> = t
            .cell("whoami", "ENDPOINTS")
            .split(',')
            .map(|e| e.trim_end_matches(":80").to_string())
            .collect();
        (listed == ips).then_some(listed)
    });
    assert_eq!(endpoints.len(), 2);
    let mut answered = BTreeSet::new();
    for _ in 0..40 {
        let body = me
            .kubectl("kubectl exec sleep -- curl -v http://whoami")
            .ok()
            .stdout;
        assert!(body.contains("Host: whoami"), "{body}");
        if let Some(ip) = ips.iter().find(|ip| body.contains(&format!("IP: {ip}\n"))) {
            answered.insert(ip.clone());
        }
        if answered.len() == 2 {
            break;
        }
    }
    assert_eq!(answered, ips, "both Pods answer in turn");

    // 7. Cleanup.
    let out = me
        .kubectl("kubectl delete pod,svc -l kubernetes.courselabs.co=services")
        .ok();
    for gone in [
        "pod \"sleep\" deleted",
        "pod \"whoami\" deleted",
        "pod \"whoami-2\" deleted",
        "service \"whoami\" deleted",
        "service \"whoami-lb\" deleted",
        "service \"whoami-np\" deleted",
        "service \"whoami-zero-matches\" deleted",
    ] {
        assert!(out.stdout.contains(gone), "{gone}:\n{}", out.stdout);
    }
    let left = me.kubectl("kubectl get pods,svc").ok();
    let t = Table::parse(&left.stdout);
    assert_eq!(t.names(), ["service/kubernetes"], "{}", left.stdout);
    eventually(10, || {
        let ep = c
            .kubectl(&["get", "endpoints,endpointslices", "-o", "name"])
            .ok()
            .stdout;
        ep.lines().all(|l| l.ends_with("/kubernetes")).then_some(())
    });

    // `kubelite down` removes everything the cluster made on the node.
    let down = c.node_sh(&format!(
        "{} down --data-dir {}",
        support::kubelite_bin(),
        c.data_dir().display()
    ));
    assert_eq!(down.code, 0, "{}{}", down.stdout, down.stderr);
    assert!(down.stdout.contains("kubelite stopped"), "{}", down.stdout);
    // Processes: all but the namespace's holder (`sleep`, PID 1) and this shell. Exited
    // processes the holder does not reap (state Z) are gone, not left running.
    let leftovers = c.node_sh(&format!(
        "ip -o link show | grep -v ': lo:'; nft list tables; ls /run/netns; ip route; \
         grep {} /proc/self/mountinfo; \
         ps -eo stat=,comm= | grep -v -e '^Z' -e ' sleep$' -e ' sh$' -e ' ps$' -e ' grep$'",
        c.data_dir().display()
    ));
    assert_eq!(
        leftovers.stdout.trim(),
        "",
        "left behind:\n{}",
        leftovers.stdout
    );
}

#[test]
fn the_services_lab_verbatim() {
    run_lab("/usr/bin/kubectl");
}

#[test]
fn the_services_lab_with_kubectl_1_30() {
    run_lab("/usr/lib/google-cloud-sdk/bin/kubectl.1.30");
}
