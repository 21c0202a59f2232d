//! Pods that do not come up, as the kubelet reports them: an image kubelite cannot run
//! (ErrImagePull, then ImagePullBackOff, with the catalog's message), a command that keeps
//! failing (CrashLoopBackOff with restarts counted) and a readiness probe that fails (Running
//! but not Ready).

mod support;

use support::{Cluster, Table, eventually};

const PODS: &str = "apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
  - name: web
    image: nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: crasher
spec:
  containers:
  - name: app
    image: busybox
    command: [sh, -c, 'echo failing; exit 1']
---
apiVersion: v1
kind: Pod
metadata:
  name: unready
spec:
  containers:
  - name: app
    image: busybox
    readinessProbe:
      exec:
        command: ['false']
      periodSeconds: 1
";

#[test]
fn failing_pods_are_reported_like_the_kubelet() {
    let c = Cluster::start();
    let path = c.write("failing.yaml", PODS);
    c.kubectl(&["apply", "-f", path.to_str().unwrap()]).ok();

    let table = eventually(20, || {
        let table = Table::parse(&c.kubectl(&["get", "pods"]).ok().stdout);
        let pulled =
            table.names().contains(&"nginx") && table.cell("nginx", "STATUS") == "ErrImagePull";
        pulled.then_some(table)
    });
    assert_eq!(table.cell("nginx", "READY"), "0/1");
    let pod = c.kubectl_json(&["get", "pod", "nginx"]);
    let waiting = &pod["status"]["containerStatuses"][0]["state"]["waiting"];
    let message = waiting["message"].as_str().unwrap();
    assert!(
        message.starts_with("failed to pull and unpack image \"docker.io/library/nginx:1.27\": kubelite runs built-in images only"),
        "{message}"
    );
    assert_eq!(pod["status"]["phase"], "Pending");
    eventually(10, || {
        let pod = c.kubectl_json(&["get", "pod", "nginx"]);
        let waiting = &pod["status"]["containerStatuses"][0]["state"]["waiting"];
        (waiting["reason"] == "ImagePullBackOff").then_some(())
    });

    let table = eventually(20, || {
        let table = Table::parse(&c.kubectl(&["get", "pods"]).ok().stdout);
        (table.cell("crasher", "STATUS") == "CrashLoopBackOff").then_some(table)
    });
    let restarts = table.cell("crasher", "RESTARTS");
    assert!(
        restarts.starts_with('1') || restarts.starts_with('2'),
        "{restarts}"
    );
    let pod = c.kubectl_json(&["get", "pod", "crasher"]);
    let status = &pod["status"]["containerStatuses"][0];
    assert_eq!(status["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(status["lastState"]["terminated"]["reason"], "Error");
    assert!(
        status["state"]["waiting"]["message"]
            .as_str()
            .unwrap()
            .starts_with("back-off 10s restarting failed container=app pod=crasher_default(")
    );
    let events = c
        .kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=crasher",
        ])
        .ok();
    assert!(
        events
            .stdout
            .contains("Back-off restarting failed container app in pod crasher_default("),
        "{}",
        events.stdout
    );

    let table = Table::parse(&c.kubectl(&["get", "pods"]).ok().stdout);
    assert_eq!(table.cell("unready", "STATUS"), "Running");
    assert_eq!(table.cell("unready", "READY"), "0/1");
    let pod = c.kubectl_json(&["get", "pod", "unready"]);
    let ready = pod["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "ContainersNotReady");
    assert_eq!(ready["message"], "containers with unready status: [app]");
    let events = eventually(10, || {
        let out = c
            .kubectl(&[
                "get",
                "events",
                "--field-selector",
                "involvedObject.name=unready",
            ])
            .ok();
        out.stdout
            .contains("Readiness probe failed")
            .then_some(out.stdout)
    });
    assert!(events.contains("Unhealthy"), "{events}");
}
