//! A Pod's `status` as the kubelet writes it (`generateAPIPodStatus`, `getPhase`,
//! `GeneratePodReadyCondition`…): phase, the conditions PodReadyToStartContainers, Initialized,
//! Ready, ContainersReady and PodScheduled (transition times kept while a condition's status
//! does not change), containerStatuses in spec order, IPs, startTime and qosClass. Pure: the
//! agent passes in what it knows about each container and the time.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// How a container run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terminated {
    /// Exit code (128 + N when killed by signal N).
    pub exit_code: i32,
    /// The killing signal.
    pub signal: Option<i32>,
    /// `Completed`, `Error`, `StartError`, …
    pub reason: String,
    /// Message (for start errors).
    pub message: Option<String>,
    /// When that run started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
    /// Its container ID.
    pub container_id: String,
}

/// A container's current state as the agent sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Not running: `ContainerCreating`, `ErrImagePull`, `CrashLoopBackOff`, …
    Waiting {
        /// Reason.
        reason: String,
        /// Message.
        message: Option<String>,
    },
    /// Running since.
    Running {
        /// Start time.
        started_at: Timestamp,
    },
    /// Ended and not restarted.
    Terminated(Terminated),
}

/// Everything `containerStatuses[i]` is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerView {
    /// Container name.
    pub name: String,
    /// `spec.containers[i].image`.
    pub image: String,
    /// The image ID (see `kubelite_images::image_id`).
    pub image_id: String,
    /// ID of the current (or last) run, `kubelite://…`.
    pub container_id: Option<String>,
    /// Current state.
    pub state: State,
    /// The run before (`lastState.terminated`).
    pub last: Option<Terminated>,
    /// Restarts so far.
    pub restart_count: i32,
    /// Passes its readiness probe (or has none and runs).
    pub ready: bool,
    /// Passed its startup probe (or has none and runs).
    pub started: bool,
}

/// The inputs of a pod's status.
pub struct PodView<'a> {
    /// The pod as last seen (its spec, and its status's startTime).
    pub pod: &'a Pod,
    /// The conditions as last written: their transition times are kept while they hold, and
    /// PodScheduled is passed through.
    pub conditions: &'a [PodCondition],
    /// One entry per `spec.containers[i]`, in order.
    pub containers: Vec<ContainerView>,
    /// The pod IP once the sandbox has one.
    pub pod_ip: Option<String>,
    /// The node's IP.
    pub host_ip: String,
    /// Whether the sandbox (network included) is up.
    pub sandbox_ready: bool,
    /// When the agent first accepted the pod.
    pub start_time: Timestamp,
    /// Now.
    pub now: Timestamp,
}

/// The pod phase from its containers (kubelet's `getPhase` without init containers).
pub fn phase(restart_policy: &str, containers: &[ContainerView]) -> &'static str {
    let (mut waiting, mut running, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for c in containers {
        match &c.state {
            State::Running { .. } => running += 1,
            State::Terminated(t) => {
                stopped += 1;
                if t.exit_code == 0 {
                    succeeded += 1;
                }
            }
            State::Waiting { .. } if c.last.is_some() => stopped += 1,
            State::Waiting { .. } => waiting += 1,
        }
    }
    let failed = stopped - succeeded;
    if waiting > 0 || containers.is_empty() {
        "Pending"
    } else if running > 0 || restart_policy == "Always" {
        "Running"
    } else if restart_policy == "OnFailure" {
        if stopped == succeeded {
            "Succeeded"
        } else {
            "Running"
        }
    } else if failed > 0 {
        "Failed"
    } else {
        "Succeeded"
    }
}

