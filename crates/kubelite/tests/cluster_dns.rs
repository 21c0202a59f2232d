//! Cluster DNS end to end (issue 5): Pods find Services by name through the `kube-dns` Service
//! (10.43.0.10), answered from the watch cache: NXDOMAIN before a Service exists, its ClusterIP
//! after, across Pod replacement and namespaces; headless, ExternalName, SRV and PTR records.

mod support;

use std::collections::BTreeSet;

use support::{Cluster, eventually};

fn lab_pods(c: &Cluster) {
    c.kubectl(&["apply", "-f", "labs/services/specs/pods"]).ok();
    c.wait_ready("default", &["sleep", "whoami"]);
}

/// `kubectl exec -n NS POD -- ARGS`.
fn exec(c: &Cluster, ns: &str, pod: &str, args: &[&str]) -> support::Run {
    let mut all = vec!["exec", "-n", ns, pod, "--"];
    all.extend(args);
    c.kubectl(&all)
}

#[test]
fn services_get_names_that_follow_them() {
    let c = Cluster::start();
    lab_pods(&c);

    let before = exec(&c, "default", "sleep", &["nslookup", "whoami"]);
    assert_ne!(before.code, 0, "{}", before.stdout);
    assert!(before.stdout.contains("NXDOMAIN"), "{}", before.stdout);

    c.kubectl(&[
        "apply",
        "-f",
        "labs/services/specs/services/whoami-clusterip.yaml",
    ])
    .ok();
    let ip = c.jsonpath(&["get", "svc", "whoami"], "{.spec.clusterIP}");
    let check = |c: &Cluster| {
        let out = eventually(5, || {
            let run = exec(c, "default", "sleep", &["nslookup", "whoami"]);
            (run.code == 0).then_some(run.stdout)
        });
        assert!(out.contains("Server:\t\t10.43.0.10"), "{out}");
        assert!(
            out.contains("Name:\twhoami.default.svc.cluster.local"),
            "{out}"
        );
        assert!(out.contains(&format!("Address: {ip}")), "{out}");
        let body = exec(
            c,
            "default",
            "sleep",
            &["curl", "-s", "-m", "5", "http://whoami"],
        )
        .ok()
        .stdout;
        assert!(body.contains("Hostname: whoami"), "{body}");
        assert!(body.contains("Host: whoami"), "{body}");
    };
    check(&c);

    c.kubectl(&["delete", "pods", "-l", "app=whoami"]).ok();
    c.kubectl(&["apply", "-f", "labs/services/specs/pods"]).ok();
    c.wait_ready("default", &["whoami"]);
    assert_eq!(
        c.jsonpath(&["get", "svc", "whoami"], "{.spec.clusterIP}"),
        ip
    );
    eventually(10, || {
        let run = exec(
            &c,
            "default",
            "sleep",
            &["curl", "-s", "-m", "5", "http://whoami"],
        );
        (run.code == 0).then_some(())
    });
    check(&c);

    // Qualified names, and the kubernetes Service.
    for name in [
        "whoami.default",
        "whoami.default.svc.cluster.local",
        "kubernetes.default",
    ] {
        let out = exec(&c, "default", "sleep", &["nslookup", name])
            .ok()
            .stdout;
        assert!(out.contains("Address: 10.43."), "{name}: {out}");
    }

    // From another namespace: the qualified name works, the plain one does not.
    c.kubectl(&["create", "namespace", "other"]).ok();
    c.kubectl(&[
        "run",
        "-n",
        "other",
        "client",
        "--image=busybox",
        "--",
        "sleep",
        "1d",
    ])
    .ok();
    c.wait_ready("other", &["client"]);
    let body = exec(
        &c,
        "other",
        "client",
        &["curl", "-s", "-m", "5", "http://whoami.default"],
    )
    .ok()
    .stdout;
    assert!(body.contains("Hostname: whoami"), "{body}");
    let plain = exec(&c, "other", "client", &["nslookup", "whoami"]);
    assert_ne!(plain.code, 0, "{}", plain.stdout);
    assert!(plain.stdout.contains("NXDOMAIN"), "{}", plain.stdout);
}

#[test]
fn headless_external_name_srv_and_reverse() {
    let c = Cluster::start();
    lab_pods(&c);
    let manifest = c.write(
        "dns.yaml",
        r#"apiVersion: v1
kind: Service
metadata:
  name: whoami-headless
spec:
  clusterIP: None
  selector: {app: whoami}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: docs
spec:
  type: ExternalName
  externalName: kubernetes.io
"#,
    );
    c.kubectl(&[
        "apply",
        "-f",
        "labs/services/specs/services/whoami-clusterip.yaml",
        "-f",
        "labs/services/solution/whoami-pod-2.yaml",
        "-f",
        manifest.to_str().unwrap(),
    ])
    .ok();
    c.wait_ready("default", &["whoami-2"]);
    let pod_ips: BTreeSet<String> = ["whoami", "whoami-2"]
        .iter()
        .map(|p| c.jsonpath(&["get", "pod", p], "{.status.podIP}"))
        .collect();

    let answered = eventually(5, || {
        let out = exec(
            &c,
            "default",
            "sleep",
            &["dig", "+short", "whoami-headless.default.svc.cluster.local"],
        )
        .ok()
        .stdout;
        let ips: BTreeSet<String> = out.lines().map(str::to_string).collect();
        (ips == pod_ips).then_some(ips)
    });
    assert_eq!(answered.len(), 2);

    let cname = exec(
        &c,
        "default",
        "sleep",
        &["dig", "+short", "docs.default.svc.cluster.local", "CNAME"],
    )
    .ok()
    .stdout;
    assert_eq!(cname.trim(), "kubernetes.io.");

    let srv = exec(
        &c,
        "default",
        "sleep",
        &[
            "nslookup",
            "-type=srv",
            "_http._tcp.whoami.default.svc.cluster.local",
        ],
    )
    .ok()
    .stdout;
    assert!(
        srv.contains("service = 0 100 80 whoami.default.svc.cluster.local."),
        "{srv}"
    );

    let ip = c.jsonpath(&["get", "svc", "whoami"], "{.spec.clusterIP}");
    let ptr = exec(&c, "default", "sleep", &["dig", "+short", "-x", &ip])
        .ok()
        .stdout;
    assert_eq!(ptr.trim(), "whoami.default.svc.cluster.local.");
}
