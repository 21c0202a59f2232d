//! The pods Table (`printPod` in `pkg/printers/internalversion/printers.go`, 1.33).
//!
//! Columns: Name, Ready `ready/total`, Status, Restarts (a string: `"3"` or `"3 (12s ago)"`), Age,
//! and wide: IP, Node, Nominated Node, Readiness Gates. Status starts from the phase, is
//! overridden by `status.reason`, `SchedulingGated`, init-container progress (`Init:1/2`,
//! `Init:CrashLoopBackOff`, `Init:ExitCode:1`), then by the last regular container with a waiting or
//! terminated reason, and finally by `Terminating` / `Unknown` for pods being deleted.
//! Succeeded and Failed pods carry a `Completed` row condition.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use crate::column::Column;
use crate::descriptions;
use crate::fields::{bool_at, get, int_at, list_at, present, str_at};
use crate::printer::{Printer, Row};
use crate::timestamp;

/// `node.NodeUnreachablePodReason`: the reason the node lifecycle controller sets.
const NODE_UNREACHABLE_POD_REASON: &str = "NodeLost";

pub(crate) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::new(
            "Ready",
            "string",
            "The aggregate readiness state of this pod for accepting traffic.",
        ),
        Column::new(
            "Status",
            "string",
            "The aggregate status of the containers in this pod.",
        ),
        Column::new(
            "Restarts",
            "string",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
        ),
        Column::age(),
        Column::new("IP", "string", descriptions::POD_IP).wide(),
        Column::new("Node", "string", descriptions::POD_NODE_NAME).wide(),
        Column::new(
            "Nominated Node",
            "string",
            descriptions::POD_NOMINATED_NODE_NAME,
        )
        .wide(),
        Column::new(
            "Readiness Gates",
            "string",
            descriptions::POD_READINESS_GATES,
        )
        .wide(),
    ],
    row,
    empty_rows_are_null: false,
};

/// The latest of two Go times where `None` is the zero time (`a.Before(b)` then replace).
fn later(current: Option<Timestamp>, candidate: Option<Timestamp>) -> Option<Timestamp> {
    match (current, candidate) {
        (Some(c), Some(n)) if c < n => Some(n),
        (None, Some(n)) => Some(n),
        _ => current,
    }
}

/// `podutil.IsRestartableInitContainer`: a sidecar, i.e. `restartPolicy: Always`.
fn is_restartable(init_container: Option<&Value>) -> bool {
    init_container.is_some_and(|c| str_at(c, &["restartPolicy"]) == "Always")
}

fn condition_is_true(pod: &Value, type_: &str) -> bool {
    list_at(pod, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == type_ && str_at(c, &["status"]) == "True")
}