/// The pod's QoS class (`GetPodQOS`).
pub fn qos_class(pod: &Pod) -> &'static str {
    let containers = pod
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let mut any = false;
    let mut guaranteed = true;
    for c in containers {
        let res = c.resources.clone().unwrap_or_default();
        let requests: BTreeMap<String, Quantity> = res.requests.unwrap_or_default();
        let limits: BTreeMap<String, Quantity> = res.limits.unwrap_or_default();
        let relevant =
            |m: &BTreeMap<String, Quantity>| m.keys().any(|k| k == "cpu" || k == "memory");
        any |= relevant(&requests) || relevant(&limits);
        for resource in ["cpu", "memory"] {
            match limits.get(resource) {
                None => guaranteed = false,
                Some(limit) => {
                    if requests.get(resource).is_some_and(|r| r != limit) {
                        guaranteed = false;
                    }
                }
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn time(t: Timestamp) -> Time {
    Time(t)
}

fn terminated(t: &Terminated) -> ContainerStateTerminated {
    ContainerStateTerminated {
        exit_code: t.exit_code,
        signal: t.signal,
        reason: Some(t.reason.clone()),
        message: t.message.clone(),
        started_at: Some(time(t.started_at)),
        finished_at: Some(time(t.finished_at)),
        container_id: Some(t.container_id.clone()),
    }
}

fn container_status(c: &ContainerView) -> ContainerStatus {
    let state = match &c.state {
        State::Waiting { reason, message } => ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.clone()),
                message: message.clone(),
            }),
            ..Default::default()
        },
        State::Running { started_at } => ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(time(*started_at)),
            }),
            ..Default::default()
        },
        State::Terminated(t) => ContainerState {
            terminated: Some(terminated(t)),
            ..Default::default()
        },
    };
    ContainerStatus {
        name: c.name.clone(),
        image: c.image.clone(),
        image_id: c.image_id.clone(),
        container_id: c.container_id.clone(),
        state: Some(state),
        last_state: Some(ContainerState {
            terminated: c.last.as_ref().map(terminated),
            ..Default::default()
        }),
        ready: c.ready,
        restart_count: c.restart_count,
        started: Some(c.started),
        ..Default::default()
    }
}

