//! The pod worker: one task per Pod bound to the node, level-triggered like the kubelet's
//! `syncPod`. Each pass it makes sure the sandbox exists (adopting a live one after an agent
//! restart), starts, restarts (with CrashLoopBackOff) or leaves each container per the restart
//! policy, runs the probes, pumps the logs, and writes the status when it changed. A
//! `deletionTimestamp` stops the pod within its grace period, tears the sandbox down and
//! removes the Pod object; a vanished object (force delete) is cleaned up the same way; agent
//! shutdown stops the pod and removes its sandbox but leaves the object.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::{Container, Pod, PodCondition, PodStatus, Service};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kubelite_netns::{
    DnsOption, DnsPolicy, HostAlias, PodDns, PodDnsConfig, PodHosts, pod_hostname_and_domain,
    pod_resolv_conf, render_hosts, render_resolv_conf,
};
use kubelite_podsandbox::{
    ContainerSpec, ContainerState, ContainerStatus, PodSandbox, SandboxSpec, Signal, Termination,
};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::backoff::{Backoff, go_duration};
use crate::container::{argv, container_id};
use crate::ctx::Ctx;
use crate::env::{EnvContext, container_env, visible_services};
use crate::error::Result;
use crate::log_pump::{LogPump, RawOutput};
use crate::logs::{container_log_path, pod_log_dir, prune_runs};
use crate::node::FIELD_MANAGER;
use crate::pod_status::{ContainerView, PodView, State, Terminated, pod_status};
use crate::probe::{self, ProbeTracker};
use crate::registry::{ExecEnv, SharedPump, pump_now};

/// How long `ErrImagePull` shows before it turns into `ImagePullBackOff`.
const PULL_ERROR_SHOWN: Duration = Duration::from_secs(2);
/// Grace period cap when the agent itself stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What the agent tracks about one container beyond what the init knows.
#[derive(Default)]
struct Tracked {
    backoff: Backoff,
    /// The exit the restart decision was made for (its finish time).
    handled_exit: Option<SystemTime>,
    /// The exit being backed off: when it happened (agent clock).
    backing_off: Option<Instant>,
    /// A start that failed (`StartError`), and how many did.
    start_error: Option<Terminated>,
    failed_starts: i32,
    /// Image pull failure: when it last failed.
    pull_failed: Option<Instant>,
    pull_backoff: Backoff,
    /// The run the probes and log pump belong to (its start time).
    run_started: Option<SystemTime>,
    readiness: Option<ProbeTracker>,
    liveness: Option<ProbeTracker>,
    startup: Option<ProbeTracker>,
    pump: Option<SharedPump>,
    env: Vec<(String, String)>,
}

struct Worker {
    ctx: Arc<Ctx>,
    pod: Pod,
    uid: String,
    sandbox: Option<Arc<PodSandbox>>,
    ip: Option<String>,
    tracked: BTreeMap<String, Tracked>,
    last_status: Option<PodStatus>,
    start_time: Timestamp,
    /// The pod has finished (no container will run again) and its sandbox is gone.
    finished: bool,
    busy_until: Instant,
}

/// Runs pod `rx`'s worker until the pod is gone or `shutdown` fires.
pub(crate) async fn run(
    ctx: Arc<Ctx>,
    mut rx: watch::Receiver<Option<Pod>>,
    shutdown: CancellationToken,
) {
    let Some(pod) = rx.borrow_and_update().clone() else {
        return;
    };
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let mut worker = Worker {
        start_time: pod
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map_or_else(Timestamp::now, |t| t.0),
        ctx,
        pod,
        uid,
        sandbox: None,
        ip: None,
        tracked: BTreeMap::new(),
        last_status: None,
        finished: false,
        busy_until: Instant::now() + Duration::from_secs(10),
    };
    worker.adopt().await;
    worker.publish();
    // A version from the watch that calls for a sync (`None`: the pod is gone). A tick re-syncs
    // the pod in hand.
    let mut update: Option<Option<Pod>> = None;
    loop {
        if shutdown.is_cancelled() {
            worker.stop(SHUTDOWN_GRACE, false).await;
            worker.teardown(false).await;
            return;
        }
        if let Some(current) = update.take() {
            match current {
                None => {
                    worker.stop(Duration::ZERO, false).await;
                    worker.teardown(true).await;
                    return;
                }
                Some(pod) => worker.pod = pod,
            }
        }
        if worker.pod.metadata.deletion_timestamp.is_some() {
            let grace = worker
                .pod
                .metadata
                .deletion_grace_period_seconds
                .unwrap_or(30)
                .max(0);
            worker.stop(Duration::from_secs(grace as u64), true).await;
            worker.teardown(true).await;
            worker.delete_object().await;
            return;
        }
        if let Err(e) = worker.sync().await {
            tracing::warn!(pod = %worker.key(), "sync: {e}");
        }
        let tick = if Instant::now() < worker.busy_until {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(1)
        };
        let next_sync = Instant::now() + tick;
        loop {
            tokio::select! {
                // `changed` marks the version seen: it is taken here, whatever it is.
                changed = rx.changed() => {
                    let current = rx.borrow_and_update().clone();
                    if changed.is_err() || differs_semantically(current.as_ref(), &worker.pod) {
                        update = Some(current);
                        break;
                    }
                    // Only the status changed (this agent's own write, seen back): taken in,
                    // but it is no reason to sync, as kubelet's pod config does not count it
                    // as an update.
                    if let Some(pod) = current {
                        worker.pod = pod;
                    }
                }
                _ = tokio::time::sleep_until(next_sync) => break,
                _ = shutdown.cancelled() => break,
            }
        }
    }
}

