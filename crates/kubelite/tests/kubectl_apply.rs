//! `kubectl apply`, client-side and server-side, on the Services lab's manifests: what kubectl
//! prints for created / unchanged / configured / serverside-applied objects, and the field
//! managers a real API server records.
//!
//! Expected strings come from upstream kubectl (`pkg/cmd/apply/apply.go`: the printer operations
//! "created", "unchanged", "configured", "serverside-applied"; SSA migration of the
//! client-side-apply manager via `client-go/util/csaupgrade`).

mod support;

use support::Cluster;

const PODS: &str = "labs/services/specs/pods";
const CLUSTERIP: &str = "labs/services/specs/services/whoami-clusterip.yaml";

/// The lab's two Pod manifests, as (file name, contents).
fn lab_pods() -> Vec<(String, String)> {
    let dir = support::lab_root().join(PODS);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("lab pods folder")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("manifest"))
        })
        .collect();
    files.sort();
    files
}

/// `[(manager, operation)]` of an object's managedFields, and whether every entry has a time.
fn managers(c: &Cluster, args: &[&str]) -> (Vec<(String, String)>, bool) {
    let mut all = args.to_vec();
    all.push("--show-managed-fields");
    let obj = c.kubectl_json(&all);
    let entries = obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Status writes (the scheduler's and the node agent's, subresource status) are not
    // kubectl's business.
    let entries: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["subresource"].as_str().is_none_or(str::is_empty))
        .collect();
    let mut list: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or_default().to_string(),
                e["operation"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    list.sort();
    let timed = entries
        .iter()
        .all(|e| e["time"].as_str().is_some_and(|t| !t.is_empty()));
    (list, timed)
}

#[test]
fn apply_creates_then_reports_unchanged_then_configured() {
    let c = Cluster::start();

    let first = c.kubectl(&["apply", "-f", PODS]).ok();
    assert_eq!(first.stdout, "pod/sleep created\npod/whoami created\n");

    let again = c.kubectl(&["apply", "-f", PODS]).ok();
    assert_eq!(again.stdout, "pod/sleep unchanged\npod/whoami unchanged\n");

    // A copy of the folder with one label of whoami changed.
    let mut copy = None;
    for (name, text) in lab_pods() {
        let text = if name == "whoami.yaml" {
            assert!(
                text.contains("kubernetes.courselabs.co: services\n"),
                "{text}"
            );
            text.replace(
                "kubernetes.courselabs.co: services\n",
                "kubernetes.courselabs.co: services-edited\n",
            )
        } else {
            text
        };
        copy = Some(c.write(&format!("pods/{name}"), &text));
    }
    let folder = copy.unwrap().parent().unwrap().to_path_buf();
    let edited = c.kubectl(&["apply", "-f", folder.to_str().unwrap()]).ok();
    assert_eq!(
        edited.stdout,
        "pod/sleep unchanged\npod/whoami configured\n"
    );

    let labels = c.kubectl(&["get", "pod", "whoami", "--show-labels"]).ok();
    let table = support::Table::parse(&labels.stdout);
    assert_eq!(
        table.header,
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    );
    assert_eq!(
        table.cell("whoami", "LABELS"),
        "app=whoami,kubernetes.courselabs.co=services-edited"
    );
    let value = c
        .kubectl(&[
            "get",
            "pod",
            "whoami",
            "-o",
            r"jsonpath={.metadata.labels.kubernetes\.courselabs\.co}",
        ])
        .ok();
    assert_eq!(value.stdout, "services-edited");

    // The last-applied annotation now holds the edited manifest, so re-applying it is a no-op.
    let stable = c.kubectl(&["apply", "-f", folder.to_str().unwrap()]).ok();
    assert_eq!(stable.stdout, "pod/sleep unchanged\npod/whoami unchanged\n");
}

#[test]
fn apply_server_side_creates_and_reapplies_with_kubectl_as_manager() {
    let c = Cluster::start();

    let first = c
        .kubectl(&["apply", "--server-side", "-f", PODS, "-f", CLUSTERIP])
        .ok();
    assert_eq!(
        first.stdout,
        "pod/sleep serverside-applied\npod/whoami serverside-applied\nservice/whoami serverside-applied\n"
    );
    assert_eq!(first.stderr, "");

    let again = c
        .kubectl(&["apply", "--server-side", "-f", PODS, "-f", CLUSTERIP])
        .ok();
    assert_eq!(again.stdout, first.stdout);

    // Only kubectl's Apply entry: SSA creates never write the last-applied annotation.
    let (svc, timed) = managers(&c, &["get", "service", "whoami"]);
    assert_eq!(svc, [("kubectl".to_string(), "Apply".to_string())]);
    assert!(
        timed,
        "the entry of an apply that created the object carries a time"
    );
    let (pod, _) = managers(&c, &["get", "pod", "whoami"]);
    assert_eq!(pod, [("kubectl".to_string(), "Apply".to_string())]);

    // The applied object got the server's defaults.
    let svc = c.kubectl_json(&["get", "service", "whoami"]);
    assert_eq!(svc["spec"]["sessionAffinity"], "None");
    assert!(
        svc["spec"]["clusterIP"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.43.")),
        "{svc}"
    );
    assert!(
        svc["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_null()
    );
}

#[test]
fn apply_server_side_after_client_side_migrates_the_field_managers() {
    let c = Cluster::start();
    let created = c.kubectl(&["apply", "-f", CLUSTERIP]).ok();
    assert_eq!(created.stdout, "service/whoami created\n");
    let (before, _) = managers(&c, &["get", "service", "whoami"]);
    assert_eq!(
        before,
        [(
            "kubectl-client-side-apply".to_string(),
            "Update".to_string()
        )]
    );

    let ssa = c.kubectl(&["apply", "--server-side", "-f", CLUSTERIP]).ok();
    assert_eq!(ssa.stdout, "service/whoami serverside-applied\n");
    assert_eq!(ssa.stderr, "", "the migration patches succeed silently");

    // kubectl saves the annotation under `kubectl-last-applied`, then folds the
    // client-side-apply manager into `kubectl` (csaupgrade.UpgradeManagedFields removes it).
    // No `time` check here: the `kubectl-last-applied` apply changes nothing (the annotation
    // already holds the same configuration), and structured-merge-diff records no time for a
    // no-op apply (merge/update.go returns a nil object, managedfieldsupdater.go skips the time).
    let (after, _) = managers(&c, &["get", "service", "whoami"]);
    assert_eq!(
        after,
        [
            ("kubectl".to_string(), "Apply".to_string()),
            ("kubectl-last-applied".to_string(), "Apply".to_string()),
        ]
    );

    // The annotation survives the switch to server-side apply.
    let svc = c.kubectl_json(&["get", "service", "whoami"]);
    assert!(
        svc["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string()
    );
}