/// The full status to write.
pub fn pod_status(view: &PodView<'_>) -> PodStatus {
    let condition = |type_: &str, ok: bool, reason: Option<&str>, message: Option<String>| {
        let status = if ok { "True" } else { "False" };
        let since = view
            .conditions
            .iter()
            .find(|c| c.type_ == type_ && c.status == status)
            .and_then(|c| c.last_transition_time.clone())
            .unwrap_or_else(|| time(view.now));
        PodCondition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.map(str::to_owned),
            message,
            last_transition_time: Some(since),
            last_probe_time: None,
            observed_generation: None,
        }
    };
    let spec = view.pod.spec.as_ref();
    let restart_policy = spec
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always");
    let phase = phase(restart_policy, &view.containers);
    let unready: Vec<&str> = view
        .containers
        .iter()
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    let terminal = phase == "Succeeded" || phase == "Failed";
    let (ready_reason, ready_message) = if terminal {
        (Some("PodCompleted"), None)
    } else if unready.is_empty() {
        (None, None)
    } else {
        (
            Some("ContainersNotReady"),
            Some(format!(
                "containers with unready status: [{}]",
                unready.join(" ")
            )),
        )
    };
    let all_ready = unready.is_empty() && !terminal;
    let mut conditions = vec![
        condition("PodReadyToStartContainers", view.sandbox_ready, None, None),
        condition(
            "Initialized",
            true,
            terminal.then_some("PodCompleted"),
            None,
        ),
        condition("Ready", all_ready, ready_reason, ready_message.clone()),
        condition("ContainersReady", all_ready, ready_reason, ready_message),
    ];
    if let Some(scheduled) = view.conditions.iter().find(|c| c.type_ == "PodScheduled") {
        conditions.push(scheduled.clone());
    }
    let pod_ips = view
        .pod_ip
        .as_ref()
        .map(|ip| vec![PodIP { ip: ip.clone() }]);
    PodStatus {
        phase: Some(phase.into()),
        conditions: Some(conditions),
        container_statuses: Some(view.containers.iter().map(container_status).collect()),
        pod_ip: view.pod_ip.clone(),
        pod_ips,
        host_ip: Some(view.host_ip.clone()),
        host_ips: Some(vec![HostIP {
            ip: view.host_ip.clone(),
        }]),
        start_time: Some(
            view.pod
                .status
                .as_ref()
                .and_then(|s| s.start_time.clone())
                .unwrap_or_else(|| time(view.start_time)),
        ),
        qos_class: Some(qos_class(view.pod).into()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn view(name: &str, state: State, last: bool, ready: bool) -> ContainerView {
        let term = Terminated {
            exit_code: 1,
            signal: None,
            reason: "Error".into(),
            message: None,
            started_at: ts("2026-01-01T00:00:00Z"),
            finished_at: ts("2026-01-01T00:00:01Z"),
            container_id: "kubelite://x".into(),
        };
        ContainerView {
            name: name.into(),
            image: "busybox".into(),
            image_id: "docker.io/library/busybox@sha256:00".into(),
            container_id: Some("kubelite://y".into()),
            state,
            last: last.then_some(term),
            restart_count: i32::from(last),
            ready,
            started: ready,
        }
    }

    fn waiting(reason: &str) -> State {
        State::Waiting {
            reason: reason.into(),
            message: None,
        }
    }

    fn exited(code: i32) -> State {
        State::Terminated(Terminated {
            exit_code: code,
            signal: None,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            message: None,
            started_at: ts("2026-01-01T00:00:00Z"),
            finished_at: ts("2026-01-01T00:00:01Z"),
            container_id: "kubelite://z".into(),
        })
    }

    #[test]
    fn phases() {
        let running = State::Running {
            started_at: ts("2026-01-01T00:00:00Z"),
        };
        let cases = [
            (
                "Always",
                vec![view("a", waiting("ContainerCreating"), false, false)],
                "Pending",
            ),
            (
                "Always",
                vec![view("a", waiting("ErrImagePull"), false, false)],
                "Pending",
            ),
            (
                "Always",
                vec![view("a", running.clone(), false, true)],
                "Running",
            ),
            (
                "Always",
                vec![view("a", waiting("CrashLoopBackOff"), true, false)],
                "Running",
            ),
            (
                "Never",
                vec![view("a", exited(0), false, false)],
                "Succeeded",
            ),
            ("Never", vec![view("a", exited(1), false, false)], "Failed"),
            (
                "Never",
                vec![
                    view("a", exited(0), false, false),
                    view("b", running, false, true),
                ],
                "Running",
            ),
            (
                "OnFailure",
                vec![view("a", exited(0), false, false)],
                "Succeeded",
            ),
            (
                "OnFailure",
                vec![view("a", waiting("CrashLoopBackOff"), true, false)],
                "Running",
            ),
        ];
        for (policy, containers, want) in cases {
            assert_eq!(phase(policy, &containers), want, "{policy} {containers:?}");
        }
    }

    #[test]
    fn qos_classes() {
        let pod = |resources: serde_json::Value| -> Pod {
            serde_json::from_value(
                json!({"spec": {"containers": [{"name": "a", "resources": resources}]}}),
            )
            .unwrap()
        };
        assert_eq!(qos_class(&pod(json!({}))), "BestEffort");
        assert_eq!(
            qos_class(&pod(json!({"requests": {"cpu": "100m"}}))),
            "Burstable"
        );
        assert_eq!(
            qos_class(&pod(json!({"limits": {"cpu": "1", "memory": "1Gi"}}))),
            "Guaranteed"
        );
    }

    #[test]
    fn conditions_keep_transition_times() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-01-01T00:00:05Z"},
            ]},
        }))
        .unwrap();
        let now = ts("2026-01-01T00:01:00Z");
        let status = pod_status(&PodView {
            pod: &pod,
            conditions: pod.status.as_ref().unwrap().conditions.as_deref().unwrap(),
            containers: vec![
                view("a", State::Running { started_at: now }, false, true),
                view("b", waiting("ContainerCreating"), false, false),
            ],
            pod_ip: Some("10.42.0.2".into()),
            host_ip: "10.42.0.1".into(),
            sandbox_ready: true,
            start_time: now,
            now,
        });
        let got = serde_json::to_value(&status).unwrap();
        let conditions: Vec<String> = got["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {} {} {}",
                    c["type"].as_str().unwrap(),
                    c["status"].as_str().unwrap(),
                    c["lastTransitionTime"].as_str().unwrap(),
                    c["message"].as_str().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(
            conditions,
            [
                "PodReadyToStartContainers True 2026-01-01T00:01:00Z -",
                "Initialized True 2026-01-01T00:00:05Z -",
                "Ready False 2026-01-01T00:01:00Z containers with unready status: [b]",
                "ContainersReady False 2026-01-01T00:01:00Z containers with unready status: [b]",
                "PodScheduled True 2026-01-01T00:00:00Z -",
            ]
        );
        assert_eq!(got["phase"], "Pending");
        assert_eq!(got["podIPs"], json!([{"ip": "10.42.0.2"}]));
        assert_eq!(got["qosClass"], "BestEffort");
        assert_eq!(
            got["containerStatuses"][1]["state"]["waiting"]["reason"],
            "ContainerCreating"
        );
    }
}
