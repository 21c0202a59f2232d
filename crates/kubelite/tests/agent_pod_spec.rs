//! More of the Pod spec the agent honours, end to end: a failing liveness probe restarts the
//! container (with the kubelet's Unhealthy and Killing events), a startup probe holds the
//! liveness probe back, `dnsPolicy: None` with `dnsConfig` writes the Pod's resolv.conf, and
//! Docker-link variables name the Services of the Pod's namespace.

mod support;

use support::{Cluster, eventually};

const PODS: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: unhealthy
spec:
  containers:
  - name: app
    image: traefik/whoami
    livenessProbe:
      httpGet: {path: /missing, port: 81}
      periodSeconds: 1
      failureThreshold: 2
---
apiVersion: v1
kind: Pod
metadata:
  name: slow-start
spec:
  containers:
  - name: app
    image: busybox
    command: [sh, -c, 'sleep 4; touch /tmp/started-$HOSTNAME; sleep 1d']
    startupProbe:
      exec: {command: [sh, -c, 'test -e /tmp/started-$HOSTNAME']}
      periodSeconds: 1
      failureThreshold: 30
    livenessProbe:
      exec: {command: [sh, -c, 'test -e /tmp/started-$HOSTNAME']}
      periodSeconds: 1
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: custom-dns
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.53]
    searches: [corp.example]
    options: [{name: ndots, value: "2"}]
  containers:
  - name: app
    image: busybox
    command: [sleep, 1d]
"#;

fn restarts(c: &Cluster, pod: &str) -> i64 {
    let p = c.kubectl_json(&["get", "pod", pod]);
    p["status"]["containerStatuses"][0]["restartCount"]
        .as_i64()
        .unwrap_or(0)
}

#[test]
fn probes_dns_config_and_service_links() {
    let c = Cluster::start();
    // A Service that exists before the Pods start, for the Docker-link variables.
    c.kubectl(&[
        "apply",
        "-f",
        "labs/services/specs/services/whoami-clusterip.yaml",
    ])
    .ok();
    let path = c.write("pods.yaml", PODS);
    c.kubectl(&["apply", "-f", path.to_str().unwrap()]).ok();

    // Liveness: the failing probe restarts the container, as the kubelet does.
    eventually(20, || (restarts(&c, "unhealthy") >= 1).then_some(()));
    let events = c
        .kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=unhealthy",
        ])
        .ok()
        .stdout;
    assert!(
        events.contains("Unhealthy") && events.contains("Liveness probe failed"),
        "{events}"
    );
    assert!(
        events.contains("Killing") && events.contains("failed liveness probe, will be restarted"),
        "{events}"
    );

    // Startup: the liveness probe waits until the startup probe has passed, so the slow
    // starter is never restarted and turns Ready once started.
    eventually(20, || {
        let p = c.kubectl_json(&["get", "pod", "slow-start"]);
        (p["status"]["containerStatuses"][0]["started"] == true).then_some(())
    });
    c.kubectl(&[
        "wait",
        "--for=condition=Ready",
        "pod/slow-start",
        "--timeout=10s",
    ])
    .ok();
    assert_eq!(restarts(&c, "slow-start"), 0);

    // dnsPolicy None + dnsConfig.
    c.kubectl(&[
        "wait",
        "--for=condition=Ready",
        "pod/custom-dns",
        "--timeout=20s",
    ])
    .ok();
    let resolv = c
        .kubectl(&["exec", "custom-dns", "--", "cat", "/etc/resolv.conf"])
        .ok()
        .stdout;
    assert_eq!(
        resolv,
        "search corp.example\nnameserver 192.0.2.53\noptions ndots:2\n"
    );

    // Docker-link variables of the Services in the Pod's namespace, and the kubernetes Service.
    let ip = c
        .kubectl(&["get", "svc", "whoami", "-o", "jsonpath={.spec.clusterIP}"])
        .ok()
        .stdout;
    let env = c.kubectl(&["exec", "custom-dns", "--", "env"]).ok().stdout;
    for line in [
        format!("WHOAMI_SERVICE_HOST={ip}"),
        "WHOAMI_SERVICE_PORT=80".to_string(),
        "WHOAMI_SERVICE_PORT_HTTP=80".to_string(),
        format!("WHOAMI_PORT=tcp://{ip}:80"),
        format!("WHOAMI_PORT_80_TCP_ADDR={ip}"),
        "KUBERNETES_SERVICE_HOST=10.43.0.1".to_string(),
        "KUBERNETES_SERVICE_PORT=443".to_string(),
    ] {
        assert!(env.lines().any(|l| l == line), "{line} missing:\n{env}");
    }
}
