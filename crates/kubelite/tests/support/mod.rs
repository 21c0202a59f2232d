//! The end-to-end test harness: a real `kubelite up` inside a fresh, isolated network, mount and
//! PID namespace, driven with the stock `kubectl`.
//!
//! A *holder* process (`unshare … sleep`) owns the namespaces; kubelite and every kubectl run
//! enter them with `nsenter`, so a test can kill and restart kubelite in the same network.
//! Dropping the [`Cluster`] kills the holder, and with it everything inside the namespaces:
//! nothing a test does reaches the machine's own network.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The kubelite binary under test: the one cargo built, or the one `KUBELITE_BENCH_BINARY` names
/// (`scripts/bench-side-by-side` runs two builds at once with the same bench).
pub fn kubelite_bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var("KUBELITE_BENCH_BINARY")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_kubelite").to_owned())
    })
}

/// The lab folder (`labs/services/...`), as a learner has it.
pub fn lab_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.join("../../tests/data/lab")
}

/// One isolated cluster.
pub struct Cluster {
    holder: Child,
    server: Option<Child>,
    pub dir: tempfile::TempDir,
    pub kubectl: String,
}

/// What a command printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Panics with the whole output unless the command succeeded.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "command failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the command failed.
    #[track_caller]
    pub fn fails(self) -> Run {
        assert_ne!(
            self.code, 0,
            "command succeeded\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Cluster {
    /// Starts a cluster with `kubelite up` and waits until it answers.
    pub fn start() -> Cluster {
        Self::start_with(&[])
    }

    pub fn start_with(extra_args: &[&str]) -> Cluster {
        let mut cluster = Self::start_idle();
        cluster.start_server(extra_args);
        cluster
    }

    /// The isolated namespaces, with no kubelite running yet.
    pub fn start_idle() -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let holder = Command::new("unshare")
            .args(["--net", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private", "--", "sh", "-c"])
            .arg("ip link set lo up && mkdir -p /run/netns && mount -t tmpfs -o mode=755 tmpfs /run/netns && (mount -t sysfs sysfs /sys 2>/dev/null || true) && exec sleep 1000000")
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare (run the tests as root)");
        let cluster = Cluster {
            holder,
            server: None,
            dir,
            kubectl: "kubectl".into(),
        };
        cluster.wait_for_namespace();
        cluster
    }

    /// The PID (in our namespace) of the holder's child, which sits inside the new namespaces.
    fn target_pid(&self) -> u32 {
        let pid = self.holder.id();
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(pid)
    }

    fn wait_for_namespace(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pid = self.holder.id();
            let target = self.target_pid();
            if target != pid {
                let mine = std::fs::read_link("/proc/self/ns/net").ok();
                let theirs = std::fs::read_link(format!("/proc/{target}/ns/net")).ok();
                let comm =
                    std::fs::read_to_string(format!("/proc/{target}/comm")).unwrap_or_default();
                if theirs.is_some() && mine != theirs && comm.trim() == "sleep" {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the isolated namespace did not come up"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `nsenter` into the cluster's namespaces (network and mount; PID too when `pid`).
    fn enter(&self, pid: bool) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg("--target")
            .arg(self.target_pid().to_string())
            .args(["--net", "--mount"]);
        if pid {
            cmd.arg("--pid");
        }
        cmd.arg("--");
        cmd
    }

    /// Like `enter(false)`, working in the lab's folder: entering a mount namespace resets the
    /// working directory to its root, so `current_dir` alone does not reach the program.
    fn enter_lab(&self) -> Command {
        let lab = lab_root().canonicalize().expect("lab folder");
        let mut cmd = Command::new("nsenter");
        cmd.arg("--target")
            .arg(self.target_pid().to_string())
            .args(["--net", "--mount"]);
        cmd.arg(format!("--wd={}", lab.display())).arg("--");
        cmd.current_dir(lab);
        cmd
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.data_dir().join("kubeconfig.yaml")
    }

    /// The PID of the running kubelite (as this process sees it).
    pub fn server_pid(&self) -> u32 {
        let nsenter = self.server.as_ref().expect("kubelite running").id();
        direct_children(nsenter)
            .into_iter()
            .next()
            .unwrap_or(nsenter)
    }

    /// Starts `kubelite up` and waits until `kubelite status` reports every part healthy (API
    /// server, Node Ready, proxy rules, DNS), as a user waits for "kubelite is ready".
    pub fn start_server(&mut self, extra_args: &[&str]) {
        self.spawn_server(extra_args);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.kubeconfig().exists() && self.status().code == 0 {
                return;
            }
            if let Some(Ok(Some(status))) = self.server.as_mut().map(|c| c.try_wait()) {
                panic!("kubelite exited early ({status}):\n{}", self.server_log());
            }
            assert!(
                Instant::now() < deadline,
                "kubelite did not become ready:\n{}\n{}",
                self.status().stdout,
                self.server_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kubelite status` for this cluster.
    pub fn status(&self) -> Run {
        Run::from(
            self.enter(true)
                .arg(kubelite_bin())
                .arg("status")
                .arg("--data-dir")
                .arg(self.data_dir())
                .output()
                .expect("kubelite status"),
        )
    }

    /// Starts `kubelite up` and returns the time until `GET /readyz` over HTTPS answers 200,
    /// polled every millisecond by a kube-rs client inside the namespace.
    pub fn time_to_ready(&mut self) -> Duration {
        let kubeconfig = self.kubeconfig();
        let start = Instant::now();
        self.spawn_server(&[]);
        self.in_netns(move || {
            let rt = runtime();
            rt.block_on(async {
                loop {
                    assert!(
                        start.elapsed() < Duration::from_secs(30),
                        "kubelite did not become ready"
                    );
                    if let Some(client) = admin_client(&kubeconfig).await {
                        let req = http::Request::get("/readyz")
                            .body(Vec::new())
                            .expect("request");
                        if client.request_text(req).await.is_ok_and(|b| b == "ok") {
                            return start.elapsed();
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        })
    }

    fn spawn_server(&mut self, extra_args: &[&str]) {
        let log = std::fs::File::create(self.dir.path().join("kubelite.log")).expect("log file");
        let child = self
            .enter(true)
            .arg(kubelite_bin())
            .arg("up")
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(extra_args)
            .env(
                "RUST_LOG",
                std::env::var("KUBELITE_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start kubelite");
        self.server = Some(child);
    }

    /// Stops kubelite: SIGTERM (clean) or SIGKILL (crash).
    pub fn stop_server(&mut self, kill: bool) {
        if let Some(mut child) = self.server.take() {
            // nsenter forks kubelite and exits once it has: signal kubelite itself, so that
            // nsenter's exit below means kubelite is gone (its port and data dir are free).
            let inner = direct_children(child.id());
            let targets = if inner.is_empty() {
                vec![child.id()]
            } else {
                inner
            };
            for pid in targets {
                let sig = if kill { "-KILL" } else { "-TERM" };
                let _ = Command::new("kill").arg(sig).arg(pid.to_string()).status();
            }
            let deadline = Instant::now() + Duration::from_secs(20);
            while child.try_wait().ok().flatten().is_none() {
                assert!(Instant::now() < deadline, "kubelite did not stop");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kubelite.log")).unwrap_or_default()
    }

    /// `curl -k` inside the namespace, with the admin token.
    pub fn raw_get(&self, path: &str) -> Option<Run> {
        let out = self
            .enter(false)
            .args([
                "curl",
                "-sk",
                "--max-time",
                "5",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .arg(format!("https://127.0.0.1:6443{path}"))
            .output()
            .ok()?;
        let run = Run::from(out);
        Some(Run {
            code: if run.stdout.trim() == "200" { 0 } else { 1 },
            ..run
        })
    }

    /// `curl` inside the namespace: method, path, extra curl args; returns status code and body.
    pub fn curl(&self, args: &[&str]) -> (u16, String) {
        let token =
            std::fs::read_to_string(self.data_dir().join("pki/admin.token")).unwrap_or_default();
        let out = self
            .enter(false)
            .args([
                "curl",
                "-sk",
                "--max-time",
                "10",
                "-w",
                "\n%{http_code}",
                "-H",
            ])
            .arg(format!("Authorization: Bearer {}", token.trim()))
            .args(args)
            .output()
            .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    /// Runs `kubectl ARGS` inside the namespace, from the lab's folder, with this cluster's
    /// kubeconfig and a private HOME (so discovery caches never leak between tests).
    pub fn kubectl(&self, args: &[&str]) -> Run {
        self.kubectl_with(args, &[], None)
    }

    pub fn kubectl_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
        use std::io::Write;
        let mut cmd = self.enter_lab();
        cmd.arg(&self.kubectl)
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .env("HOME", self.dir.path())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("kubectl");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        }
        Run::from(child.wait_with_output().expect("kubectl output"))
    }

    /// Spawns a long-running kubectl (e.g. `get -w`), output to a file.
    pub fn kubectl_spawn(&self, args: &[&str], out: &Path) -> Child {
        let file = std::fs::File::create(out).expect("output file");
        self.enter_lab()
            .arg(&self.kubectl)
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .env("HOME", self.dir.path())
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl")
    }

    /// Runs any program inside the namespace.
    pub fn exec(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.enter_lab();
        cmd.arg(program).args(args);
        cmd.env("KUBECONFIG", self.kubeconfig())
            .env("HOME", self.dir.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("program"))
    }

    /// Runs a shell script as the node's root, in the cluster's network, mount and PID
    /// namespaces (so `/proc/self` resolves and `ip netns` works).
    pub fn node_sh(&self, script: &str) -> Run {
        Run::from(
            self.enter(true)
                .args(["sh", "-c", script])
                .output()
                .expect("sh"),
        )
    }

    /// Runs `f` on a fresh thread moved into the cluster's network namespace (sockets it opens
    /// live there), and returns its result.
    pub fn in_netns<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let netns =
            std::fs::File::open(self.netns_path()).expect("the cluster's network namespace");
        let worker = std::thread::spawn(move || {
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&netns),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .expect("setns into the cluster's network namespace");
            f()
        });
        // A failed assertion on that thread fails the test with its own message.
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// The network namespace file of the cluster, for clients that `setns` into it.
    pub fn netns_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/net", self.target_pid()))
    }
}

/// A current-thread tokio runtime, for client code run inside the cluster's network namespace
/// (see [`Cluster::in_netns`]).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A kube-rs client for the cluster admin, once the kubeconfig exists.
pub async fn admin_client(kubeconfig: &Path) -> Option<kube::Client> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).ok()?;
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .ok()?;
    kube::Client::try_from(config).ok()
}

/// The processes `pid` forked (not their descendants: a Pod's processes must survive a kill of
/// kubelite).
fn direct_children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect()
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
        let target = self.target_pid();
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(target.to_string())
            .status();
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// The `p` quantile (0..=1) of sorted durations, for benchmarks.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A duration in milliseconds, as benchmarks print it.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Polls `f` until it returns `Some`, for at most `secs` seconds.
#[track_caller]
pub fn eventually<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "condition not met within {secs}s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Cluster {
    /// Writes `contents` to `name` inside the test's private folder and returns its absolute path
    /// (kubectl runs from the lab folder, so pass this path as is).
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// Waits (up to 30 s) until the Pods `pods` of namespace `ns` are Ready.
    #[track_caller]
    pub fn wait_ready(&self, ns: &str, pods: &[&str]) {
        let mut args = vec!["wait", "-n", ns, "--for=condition=Ready", "--timeout=30s"];
        let names: Vec<String> = pods.iter().map(|p| format!("pod/{p}")).collect();
        args.extend(names.iter().map(String::as_str));
        self.kubectl(&args).ok();
    }

    /// `kubectl ARGS -o jsonpath=PATH`; panics unless kubectl succeeds.
    #[track_caller]
    pub fn jsonpath(&self, args: &[&str], path: &str) -> String {
        let mut all = args.to_vec();
        let output = format!("jsonpath={path}");
        all.extend(["-o", &output]);
        self.kubectl(&all).ok().stdout
    }

    /// `kubectl ARGS -o json`, parsed; panics unless kubectl succeeds.
    #[track_caller]
    pub fn kubectl_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let run = self.kubectl(&all).ok();
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
    }
}

/// One table as kubectl prints it: a header line, then rows aligned to it.
///
/// Columns are found from the header: a column starts where a word follows two or more spaces
/// (header names such as `NOMINATED NODE` hold single spaces), and every row is cut at the same
/// offsets, as kubectl's tab writer aligns them.
#[derive(Debug)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses one table (no blank lines inside).
    #[track_caller]
    pub fn parse(text: &str) -> Table {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let head = lines
            .next()
            .unwrap_or_else(|| panic!("no table in {text:?}"));
        let mut starts = Vec::new();
        let bytes = head.as_bytes();
        for i in 0..bytes.len() {
            let word_start = bytes[i] != b' '
                && (i == 0 || (i >= 2 && bytes[i - 1] == b' ' && bytes[i - 2] == b' '));
            if word_start {
                starts.push(i);
            }
        }
        let cut = |line: &str| -> Vec<String> {
            starts
                .iter()
                .enumerate()
                .map(|(n, &s)| {
                    let end = starts
                        .get(n + 1)
                        .copied()
                        .unwrap_or(line.len())
                        .min(line.len());
                    line.get(s.min(end)..end).unwrap_or("").trim().to_string()
                })
                .collect()
        };
        Table {
            header: cut(head),
            rows: lines.map(cut).collect(),
        }
    }

    /// The index of a column, by its header name.
    #[track_caller]
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header))
    }

    /// The cell in the row whose first cell is `row` and the column named `column`.
    #[track_caller]
    pub fn cell(&self, row: &str, column: &str) -> &str {
        let c = self.column(column);
        let r = self
            .rows
            .iter()
            .find(|r| r[0] == row)
            .unwrap_or_else(|| panic!("no row {row:?} in {:?}", self.rows));
        &r[c]
    }

    /// The first cell of every row, in order.
    pub fn names(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r[0].as_str()).collect()
    }
}