/// Whether `new` differs from `old` in what the agent acts on (kubelet's
/// `podsDifferSemantically`): spec, labels, deletion; a deleted pod always differs.
fn differs_semantically(new: Option<&Pod>, old: &Pod) -> bool {
    let Some(new) = new else { return true };
    new.metadata.uid != old.metadata.uid
        || new.spec != old.spec
        || new.metadata.labels != old.metadata.labels
        || new.metadata.deletion_timestamp != old.metadata.deletion_timestamp
        || new.metadata.deletion_grace_period_seconds != old.metadata.deletion_grace_period_seconds
}

fn to_timestamp(t: SystemTime) -> Timestamp {
    Timestamp::try_from(t).unwrap_or_else(|_| Timestamp::now())
}

impl Worker {
    fn key(&self) -> String {
        format!(
            "{}/{}",
            self.pod.metadata.namespace.as_deref().unwrap_or_default(),
            self.pod.metadata.name.as_deref().unwrap_or_default()
        )
    }

    fn name(&self) -> &str {
        self.pod.metadata.name.as_deref().unwrap_or_default()
    }

    fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or_default()
    }

    /// `name_namespace(uid)`, kubelet's `format.Pod`.
    fn formatted(&self) -> String {
        format!("{}_{}({})", self.name(), self.namespace(), self.uid)
    }

    fn containers(&self) -> Vec<Container> {
        self.pod
            .spec
            .as_ref()
            .map(|s| s.containers.clone())
            .unwrap_or_default()
    }

    fn restart_policy(&self) -> String {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.clone())
            .unwrap_or_else(|| "Always".into())
    }

    fn event(&self, container: Option<&str>, warning: bool, reason: &str, message: String) {
        self.ctx
            .recorder
            .pod_event(&self.pod, container, warning, reason, message);
    }

    fn log_path(&self, container: &str, run: u32) -> std::path::PathBuf {
        container_log_path(
            &self.ctx.logs_dir(),
            self.namespace(),
            self.name(),
            &self.uid,
            container,
            run,
        )
    }

    /// Where this pod's network namespace is mounted while it has one.
    fn netns_path(&self) -> std::path::PathBuf {
        kubelite_netns::netns_path(&crate::ctx::run_dir(&self.ctx.config), &self.uid)
    }

    /// Publishes the pod and its sandbox for the streaming server.
    fn publish(&self) {
        self.ctx.registry.publish(
            self.namespace(),
            self.name(),
            &self.uid,
            self.sandbox.clone(),
        );
    }

    /// Re-adopts a sandbox that survived an agent restart, or notes a pod that already ended.
    /// A sandbox whose network was not finished (the agent died while making it, with the init
    /// already forked) is not adopted: the first sync makes it again.
    async fn adopt(&mut self) {
        if self.netns_path().exists()
            && let Some(ip) = self.ctx.ips.get(&self.uid)
            && let Ok(true) = self.ctx.net.sandbox_finished(&self.uid).await
            && let Ok(sandbox) = PodSandbox::connect(&self.ctx.sandbox_dir(), &self.uid).await
        {
            tracing::info!(pod = %self.key(), "re-adopted sandbox");
            self.ip = Some(ip.to_string());
            self.sandbox = Some(Arc::new(sandbox));
            return;
        }
        let phase = self.pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) {
            self.finished = true;
            self.ip = self.pod.status.as_ref().and_then(|s| s.pod_ip.clone());
        }
    }

    /// The pod's running sandbox, made now if there is none (then `true`: it has no containers
    /// yet).
    async fn ensure_sandbox(&mut self) -> Result<(Arc<PodSandbox>, bool)> {
        if let Some(sandbox) = &self.sandbox {
            if sandbox.is_running() {
                return Ok((sandbox.clone(), false));
            }
            // The init died under us (killed from outside): start over with a fresh sandbox.
            self.sandbox = None;
        }
        let ctx = self.ctx.clone();
        kubelite_podsandbox::destroy(&ctx.sandbox_dir(), &self.uid).await?;
        // Only a dead or half-made sandbox leaves a namespace behind; a first start skips the
        // netlink round trip (a leftover veth alone is replaced by `prepare_sandbox`).
        if self.netns_path().exists() {
            ctx.net.destroy_sandbox(&self.uid).await?;
        }
        // The namespace and veth do not need the address: they are made while IPAM persists it.
        let (ip, pending) = tokio::join!(
            ctx.ips.allocate(&self.uid),
            ctx.net.prepare_sandbox(&self.uid)
        );
        let pending = pending?;
        let ip = match ip {
            Ok(ip) => ip,
            Err(e) => {
                let _ = ctx.net.destroy_sandbox(&self.uid).await;
                return Err(e);
            }
        };
        let spec = self.pod.spec.clone().unwrap_or_default();
        let (hostname, domain) = pod_hostname_and_domain(
            self.name(),
            spec.hostname.as_deref(),
            spec.subdomain.as_deref(),
            self.namespace(),
            &ctx.config.cluster_domain,
        );
        let policy = match spec.dns_policy.as_deref() {
            Some("Default") => DnsPolicy::Default,
            Some("None") => DnsPolicy::None,
            Some("ClusterFirstWithHostNet") => DnsPolicy::ClusterFirstWithHostNet,
            _ => DnsPolicy::ClusterFirst,
        };
        let dns_config = spec.dns_config.as_ref().map(|c| PodDnsConfig {
            nameservers: c.nameservers.clone().unwrap_or_default(),
            searches: c.searches.clone().unwrap_or_default(),
            options: c
                .options
                .iter()
                .flatten()
                .map(|o| DnsOption {
                    name: o.name.clone().unwrap_or_default(),
                    value: o.value.clone(),
                })
                .collect(),
        });
        let resolv = pod_resolv_conf(
            &ctx.dns,
            &PodDns {
                namespace: self.namespace(),
                policy,
                host_network: false,
                dns_config: dns_config.as_ref(),
            },
        );
        let aliases: Vec<HostAlias> = spec
            .host_aliases
            .iter()
            .flatten()
            .map(|a| HostAlias {
                ip: a.ip.clone(),
                hostnames: a.hostnames.clone().unwrap_or_default(),
            })
            .collect();
        let pod_ips = [ip.to_string()];
        let hosts = render_hosts(&PodHosts {
            pod_ips: &pod_ips,
            hostname: &hostname,
            host_domain: domain.as_deref(),
            host_aliases: &aliases,
        });
        let spec = SandboxSpec {
            uid: self.uid.clone(),
            netns_path: self.netns_path(),
            hostname,
            resolv_conf: render_resolv_conf(&resolv),
            hosts,
            state_dir: ctx.sandbox_dir(),
        };
        // The init needs only the namespace, so it starts while the links are configured (the
        // netlink work of a burst is serial): containers start once both are done.
        let (net, created) = tokio::join!(
            ctx.net.finish_sandbox(pending, ip),
            kubelite_podsandbox::create(&spec, &ctx.zygote)
        );
        let sandbox = match (net, created) {
            (Ok(_), Ok(sandbox)) => Arc::new(sandbox),
            // A failed finish removed the network, a failed create its init.
            (Err(e), created) => {
                if let Ok(sandbox) = created {
                    let _ = sandbox.destroy().await;
                }
                return Err(e.into());
            }
            (Ok(_), Err(e)) => {
                let _ = ctx.net.destroy_sandbox(&self.uid).await;
                return Err(e.into());
            }
        };
        self.ip = Some(ip.to_string());
        self.sandbox = Some(sandbox.clone());
        self.busy_until = Instant::now() + Duration::from_secs(10);
        Ok((sandbox, true))
    }

    async fn services(&self) -> Vec<Service> {
        let links = self
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.enable_service_links)
            .unwrap_or(true);
        let candidates = self.ctx.services.candidates(self.namespace()).await;
        visible_services(&candidates, self.namespace(), links)
    }

    async fn sync(&mut self) -> Result<()> {
        let containers = self.containers();
        let now = Instant::now();
        let mut views: Vec<ContainerView> = Vec::new();
        if self.finished {
            for c in &containers {
                views.push(self.finished_view(c));
            }
            return self.write_status(views, false).await;
        }
        let (sandbox, fresh) = match self.ensure_sandbox().await {
            Ok(made) => {
                self.publish();
                made
            }
            Err(e) => {
                self.event(
                    None,
                    true,
                    "FailedCreatePodSandBox",
                    format!("Failed to create pod sandbox: {e}"),
                );
                let views = containers
                    .iter()
                    .map(|c| self.waiting_view(c, "ContainerCreating", None))
                    .collect();
                self.write_status(views, false).await?;
                return Err(e);
            }
        };
        let statuses: BTreeMap<String, ContainerStatus> = if fresh {
            BTreeMap::new()
        } else {
            sandbox
                .container_status()
                .await?
                .into_iter()
                .map(|s| (s.name.clone(), s))
                .collect()
        };
        let policy = self.restart_policy();
        let mut services: Option<Vec<Service>> = None;
        let mut all_done = true;
        for container in &containers {
            let name = container.name.clone();
            self.tracked.entry(name.clone()).or_default();
            let status = statuses.get(&name).cloned();
            let view = match status {
                None => {
                    if self.tracked[&name].start_error.is_some() {
                        all_done &= !self.should_restart(&policy, 128);
                        self.restart_or_wait(&sandbox, container, None, &mut services, now)
                            .await
                    } else {
                        all_done = false;
                        self.first_start(&sandbox, container, &mut services, now)
                            .await
                    }
                }
                Some(status) => match status.state.clone() {
                    ContainerState::Running { started_at, .. } => {
                        all_done = false;
                        self.running(&sandbox, container, &status, started_at, now)
                            .await
                    }
                    ContainerState::Exited(term) => {
                        self.end_logs(&name, Some(term.exit_code));
                        let restart = self.should_restart(&policy, term.exit_code);
                        all_done &= !restart;
                        if restart {
                            self.restart_or_wait(
                                &sandbox,
                                container,
                                Some(&status),
                                &mut services,
                                now,
                            )
                            .await
                        } else {
                            self.tracked.get_mut(&name).expect("tracked").handled_exit =
                                Some(term.finished_at);
                            self.exited_view(container, &status, &term)
                        }
                    }
                },
            };
            views.push(view);
        }
        let sandbox_ready = true;
        if all_done && !containers.is_empty() {
            // Every container has ended for good: the sandbox goes, the status stays.
            self.write_status(views, sandbox_ready).await?;
            self.stop(Duration::ZERO, false).await;
            self.release_network().await;
            self.finished = true;
            return Ok(());
        }
        self.write_status(views, sandbox_ready).await
    }

    fn should_restart(&self, policy: &str, exit_code: i32) -> bool {
        match policy {
            "Never" => false,
            "OnFailure" => exit_code != 0,
            _ => true,
        }
    }

    fn image_id(container: &Container) -> String {
        kubelite_images::image_id(container.image.as_deref().unwrap_or_default())
    }

    fn base_view(&self, c: &Container, state: State) -> ContainerView {
        ContainerView {
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            image_id: String::new(),
            container_id: None,
            state,
            last: None,
            restart_count: 0,
            ready: false,
            started: false,
        }
    }

    fn waiting_view(&self, c: &Container, reason: &str, message: Option<String>) -> ContainerView {
        let mut view = self.base_view(
            c,
            State::Waiting {
                reason: reason.into(),
                message,
            },
        );
        if let Some(t) = self.tracked.get(&c.name) {
            view.last = t.start_error.clone();
            view.restart_count = t.failed_starts.saturating_sub(1).max(0);
        }
        view
    }

    /// A container of a pod whose sandbox is gone after it finished: the last status written.
    fn finished_view(&self, c: &Container) -> ContainerView {
        let old = self
            .pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|all| all.iter().find(|s| s.name == c.name));
        let terminated = old
            .and_then(|s| s.state.as_ref())
            .and_then(|s| s.terminated.as_ref());
        let state = match terminated {
            Some(t) => State::Terminated(Terminated {
                exit_code: t.exit_code,
                signal: t.signal,
                reason: t.reason.clone().unwrap_or_default(),
                message: t.message.clone(),
                started_at: t.started_at.as_ref().map_or_else(Timestamp::now, |t| t.0),
                finished_at: t.finished_at.as_ref().map_or_else(Timestamp::now, |t| t.0),
                container_id: t.container_id.clone().unwrap_or_default(),
            }),
            None => State::Terminated(Terminated {
                exit_code: 0,
                signal: None,
                reason: "Completed".into(),
                message: None,
                started_at: self.start_time,
                finished_at: self.start_time,
                container_id: String::new(),
            }),
        };
        let mut view = self.base_view(c, state);
        view.image_id = old.map(|s| s.image_id.clone()).unwrap_or_default();
        view.container_id = old.and_then(|s| s.container_id.clone());
        view.restart_count = old.map_or(0, |s| s.restart_count);
        view
    }

    fn termination(&self, name: &str, run: u32, t: &Termination) -> Terminated {
        Terminated {
            exit_code: t.exit_code,
            signal: t.signal,
            reason: if t.exit_code == 0 {
                "Completed"
            } else {
                "Error"
            }
            .into(),
            message: None,
            started_at: to_timestamp(t.started_at),
            finished_at: to_timestamp(t.finished_at),
            container_id: container_id(&self.uid, name, run),
        }
    }

    fn restart_count(&self, status: &ContainerStatus) -> i32 {
        let failed = self
            .tracked
            .get(&status.name)
            .map_or(0, |t| t.failed_starts);
        status.restart_count as i32 + failed
    }

    fn exited_view(
        &self,
        c: &Container,
        status: &ContainerStatus,
        term: &Termination,
    ) -> ContainerView {
        let run = status.restart_count;
        let mut view = self.base_view(c, State::Terminated(self.termination(&c.name, run, term)));
        view.image_id = Self::image_id(c);
        view.container_id = Some(container_id(&self.uid, &c.name, run));
        view.last = status
            .last_termination
            .as_ref()
            .map(|t| self.termination(&c.name, run.saturating_sub(1), t));
        view.restart_count = self.restart_count(status);
        view
    }

    async fn first_start(
        &mut self,
        sandbox: &Arc<PodSandbox>,
        c: &Container,
        services: &mut Option<Vec<Service>>,
        now: Instant,
    ) -> ContainerView {
        match self.start(sandbox, c, 0, services, now).await {
            Ok(view) => view,
            Err(view) => *view,
        }
    }

    /// Starts run `run` of `c`. `Err` carries the view to show when it could not start.
    async fn start(
        &mut self,
        sandbox: &Arc<PodSandbox>,
        c: &Container,
        run: u32,
        services: &mut Option<Vec<Service>>,
        now: Instant,
    ) -> Result<ContainerView, Box<ContainerView>> {
        let image = c.image.clone().unwrap_or_default();
        let resolved = kubelite_images::resolve(
            &image,
            c.command.as_deref().unwrap_or_default(),
            c.args.as_deref().unwrap_or_default(),
        );
        let Some(argv) = argv(&self.ctx.config.program, resolved) else {
            return Err(Box::new(self.pull_failed(c, &image, now)));
        };
        let name = c.name.clone();
        self.event(
            Some(&name),
            false,
            "Pulled",
            format!("Container image \"{image}\" already present on machine"),
        );
        self.tracked.get_mut(&name).expect("tracked").pull_failed = None;
        if services.is_none() {
            *services = Some(self.services().await);
        }
        let env = container_env(
            c,
            &EnvContext {
                pod: &self.pod,
                pod_ip: self.ip.as_deref().unwrap_or_default(),
                host_ip: &self.ctx.node_ip.to_string(),
                services: services.as_deref().unwrap_or_default(),
            },
        );
        // The log's directories are made by the pump with the run's first output, not here:
        // each costs a disk block (ext4: ~50 µs of a Pod's start, and a read that may wait).
        let log = self.log_path(&name, run);
        if run >= 2
            && let Some(dir) = log.parent()
        {
            // Only this run and the previous one keep their logs, as with kubelet.
            prune_runs(dir, run - 1);
            RawOutput::new(sandbox.dir(), &name, run - 2).remove();
        }
        let raw = RawOutput::new(sandbox.dir(), &name, run);
        let spec = ContainerSpec {
            name: name.clone(),
            argv,
            env: env.clone(),
            cwd: c.working_dir.clone().map(Into::into),
            stdout: raw.stdout.clone(),
            stderr: raw.stderr.clone(),
            stdin: c.stdin.unwrap_or(false),
            stdin_once: c.stdin_once.unwrap_or(false),
            tty: c.tty.unwrap_or(false),
        };
        self.event(
            Some(&name),
            false,
            "Created",
            format!("Created container: {name}"),
        );
        self.busy_until = now + Duration::from_secs(10);
        match sandbox.start_container(spec).await {
            Ok(started) => {
                self.event(
                    Some(&name),
                    false,
                    "Started",
                    format!("Started container {name}"),
                );
                self.ctx.registry.set_exec_env(
                    self.namespace(),
                    self.name(),
                    &name,
                    ExecEnv {
                        env: env.clone(),
                        cwd: c.working_dir.clone().map(Into::into),
                    },
                );
                self.pump_into(&name, log, raw);
                let t = self.tracked.get_mut(&name).expect("tracked");
                t.start_error = None;
                t.env = env;
                // The status written now is the one the next syncs compute (no second write
                // to make it ready, as kubelet's first Running status is ready when no probe
                // says otherwise).
                self.new_run(c, started.started_at, now);
                let (started_ok, ready) = self.started_ready(&name);
                let mut view = self.base_view(
                    c,
                    State::Running {
                        started_at: to_timestamp(started.started_at),
                    },
                );
                view.image_id = Self::image_id(c);
                view.container_id = Some(container_id(&self.uid, &name, run));
                view.started = started_ok;
                view.ready = ready;
                Ok(view)
            }
            Err(e) => {
                let reason = match e {
                    kubelite_podsandbox::Error::StartFailed { message } => message,
                    other => other.to_string(),
                };
                let message = kubelite_podsandbox::oci_create_failed_message(&reason);
                self.event(Some(&name), true, "Failed", format!("Error: {message}"));
                let finished = Timestamp::now();
                let t = self.tracked.get_mut(&name).expect("tracked");
                t.failed_starts += 1;
                t.start_error = Some(Terminated {
                    exit_code: 128,
                    signal: None,
                    reason: "StartError".into(),
                    message: Some(message),
                    started_at: Timestamp::UNIX_EPOCH,
                    finished_at: finished,
                    container_id: container_id(&self.uid, &name, run),
                });
                t.backing_off = None;
                let mut view = self.base_view(
                    c,
                    State::Waiting {
                        reason: "ContainerCreating".into(),
                        message: None,
                    },
                );
                view.last = self.tracked[&name].start_error.clone();
                view.restart_count = self.tracked[&name].failed_starts - 1;
                Err(Box::new(view))
            }
        }
    }

    fn pull_failed(&mut self, c: &Container, image: &str, now: Instant) -> ContainerView {
        let message = kubelite_images::unknown_image_message(image);
        let name = c.name.clone();
        let t = self.tracked.get_mut(&name).expect("tracked");
        let retry = match t.pull_failed {
            None => true,
            Some(at) => !t.pull_backoff.waiting(at, now),
        };
        if retry {
            t.pull_backoff.next(now);
            t.pull_failed = Some(now);
            self.event(
                Some(&name),
                false,
                "Pulling",
                format!("Pulling image \"{image}\""),
            );
            self.event(
                Some(&name),
                true,
                "Failed",
                format!("Failed to pull image \"{image}\": {message}"),
            );
            self.event(Some(&name), true, "Failed", "Error: ErrImagePull".into());
            return self.waiting_view(c, "ErrImagePull", Some(message));
        }
        let at = t.pull_failed.unwrap_or(now);
        if now.duration_since(at) < PULL_ERROR_SHOWN {
            return self.waiting_view(c, "ErrImagePull", Some(message));
        }
        self.waiting_view(
            c,
            "ImagePullBackOff",
            Some(format!(
                "Back-off pulling image \"{image}\": ErrImagePull: {message}"
            )),
        )
    }

    /// An exited (or failed-to-start) container that the policy restarts: now, or after its
    /// back-off.
    async fn restart_or_wait(
        &mut self,
        sandbox: &Arc<PodSandbox>,
        c: &Container,
        status: Option<&ContainerStatus>,
        services: &mut Option<Vec<Service>>,
        now: Instant,
    ) -> ContainerView {
        let name = c.name.clone();
        let (finished, last, run_next, restarts) = match status {
            Some(status) => {
                let ContainerState::Exited(term) = &status.state else {
                    unreachable!("restart_or_wait is only called for exited containers")
                };
                (
                    Some(term.finished_at),
                    Some(self.termination(&name, status.restart_count, term)),
                    status.restart_count + 1,
                    self.restart_count(status),
                )
            }
            None => {
                let t = &self.tracked[&name];
                (None, t.start_error.clone(), 0, t.failed_starts.max(1) - 1)
            }
        };
        let t = self.tracked.get_mut(&name).expect("tracked");
        let new_exit = status.is_none() && t.backing_off.is_none()
            || finished.is_some() && t.handled_exit != finished;
        if new_exit {
            t.handled_exit = finished;
            t.backing_off = Some(now);
        }
        let failed_at = t.backing_off.unwrap_or(now);
        if t.backoff.waiting(failed_at, now) {
            let delay = go_duration(t.backoff.delay());
            if new_exit {
                self.event(
                    Some(&name),
                    true,
                    "BackOff",
                    format!(
                        "Back-off restarting failed container {name} in pod {}",
                        self.formatted()
                    ),
                );
            }
            let mut view = self.waiting_view(
                c,
                "CrashLoopBackOff",
                Some(format!(
                    "back-off {delay} restarting failed container={name} pod={}",
                    self.formatted()
                )),
            );
            view.last = last;
            view.restart_count = restarts;
            view.image_id = Self::image_id(c);
            view.container_id = view.last.as_ref().map(|l| l.container_id.clone());
            return view;
        }
        let t = self.tracked.get_mut(&name).expect("tracked");
        t.backoff.next(now);
        t.backing_off = None;
        let run = if status.is_some() {
            run_next
        } else {
            t.failed_starts as u32
        };
        match self.start(sandbox, c, run, services, now).await {
            Ok(mut view) => {
                view.last = last;
                view.restart_count = restarts + 1;
                view
            }
            Err(view) => *view,
        }
    }

    async fn running(
        &mut self,
        sandbox: &Arc<PodSandbox>,
        c: &Container,
        status: &ContainerStatus,
        started_at: SystemTime,
        now: Instant,
    ) -> ContainerView {
        let name = c.name.clone();
        let run = status.restart_count;
        let log = self.log_path(&name, run);
        let t = &self.tracked[&name];
        if t.run_started != Some(started_at) && t.pump.is_none() {
            // A run started before an agent restart: what an exec and the probes get is what
            // the run was started with, which the init remembers.
            match sandbox.container_spec(&name).await {
                Ok(Some(spec)) => {
                    self.ctx.registry.set_exec_env(
                        self.namespace(),
                        self.name(),
                        &name,
                        ExecEnv {
                            env: spec.env.clone(),
                            cwd: spec.cwd,
                        },
                    );
                    self.tracked.get_mut(&name).expect("tracked").env = spec.env;
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(pod = %self.key(), "container spec of {name}: {e}"),
            }
        }
        if self.tracked[&name].run_started != Some(started_at) {
            // A run the agent has not seen yet: adopted after a restart (or started by an
            // init too old to report when).
            self.new_run(c, started_at, now);
            if self.tracked[&name].pump.is_none() {
                self.pump_into(&name, log, RawOutput::new(sandbox.dir(), &name, run));
            }
        }
        self.pump_logs(&name, false);
        self.run_probes(sandbox, c, now).await;
        let (started, ready) = self.started_ready(&name);
        let mut view = self.base_view(
            c,
            State::Running {
                started_at: to_timestamp(started_at),
            },
        );
        view.image_id = Self::image_id(c);
        view.container_id = Some(container_id(&self.uid, &name, run));
        view.last = status
            .last_termination
            .as_ref()
            .map(|l| self.termination(&name, run.saturating_sub(1), l));
        view.restart_count = self.restart_count(status);
        view.ready = ready;
        view.started = started;
        view
    }

    /// Takes in a run of `c` the agent has not seen yet: its probes count from `started_at`.
    fn new_run(&mut self, c: &Container, started_at: SystemTime, now: Instant) {
        let age = SystemTime::now()
            .duration_since(started_at)
            .unwrap_or_default();
        let began = now.checked_sub(age).unwrap_or(now);
        let t = self.tracked.get_mut(&c.name).expect("tracked");
        t.run_started = Some(started_at);
        t.readiness = c
            .readiness_probe
            .as_ref()
            .map(|p| ProbeTracker::new(p, began, false));
        t.liveness = c
            .liveness_probe
            .as_ref()
            .map(|p| ProbeTracker::new(p, began, true));
        t.startup = c
            .startup_probe
            .as_ref()
            .map(|p| ProbeTracker::new(p, began, false));
    }

    /// Whether the running container `name` counts as started and as ready, as with kubelet: a
    /// container without a startup probe is started as soon as it runs, and one without a
    /// readiness probe is ready as soon as it is started.
    fn started_ready(&self, name: &str) -> (bool, bool) {
        let t = &self.tracked[name];
        let started = t.startup.as_ref().is_none_or(ProbeTracker::result);
        let ready = started && t.readiness.as_ref().is_none_or(ProbeTracker::result);
        (started, ready)
    }

    async fn run_probes(&mut self, sandbox: &Arc<PodSandbox>, c: &Container, now: Instant) {
        let name = c.name.clone();
        let pod_ip = self.ip.clone().unwrap_or_default();
        let env = self.tracked[&name].env.clone();
        let startup_done = self.tracked[&name]
            .startup
            .as_ref()
            .is_none_or(ProbeTracker::result);
        let kinds: [(&str, Option<&k8s_openapi::api::core::v1::Probe>); 3] = [
            ("Startup", c.startup_probe.as_ref()),
            ("Liveness", c.liveness_probe.as_ref()),
            ("Readiness", c.readiness_probe.as_ref()),
        ];
        for (kind, probe) in kinds {
            let Some(probe) = probe else { continue };
            if kind != "Startup" && !startup_done {
                continue;
            }
            let due = {
                let t = &self.tracked[&name];
                let tracker = match kind {
                    "Startup" => &t.startup,
                    "Liveness" => &t.liveness,
                    _ => &t.readiness,
                };
                tracker.as_ref().is_some_and(|p| p.due(now)) && !(kind == "Startup" && startup_done)
            };
            if !due {
                continue;
            }
            let outcome = probe::run(probe, c, &pod_ip, sandbox, &env).await;
            if !outcome.ok {
                self.event(
                    Some(&name),
                    true,
                    "Unhealthy",
                    format!("{kind} probe failed: {}", outcome.message.trim_end()),
                );
            }
            let t = self.tracked.get_mut(&name).expect("tracked");
            let tracker = match kind {
                "Startup" => &mut t.startup,
                "Liveness" => &mut t.liveness,
                _ => &mut t.readiness,
            };
            let changed = tracker
                .as_mut()
                .and_then(|p| p.record(outcome.ok, Instant::now()));
            if changed == Some(false) && kind != "Readiness" {
                let what = kind.to_lowercase();
                self.event(
                    Some(&name),
                    false,
                    "Killing",
                    format!("Container {name} failed {what} probe, will be restarted"),
                );
                self.kill_container(sandbox, &name);
            }
        }
    }

    /// SIGTERM now, SIGKILL after the pod's grace period if the same run still runs.
    fn kill_container(&self, sandbox: &Arc<PodSandbox>, name: &str) {
        let grace = self
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.termination_grace_period_seconds)
            .unwrap_or(30)
            .max(0) as u64;
        let sandbox = sandbox.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let _ = sandbox.signal_container(&name, Signal::SIGTERM).await;
            let deadline = Instant::now() + Duration::from_secs(grace);
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let running = sandbox.container_status().await.is_ok_and(|all| {
                    all.iter().any(|s| {
                        s.name == name && matches!(s.state, ContainerState::Running { .. })
                    })
                });
                if !running {
                    return;
                }
            }
            let _ = sandbox.signal_container(&name, Signal::SIGKILL).await;
        });
    }

    /// Pumps container `name`'s run output `raw` into `log` from now on, a pump the registry
    /// shares (log reads catch it up).
    fn pump_into(&mut self, name: &str, log: PathBuf, raw: RawOutput) {
        let pump = Arc::new(Mutex::new(LogPump::new(log.clone(), raw)));
        self.ctx
            .registry
            .log_started(self.namespace(), self.name(), name, log, pump.clone());
        self.tracked.get_mut(name).expect("tracked").pump = Some(pump);
    }

    fn pump_logs(&mut self, name: &str, flush: bool) {
        if let Some(pump) = self.tracked.get(name).and_then(|t| t.pump.as_ref()) {
            pump_now(pump, flush);
        }
    }

    /// Moves the last output of `name`'s run into its log; nothing more will come.
    fn end_logs(&mut self, name: &str, exit: Option<i32>) {
        self.pump_logs(name, true);
        let log = self
            .tracked
            .get(name)
            .and_then(|t| t.pump.as_ref())
            .map(|p| p.lock().expect("log pump lock").log().to_owned());
        if let Some(log) = log {
            self.ctx
                .registry
                .log_ended(self.namespace(), self.name(), &log, exit);
        }
    }

    async fn write_status(&mut self, views: Vec<ContainerView>, sandbox_ready: bool) -> Result<()> {
        let seen = self
            .pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_deref())
            .unwrap_or_default();
        // The conditions this agent wrote last, with the scheduler's PodScheduled as it is now.
        let conditions: Vec<PodCondition> = match &self.last_status {
            Some(last) => last
                .conditions
                .iter()
                .flatten()
                .filter(|c| c.type_ != "PodScheduled")
                .chain(seen.iter().filter(|c| c.type_ == "PodScheduled"))
                .cloned()
                .collect(),
            None => seen.to_vec(),
        };
        let computed = pod_status(&PodView {
            pod: &self.pod,
            conditions: &conditions,
            containers: views,
            pod_ip: self.ip.clone(),
            host_ip: self.ctx.node_ip.to_string(),
            sandbox_ready,
            start_time: self.start_time,
            now: Timestamp::now(),
        });
        if self.last_status.as_ref() == Some(&computed) {
            return Ok(());
        }
        #[derive(Debug, serde::Serialize)]
        struct StatusPatch<'a> {
            status: &'a PodStatus,
        }
        // The answer (the whole Pod) is not decoded: nothing here reads it.
        let url = <Pod as kube::Resource>::url_path(&(), Some(self.namespace()));
        let request = kube::core::Request::new(url)
            .patch_subresource(
                "status",
                self.name(),
                &PatchParams::apply(FIELD_MANAGER),
                &Patch::Merge(&StatusPatch { status: &computed }),
            )
            .map_err(kube::Error::BuildRequest)?;
        match self.ctx.client.request_text(request).await {
            Ok(_) => {
                self.last_status = Some(computed);
                Ok(())
            }
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Stops every container (SIGTERM, SIGKILL after `grace`); with `events`, a `Killing`
    /// event per running container.
    async fn stop(&mut self, grace: Duration, events: bool) {
        let Some(sandbox) = self.sandbox.take() else {
            return;
        };
        self.publish();
        if events && let Ok(statuses) = sandbox.container_status().await {
            for s in statuses {
                if matches!(s.state, ContainerState::Running { .. }) {
                    self.event(
                        Some(&s.name),
                        false,
                        "Killing",
                        format!("Stopping container {}", s.name),
                    );
                }
            }
        }
        let finals = sandbox.stop(grace).await.unwrap_or_else(|e| {
            tracing::debug!(pod = %self.key(), "stop: {e}");
            Vec::new()
        });
        let names: Vec<String> = self.tracked.keys().cloned().collect();
        for name in names {
            let exit = finals
                .iter()
                .find(|s| s.name == name)
                .and_then(|s| match &s.state {
                    ContainerState::Exited(term) => Some(term.exit_code),
                    ContainerState::Running { .. } => None,
                });
            self.end_logs(&name, exit);
        }
        if let Err(e) = kubelite_podsandbox::destroy(&self.ctx.sandbox_dir(), &self.uid).await {
            tracing::warn!(pod = %self.key(), "destroy sandbox: {e}");
        }
    }

    async fn release_network(&mut self) {
        if let Err(e) = self.ctx.net.destroy_sandbox(&self.uid).await {
            tracing::warn!(pod = %self.key(), "destroy network: {e}");
        }
        if let Err(e) = self.ctx.ips.release(&self.uid).await {
            tracing::warn!(pod = %self.key(), "release IP: {e}");
        }
    }

    /// Removes the network; with `logs`, the pod's log directory too.
    async fn teardown(&mut self, logs: bool) {
        self.ctx
            .registry
            .remove(self.namespace(), self.name(), &self.uid);
        self.release_network().await;
        if logs {
            let dir = pod_log_dir(
                &self.ctx.logs_dir(),
                self.namespace(),
                self.name(),
                &self.uid,
            );
            let _ = fs::remove_dir_all(dir);
        }
    }

    async fn delete_object(&self) {
        let api: Api<Pod> = Api::namespaced(self.ctx.client.clone(), self.namespace());
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(self.uid.clone()),
                resource_version: None,
            }),
            ..Default::default()
        };
        match api.delete(self.name(), &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
            Err(e) => tracing::warn!(pod = %self.key(), "delete: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn status_writes_are_no_reason_to_sync() {
        let old = pod(serde_json::json!({
            "metadata": {"name": "p", "uid": "u", "resourceVersion": "5", "labels": {"a": "1"}},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
            "status": {"phase": "Pending"},
        }));
        let mut echo = old.clone();
        echo.metadata.resource_version = Some("6".into());
        echo.status.as_mut().unwrap().phase = Some("Running".into());
        assert!(!differs_semantically(Some(&echo), &old));

        let mut relabelled = old.clone();
        relabelled.metadata.labels = None;
        assert!(differs_semantically(Some(&relabelled), &old));
        let mut deleting = old.clone();
        deleting.metadata.deletion_grace_period_seconds = Some(30);
        assert!(differs_semantically(Some(&deleting), &old));
        let mut respecced = old.clone();
        respecced.spec.as_mut().unwrap().containers[0].image = Some("j".into());
        assert!(differs_semantically(Some(&respecced), &old));
        assert!(differs_semantically(None, &old), "a deleted pod");
    }
}