/// `isPodInitializedConditionTrue`: only the first `Initialized` condition counts.
fn initialized_condition_true(pod: &Value) -> bool {
    list_at(pod, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Initialized")
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

/// `Signal:9` / `ExitCode:1` for a terminated state without a reason.
fn signal_or_exit_code(terminated: &Value) -> String {
    let signal = int_at(terminated, &["signal"]);
    if signal != 0 {
        format!("Signal:{signal}")
    } else {
        format!("ExitCode:{}", int_at(terminated, &["exitCode"]))
    }
}

fn last_termination(status: &Value) -> Option<Timestamp> {
    get(status, &["lastState", "terminated"]).and_then(|t| timestamp::at(t, &["finishedAt"]))
}

/// `ready/total`, the status reason and the restarts cell.
fn summarize(pod: &Value, now: Timestamp) -> (String, String, String) {
    let init_specs = list_at(pod, &["spec", "initContainers"]);
    let init_spec = |name: &str| init_specs.iter().find(|c| str_at(c, &["name"]) == name);

    let total = list_at(pod, &["spec", "containers"]).len()
        + init_specs
            .iter()
            .filter(|c| is_restartable(Some(c)))
            .count();
    let mut ready = 0;
    let mut restarts = 0;
    let mut sidecar_restarts = 0;
    let mut last_restart = None;
    let mut last_sidecar_restart = None;

    let phase = str_at(pod, &["status", "phase"]);
    let mut reason = match str_at(pod, &["status", "reason"]) {
        "" => phase.to_owned(),
        r => r.to_owned(),
    };
    for c in list_at(pod, &["status", "conditions"]) {
        if str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated" {
            reason = "SchedulingGated".to_owned();
        }
    }

    let mut initializing = false;
    for (i, cs) in list_at(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let count = int_at(cs, &["restartCount"]);
        restarts += count;
        last_restart = later(last_restart, last_termination(cs));
        let restartable = is_restartable(init_spec(str_at(cs, &["name"])));
        if restartable {
            sidecar_restarts += count;
            last_sidecar_restart = later(last_sidecar_restart, last_termination(cs));
        }
        let terminated = get(cs, &["state", "terminated"]);
        let waiting_reason = str_at(cs, &["state", "waiting", "reason"]);
        match terminated {
            Some(t) if int_at(t, &["exitCode"]) == 0 => continue,
            _ if restartable && bool_at(cs, &["started"]) => {
                if bool_at(cs, &["ready"]) {
                    ready += 1;
                }
                continue;
            }
            Some(t) => {
                reason = match str_at(t, &["reason"]) {
                    "" => format!("Init:{}", signal_or_exit_code(t)),
                    r => format!("Init:{r}"),
                };
            }
            None if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" => {
                reason = format!("Init:{waiting_reason}");
            }
            None => reason = format!("Init:{i}/{}", init_specs.len()),
        }
        initializing = true;
        break;
    }

    if !initializing || initialized_condition_true(pod) {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for cs in list_at(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int_at(cs, &["restartCount"]);
            last_restart = later(last_restart, last_termination(cs));
            let waiting_reason = str_at(cs, &["state", "waiting", "reason"]);
            let terminated = get(cs, &["state", "terminated"]);
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_owned();
            } else if let Some(t) = terminated {
                reason = match str_at(t, &["reason"]) {
                    "" => signal_or_exit_code(t),
                    r => r.to_owned(),
                };
            } else if bool_at(cs, &["ready"]) && present(cs, &["state", "running"]) {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose last container completed still counts as running while another runs.
        if reason == "Completed" && has_running {
            reason = if condition_is_true(pod, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_owned();
        }
    }

    let deleting = present(pod, &["metadata", "deletionTimestamp"]);
    if deleting && str_at(pod, &["status", "reason"]) == NODE_UNREACHABLE_POD_REASON {
        reason = "Unknown".to_owned();
    } else if deleting && phase != "Failed" && phase != "Succeeded" {
        reason = "Terminating".to_owned();
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", timestamp::since(Some(t), now)),
        _ => restarts.to_string(),
    };
    (format!("{ready}/{total}"), reason, restarts_cell)
}

/// The pod's first IP as the internal type sees it: v1 `podIP` wins over `podIPs[0]`.
fn pod_ip(pod: &Value) -> &str {
    match str_at(pod, &["status", "podIP"]) {
        "" => list_at(pod, &["status", "podIPs"])
            .first()
            .map_or("", |ip| str_at(ip, &["ip"])),
        ip => ip,
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "<none>" } else { s }
}

fn readiness_gates(pod: &Value) -> String {
    let gates = list_at(pod, &["spec", "readinessGates"]);
    if gates.is_empty() {
        return "<none>".to_owned();
    }
    let conditions = list_at(pod, &["status", "conditions"]);
    let true_count = gates
        .iter()
        .filter(|gate| {
            let wanted = str_at(gate, &["conditionType"]);
            conditions
                .iter()
                .find(|c| str_at(c, &["type"]) == wanted)
                .is_some_and(|c| str_at(c, &["status"]) == "True")
        })
        .count();
    format!("{true_count}/{}", gates.len())
}

fn completed_condition(phase: &str) -> Option<Value> {
    let (reason, message) = match phase {
        "Succeeded" => ("Succeeded", "The pod has completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{"type": "Completed", "status": "True", "reason": reason, "message": message}]))
}

fn row(pod: &Value, now: Timestamp) -> Row {
    let (ready, status, restarts) = summarize(pod, now);
    Row {
        cells: vec![
            str_at(pod, &["metadata", "name"]).into(),
            ready.into(),
            status.into(),
            restarts.into(),
            timestamp::since(timestamp::at(pod, &["metadata", "creationTimestamp"]), now).into(),
            or_none(pod_ip(pod)).into(),
            or_none(str_at(pod, &["spec", "nodeName"])).into(),
            or_none(str_at(pod, &["status", "nominatedNodeName"])).into(),
            readiness_gates(pod).into(),
        ],
        conditions: completed_condition(str_at(pod, &["status", "phase"])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2025-06-01T12:00:00Z".parse().unwrap()
    }

    /// Ready, Status and Restarts of a pod with `containers` spec names, `status` and extra spec.
    fn check(spec: Value, status: Value, deleting: bool, want: [&str; 3]) {
        let mut pod = json!({
            "metadata": {"name": "p", "creationTimestamp": "2025-06-01T11:00:00Z"},
            "spec": spec,
            "status": status,
        });
        if deleting {
            pod["metadata"]["deletionTimestamp"] = json!("2025-06-01T11:59:50Z");
        }
        let (ready, status, restarts) = summarize(&pod, now());
        assert_eq!(
            [ready.as_str(), status.as_str(), restarts.as_str()],
            want,
            "pod {pod:#}"
        );
    }

    fn one_container() -> Value {
        json!({"containers": [{"name": "app"}]})
    }

    #[test]
    fn status_ready_and_restarts_follow_print_pod() {
        let running = json!({"running": {"startedAt": "2025-06-01T11:00:05Z"}});
        let cases: Vec<(Value, Value, bool, [&str; 3])> = vec![
            // Scheduled but not started.
            (
                one_container(),
                json!({"phase": "Pending"}),
                false,
                ["0/1", "Pending", "0"],
            ),
            (
                one_container(),
                json!({"phase": "Running", "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "state": running}]}),
                false,
                ["1/1", "Running", "0"],
            ),
            (
                one_container(),
                json!({"phase": "Pending", "containerStatuses": [{"name": "app", "ready": false, "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
                false,
                ["0/1", "ContainerCreating", "0"],
            ),
            // Restarts carry the time of the last termination.
            (
                one_container(),
                json!({"phase": "Running", "containerStatuses": [{
                    "name": "app", "ready": false, "restartCount": 3,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2025-06-01T11:59:48Z"}},
                }]}),
                false,
                ["0/1", "CrashLoopBackOff", "3 (12s ago)"],
            ),
            // Restarts without a termination time print the bare count.
            (
                one_container(),
                json!({"phase": "Running", "containerStatuses": [{"name": "app", "ready": true, "restartCount": 2, "state": running}]}),
                false,
                ["1/1", "Running", "2"],
            ),
            (
                one_container(),
                json!({"phase": "Succeeded", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                false,
                ["0/1", "Completed", "0"],
            ),
            (
                one_container(),
                json!({"phase": "Failed", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 2}}}]}),
                false,
                ["0/1", "ExitCode:2", "0"],
            ),
            (
                one_container(),
                json!({"phase": "Failed", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
                false,
                ["0/1", "Signal:9", "0"],
            ),
            (
                one_container(),
                json!({"phase": "Failed", "reason": "Evicted"}),
                false,
                ["0/1", "Evicted", "0"],
            ),
            (
                one_container(),
                json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
                false,
                ["0/1", "SchedulingGated", "0"],
            ),
            // Deletion.
            (
                one_container(),
                json!({"phase": "Running", "containerStatuses": [{"name": "app", "ready": true, "state": running}]}),
                true,
                ["1/1", "Terminating", "0"],
            ),
            (
                one_container(),
                json!({"phase": "Running", "reason": "NodeLost"}),
                true,
                ["0/1", "Unknown", "0"],
            ),
            (
                one_container(),
                json!({"phase": "Succeeded", "containerStatuses": [{"name": "app", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                true,
                ["0/1", "Completed", "0"],
            ),
            // The last container completed while another still runs.
            (
                json!({"containers": [{"name": "a"}, {"name": "b"}]}),
                json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [
                    {"name": "a", "ready": true, "state": running},
                    {"name": "b", "ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                ]}),
                false,
                ["1/2", "Running", "0"],
            ),
            (
                json!({"containers": [{"name": "a"}, {"name": "b"}]}),
                json!({"phase": "Running", "containerStatuses": [
                    {"name": "a", "ready": true, "state": running},
                    {"name": "b", "ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                ]}),
                false,
                ["1/2", "NotReady", "0"],
            ),
        ];
        for (spec, status, deleting, want) in cases {
            check(spec, status, deleting, want);
        }
    }

    #[test]
    fn init_containers_report_progress_and_failures() {
        let spec = json!({"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "app"}]});
        let done =
            json!({"name": "i1", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});
        let cases: Vec<(Value, [&str; 3])> = vec![
            (
                json!([done, {"name": "i2", "state": {"running": {}}}]),
                ["0/1", "Init:1/2", "0"],
            ),
            (
                json!([{"name": "i1", "state": {"waiting": {"reason": "PodInitializing"}}}]),
                ["0/1", "Init:0/2", "0"],
            ),
            (
                json!([done, {"name": "i2", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-06-01T11:55:00Z"}}}]),
                ["0/1", "Init:CrashLoopBackOff", "4 (5m ago)"],
            ),
            (
                json!([{"name": "i1", "state": {"terminated": {"exitCode": 1}}}]),
                ["0/1", "Init:ExitCode:1", "0"],
            ),
            (
                json!([{"name": "i1", "state": {"terminated": {"exitCode": 1, "signal": 15}}}]),
                ["0/1", "Init:Signal:15", "0"],
            ),
            (
                json!([{"name": "i1", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]),
                ["0/1", "Init:Error", "0"],
            ),
        ];
        for (statuses, want) in cases {
            check(
                spec.clone(),
                json!({"phase": "Pending", "initContainerStatuses": statuses}),
                false,
                want,
            );
        }
    }

    #[test]
    fn sidecars_count_towards_ready_total_and_restarts() {
        let spec = json!({
            "initContainers": [{"name": "init"}, {"name": "proxy", "restartPolicy": "Always"}],
            "containers": [{"name": "app"}],
        });
        let status = json!({
            "phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}],
            "initContainerStatuses": [
                {"name": "init", "restartCount": 1, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                {"name": "proxy", "started": true, "ready": true, "restartCount": 2, "state": {"running": {}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-06-01T11:30:00Z"}}},
            ],
            "containerStatuses": [{"name": "app", "ready": true, "restartCount": 1, "state": {"running": {}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-06-01T11:50:00Z"}}}],
        });
        // Regular init containers' restarts are dropped once the pod is initialized.
        check(spec, status, false, ["2/2", "Running", "3 (10m ago)"]);
    }

    #[test]
    fn wide_cells_and_conditions() {
        let pod = json!({
            "metadata": {"name": "whoami", "creationTimestamp": "2025-06-01T11:00:00Z"},
            "spec": {"containers": [{"name": "app"}], "nodeName": "kubelite",
                "readinessGates": [{"conditionType": "example.com/a"}, {"conditionType": "example.com/b"}]},
            "status": {"phase": "Succeeded", "podIPs": [{"ip": "10.42.0.5"}],
                "conditions": [{"type": "example.com/a", "status": "True"}, {"type": "example.com/b", "status": "False"}]},
        });
        let row = row(&pod, now());
        assert_eq!(
            row.cells,
            vec![
                json!("whoami"),
                json!("0/1"),
                json!("Succeeded"),
                json!("0"),
                json!("60m"),
                json!("10.42.0.5"),
                json!("kubelite"),
                json!("<none>"),
                json!("1/2")
            ]
        );
        assert_eq!(
            row.conditions,
            Some(
                json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}])
            )
        );
        let bare = row_cells(
            json!({"metadata": {"name": "x"}, "status": {"podIP": "10.42.0.9", "podIPs": [{"ip": "10.42.0.8"}]}}),
        );
        assert_eq!(
            &bare[4..],
            &[
                json!("<unknown>"),
                json!("10.42.0.9"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>")
            ]
        );
    }

    fn row_cells(pod: Value) -> Vec<Value> {
        row(&pod, now()).cells
    }
}
