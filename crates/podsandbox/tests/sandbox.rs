//! Integration tests for pod sandboxes (root required). `harness = false`: this binary is also
//! the pod zygote (`sandbox pod-zygote`, as `kubelite pod-zygote` is in production) and the
//! killable "agent" of the re-adoption test. Each case re-executes this binary under
//! `unshare --net --mount --pid --fork --mount-proc --propagation private`, so nothing is
//! created in the machine's own namespaces and everything left dies with the case.
//!
//! Usage: `cargo test -p kubelite-podsandbox --test sandbox [-- FILTER]`; `--list` lists cases.

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kubelite_podsandbox::{
    ContainerSpec, ContainerState, ContainerStatus, Error, ExecSpec, PodSandbox, SandboxSpec,
    Signal, Zygote, create, destroy, exec_command, list,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

type Case = fn(&Fixture) -> std::pin::Pin<Box<dyn Future<Output = ()> + '_>>;

const CASES: &[(&str, Case)] = &[
    ("identity", |f| Box::pin(identity(f))),
    ("stop_grace", |f| Box::pin(stop_grace(f))),
    ("zombies_and_forwarding", |f| {
        Box::pin(zombies_and_forwarding(f))
    }),
    ("exec", |f| Box::pin(exec(f))),
    ("exec_tty", |f| Box::pin(exec_tty(f))),
    ("readopt_after_agent_kill", |f| {
        Box::pin(readopt_after_agent_kill(f))
    }),
    ("create_time", |f| Box::pin(create_time(f))),
    ("attach_stdin", |f| Box::pin(attach_stdin(f))),
    ("attach_tty", |f| Box::pin(attach_tty(f))),
    ("zygote_restart_and_exit", |f| {
        Box::pin(zygote_restart_and_exit(f))
    }),
    ("builtin_forked", |f| Box::pin(builtin_forked(f))),
];

const RESOLV: &str = "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n";
const HOSTS: &str = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.42.0.7\tweb-0\n";

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    match args.get(1).and_then(|a| a.to_str()) {
        Some("pod-zygote") => kubelite_podsandbox::zygote_main(args[2..].to_vec(), builtins),
        Some(builtin @ "test-builtin") => {
            let code = builtins(builtin, args[2..].to_vec()).unwrap();
            std::process::exit(i32::from(code))
        }
        Some("case") => run_case(args[2].to_str().unwrap()),
        Some("agent-child") => agent_child(Path::new(&args[2]), Path::new(&args[3])),
        _ => run_all(&args[1..]),
    }
}

/// This binary's built-in image, as kubelite's whoami and sleep are: `sandbox test-builtin
/// CODE` reports the process it runs in (stdout, line by line) and exits with CODE;
/// `sandbox test-builtin wait` waits for a signal (SIGTERM's default action ends it).
fn builtins(subcommand: &str, args: Vec<OsString>) -> Option<u8> {
    if subcommand != "test-builtin" {
        return None;
    }
    let status = fs::read_to_string("/proc/thread-self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .to_owned()
    };
    let mut fds: Vec<String> = fs::read_dir("/proc/self/fd")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    fds.sort();
    let cmdline = fs::read_to_string("/proc/self/cmdline").unwrap();
    println!("args {args:?}");
    println!("env {:?}", std::env::vars().collect::<Vec<_>>());
    println!("cwd {}", std::env::current_dir().unwrap().display());
    println!("sigblk {}", field("SigBlk:"));
    println!(
        "group leader {}",
        nix::unistd::getpgrp() == nix::unistd::getpid()
    );
    // The directory listing itself holds one descriptor more than stdio.
    println!("fds {}", fds.len());
    println!("forked {}", cmdline.contains("pod-zygote"));
    match args.first().and_then(|a| a.to_str()) {
        Some("wait") => loop {
            std::thread::sleep(Duration::from_secs(1000));
        },
        Some(code) => Some(code.parse().unwrap()),
        None => Some(0),
    }
}

/// Runs the selected cases, each in fresh namespaces, in parallel.
fn run_all(args: &[OsString]) {
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    if args.contains(&"--list") {
        for (name, _) in CASES {
            println!("{name}: test");
        }
        return;
    }
    let exact = args.contains(&"--exact");
    let filters: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let selected: Vec<&str> = CASES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            filters.is_empty()
                || filters
                    .iter()
                    .any(|f| if exact { name == f } else { name.contains(f) })
        })
        .collect();
    let exe = std::env::current_exe().unwrap();
    println!("\nrunning {} tests", selected.len());
    let runs: Vec<_> = selected
        .iter()
        .map(|name| {
            let exe = exe.clone();
            let name = name.to_string();
            std::thread::spawn(move || {
                let output = Command::new("timeout")
                    .args([
                        "--signal=KILL",
                        "120",
                        "unshare",
                        "--net",
                        "--mount",
                        "--pid",
                        "--fork",
                        "--mount-proc",
                    ])
                    .args([
                        "--propagation",
                        "private",
                        "--",
                        "sh",
                        "-c",
                        "\"$@\"; exit $?",
                        "sh",
                    ])
                    .arg(&exe)
                    .args(["case", &name])
                    .output()
                    .expect("run unshare");
                (name, output)
            })
        })
        .collect();
    let mut failed = Vec::new();
    for run in runs {
        let (name, output) = run.join().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        for line in stdout.lines().filter(|l| l.starts_with("measure:")) {
            println!("{line}");
        }
        if output.status.success() {
            println!("test {name} ... ok");
        } else {
            println!("test {name} ... FAILED ({})", output.status);
            println!("---- {name} stdout ----\n{stdout}");
            println!(
                "---- {name} stderr ----\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            failed.push(name);
        }
    }
    if failed.is_empty() {
        println!("\ntest result: ok. {} passed", selected.len());
    } else {
        println!("\ntest result: FAILED. failures: {failed:?}");
        std::process::exit(1);
    }
}

/// A state directory and a bare network namespace, inside the case's namespaces. The
/// namespace is bind-mounted in a shared tmpfs, as the agent's netns directory is, which the
/// zygote is told to leave out of the pods' mounts.
struct Fixture {
    /// The temporary directory holding the others, if this fixture made it (the agent child of
    /// `readopt_after_agent_kill`, killed without cleanup, uses its parent's).
    _tmp: Option<tempfile::TempDir>,
    state_dir: PathBuf,
    netns: PathBuf,
    zygote: Zygote,
    /// The netns directory's tmpfs, unmounted on drop by the fixture that mounted it.
    netns_mount: Option<PathBuf>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(dir) = &self.netns_mount {
            nix::mount::umount2(dir, nix::mount::MntFlags::MNT_DETACH).unwrap();
        }
    }
}

/// A zygote that hides `netns_dir` from the pods, as the agent's does.
fn zygote(netns_dir: &Path) -> Zygote {
    Zygote::new(
        &std::env::current_exe().unwrap(),
        vec!["pod-zygote".into(), "--netns-dir".into(), netns_dir.into()],
    )
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let state_dir = tmp.path().join("pods");
        let netns_dir = tmp.path().join("netns");
        fs::create_dir(&netns_dir).unwrap();
        nix::mount::mount(
            Some("tmpfs"),
            &netns_dir,
            Some("tmpfs"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        )
        .unwrap();
        nix::mount::mount(
            None::<&str>,
            &netns_dir,
            None::<&str>,
            nix::mount::MsFlags::MS_SHARED,
            None::<&str>,
        )
        .unwrap();
        let netns = netns_dir.join("pod");
        fs::write(&netns, "").unwrap();
        let target = netns.clone();
        std::thread::spawn(move || {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            nix::mount::mount(
                Some("/proc/thread-self/ns/net"),
                &target,
                None::<&str>,
                nix::mount::MsFlags::MS_BIND,
                None::<&str>,
            )
            .unwrap();
        })
        .join()
        .unwrap();
        Fixture {
            _tmp: Some(tmp),
            state_dir,
            zygote: zygote(&netns_dir),
            netns,
            netns_mount: Some(netns_dir),
        }
    }

    fn spec(&self, uid: &str) -> SandboxSpec {
        SandboxSpec {
            uid: uid.into(),
            netns_path: self.netns.clone(),
            hostname: "web-0".into(),
            resolv_conf: RESOLV.into(),
            hosts: HOSTS.into(),
            state_dir: self.state_dir.clone(),
        }
    }

    async fn create(&self, uid: &str) -> Result<PodSandbox, Error> {
        create(&self.spec(uid), &self.zygote).await
    }

    fn container(&self, name: &str, argv: &[&str]) -> ContainerSpec {
        let log = self.state_dir.join(format!("{name}.log"));
        ContainerSpec {
            name: name.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![("FOO".into(), "bar".into())],
            cwd: None,
            stdout: log.clone(),
            stderr: log,
            stdin: false,
            stdin_once: false,
            tty: false,
        }
    }

    fn log(&self, name: &str) -> String {
        fs::read_to_string(self.state_dir.join(format!("{name}.log"))).unwrap_or_default()
    }

    /// Waits until container `name`'s log contains `want`.
    async fn log_contains(&self, name: &str, want: &str) {
        wait_until(
            Duration::from_secs(5),
            || self.log(name).contains(want),
            || format!("{want:?} not in {:?}", self.log(name)),
        )
        .await;
    }
}

fn run_case(name: &str) {
    let (_, case) = CASES.iter().find(|(n, _)| *n == name).expect("known case");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fixture = Fixture::new();
    runtime.block_on(case(&fixture));
}

/// Processes (pid, state, comm) in the PID namespace `ns` (a `/proc/<pid>/ns/pid` link).
fn processes_in(ns: &Path) -> Vec<(i32, char, String)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if fs::read_link(format!("/proc/{pid}/ns/pid")).ok().as_deref() != Some(ns) {
            continue;
        }
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let state = stat[stat.rfind(')').unwrap() + 2..].chars().next().unwrap();
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        found.push((pid, state, comm.trim().to_owned()));
    }
    found
}

fn pid_ns(pid: i32) -> PathBuf {
    fs::read_link(format!("/proc/{pid}/ns/pid")).unwrap()
}

/// Waits until no process is left in `ns`.
async fn assert_empty(ns: &Path) {
    wait_until(
        Duration::from_secs(3),
        || processes_in(ns).is_empty(),
        || format!("left behind: {:?}", processes_in(ns)),
    )
    .await;
}

/// Polls `done` every 10 ms; fails with `why()` once `within` has passed.
async fn wait_until(within: Duration, done: impl Fn() -> bool, why: impl Fn() -> String) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{}", why());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(sandbox: &PodSandbox, argv: &[&str], stdin: &[u8]) -> Output {
    let spec = ExecSpec {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        env: vec![("FOO".into(), "bar".into())],
        ..ExecSpec::default()
    };
    let mut process = exec_command(sandbox, &spec).unwrap();
    let mut input = process.take_stdin().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    let (mut out, mut err) = (
        process.take_stdout().unwrap(),
        process.take_stderr().unwrap(),
    );
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let (a, b) = tokio::join!(
        out.read_to_string(&mut stdout),
        err.read_to_string(&mut stderr)
    );
    a.unwrap();
    b.unwrap();
    Output {
        code: process.wait().await.unwrap(),
        stdout,
        stderr,
    }
}

fn exit_code(status: &ContainerStatus) -> Option<i32> {
    match &status.state {
        ContainerState::Exited(t) => Some(t.exit_code),
        ContainerState::Running { .. } => None,
    }
}

async fn identity(f: &Fixture) {
    let host_hostname = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host_hosts = fs::read_to_string("/etc/hosts").unwrap();
    let sandbox = f.create("identity").await.unwrap();
    sandbox
        .start_container(f.container("sleeper", &["sleep", "1000"]))
        .await
        .unwrap();
    assert_eq!(run(&sandbox, &["hostname"], b"").await.stdout, "web-0\n");
    assert_eq!(
        run(&sandbox, &["cat", "/etc/resolv.conf"], b"")
            .await
            .stdout,
        RESOLV
    );
    assert_eq!(
        run(&sandbox, &["cat", "/etc/hosts"], b"").await.stdout,
        HOSTS
    );
    // Nothing leaked to the node's side.
    assert_eq!(
        fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        host_hostname
    );
    assert_eq!(fs::read_to_string("/etc/hosts").unwrap(), host_hosts);
    // The node's netns directory is not among the pod's mounts; it is among the node's.
    let netns_dir = f.netns.parent().unwrap().to_str().unwrap();
    let mounts = run(&sandbox, &["cat", "/proc/self/mountinfo"], b"")
        .await
        .stdout;
    assert!(mounts.contains(" /etc/hosts "), "{mounts}");
    assert!(!mounts.contains(netns_dir), "{mounts}");
    let node_mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(node_mounts.contains(netns_dir), "{node_mounts}");
    // Nor does the init hold a namespace of the node's (the zygote's own PID namespace, the
    // pod's netns once joined).
    let fds = run(&sandbox, &["ls", "-l", "/proc/1/fd"], b"").await.stdout;
    assert!(fds.contains("init.log") || fds.contains("null"), "{fds}");
    assert!(!fds.contains("pid:[") && !fds.contains("net:["), "{fds}");

    let script = "for d in /proc/[0-9]*; do echo \"${d#/proc/} $(cat $d/comm)\"; done";
    let ps = run(&sandbox, &["sh", "-c", script], b"").await.stdout;
    let init_comm = fs::read_to_string(format!("/proc/{}/comm", sandbox.init_pid())).unwrap();
    let listing: Vec<(i32, String)> = ps
        .lines()
        .map(|l| {
            let (pid, comm) = l.split_once(' ').unwrap();
            (pid.parse().unwrap(), comm.to_owned())
        })
        .collect();
    assert!(listing.contains(&(1, init_comm.trim().to_owned())), "{ps}");
    assert!(listing.iter().any(|(_, c)| c == "sleep"), "{ps}");
    let allowed = [init_comm.trim(), "sleep", "sh", "cat"];
    assert!(
        listing.iter().all(|(_, c)| allowed.contains(&c.as_str())),
        "{ps}"
    );
    assert!(listing.len() <= 4, "{ps}");

    let ns = pid_ns(sandbox.init_pid());
    let statuses = sandbox.stop(Duration::from_secs(5)).await.unwrap();
    assert_eq!(exit_code(&statuses[0]), Some(143));
    assert_empty(&ns).await;
    sandbox.destroy().await.unwrap();
}

async fn stop_grace(f: &Fixture) {
    let sandbox = f.create("grace").await.unwrap();
    let ns = pid_ns(sandbox.init_pid());
    sandbox
        .start_container(f.container("sleep", &["sleep", "1000"]))
        .await
        .unwrap();
    let stubborn = ["sh", "-c", "trap '' TERM; sleep 1000"];
    sandbox
        .start_container(f.container("stubborn", &stubborn))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let statuses = sandbox.stop(Duration::from_millis(500)).await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let codes: Vec<(String, Option<i32>)> = statuses
        .iter()
        .map(|s| (s.name.clone(), exit_code(s)))
        .collect();
    assert_eq!(
        codes,
        [("sleep".into(), Some(143)), ("stubborn".into(), Some(137))]
    );
    assert!(!sandbox.is_running());
    assert_empty(&ns).await;
    println!("measure: stop with a TERM-ignoring container, grace 500ms: {took:?}");

    // A well-behaved pod stops at once, far within its grace period.
    let sandbox = f.create("grace2").await.unwrap();
    sandbox
        .start_container(f.container("sleep", &["sleep", "1000"]))
        .await
        .unwrap();
    let started = Instant::now();
    sandbox.stop(Duration::from_secs(30)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    sandbox.destroy().await.unwrap();
}

async fn zombies_and_forwarding(f: &Fixture) {
    let sandbox = f.create("zombies").await.unwrap();
    let ns = pid_ns(sandbox.init_pid());
    let mut exits = sandbox.wait_exit().await.unwrap();
    sandbox
        .start_container(f.container("keep", &["sleep", "1000"]))
        .await
        .unwrap();
    let orphaning = ["sh", "-c", "sleep 0.3 & sleep 0.3 & exit 0"];
    sandbox
        .start_container(f.container("parent", &orphaning))
        .await
        .unwrap();
    let exit = exits.next().await.unwrap().unwrap();
    assert_eq!(
        (exit.name.as_str(), exit.termination.exit_code),
        ("parent", 0)
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let left = processes_in(&ns);
    assert!(
        left.iter().all(|(_, state, _)| *state != 'Z'),
        "zombies: {left:?}"
    );
    let comms: Vec<&str> = left.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!(
        comms.iter().filter(|c| **c == "sleep").count(),
        1,
        "{left:?}"
    );

    // SIGTERM to the init from outside is forwarded; the init exits when nothing runs.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(sandbox.init_pid()),
        Signal::SIGTERM,
    )
    .unwrap();
    let exit = exits.next().await.unwrap().unwrap();
    assert_eq!(
        (exit.name.as_str(), exit.termination.exit_code),
        ("keep", 143)
    );
    assert!(
        exits.next().await.unwrap().is_none(),
        "stream ends with the init"
    );
    assert_empty(&ns).await;
    sandbox.destroy().await.unwrap();
}

async fn exec(f: &Fixture) {
    let sandbox = f.create("exec").await.unwrap();
    let out = run(&sandbox, &["sh", "-c", "exit 7"], b"").await;
    assert_eq!(out.code, 7);
    let out = run(&sandbox, &["cat"], b"hello\nworld\n").await;
    assert_eq!((out.code, out.stdout.as_str()), (0, "hello\nworld\n"));
    let out = run(
        &sandbox,
        &["sh", "-c", "echo out; echo err >&2; exit 3"],
        b"",
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (3, "out\n", "err\n")
    );
    let out = run(&sandbox, &["sh", "-c", "kill -9 $$"], b"").await;
    assert_eq!(out.code, 137);
    let out = run(&sandbox, &["sh", "-c", "echo $FOO $PATH; echo $$"], b"").await;
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("bar /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    );
    let pid: i32 = lines.next().unwrap().parse().unwrap();
    assert!(pid < 100, "pid {pid} is not from the pod's PID namespace");
    let spec = ExecSpec {
        argv: vec!["pwd".into()],
        cwd: Some("/tmp".into()),
        ..ExecSpec::default()
    };
    let mut process = exec_command(&sandbox, &spec).unwrap();
    let mut out = String::new();
    process
        .take_stdout()
        .unwrap()
        .read_to_string(&mut out)
        .await
        .unwrap();
    assert_eq!((process.wait().await.unwrap(), out.as_str()), (0, "/tmp\n"));

    let missing = ExecSpec {
        argv: vec!["nope".into()],
        ..ExecSpec::default()
    };
    match exec_command(&sandbox, &missing) {
        Err(Error::ExecFailed(message)) => assert_eq!(
            message,
            r#"OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown"#
        ),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("nope started"),
    }
    let ns = pid_ns(sandbox.init_pid());
    sandbox.destroy().await.unwrap();
    assert_empty(&ns).await;
}

async fn exec_tty(f: &Fixture) {
    let sandbox = f.create("tty").await.unwrap();
    let script =
        "test -t 0 && echo isatty; read line; echo got:$line; stty size; echo TERM=$TERM; exit 5";
    let spec = ExecSpec {
        argv: vec!["sh".into(), "-c".into(), script.into()],
        tty: true,
        ..ExecSpec::default()
    };
    let mut process = exec_command(&sandbox, &spec).unwrap();
    assert!(process.take_stderr().is_none());
    process.resize(120, 40).unwrap();
    let mut input = process.take_stdin().unwrap();
    input.write_all(b"abc\n").await.unwrap();
    let mut out = String::new();
    process
        .take_stdout()
        .unwrap()
        .read_to_string(&mut out)
        .await
        .unwrap();
    assert_eq!(process.wait().await.unwrap(), 5);
    for want in ["isatty\r\n", "got:abc\r\n", "40 120\r\n", "TERM=xterm\r\n"] {
        assert!(out.contains(want), "{want:?} missing in {out:?}");
    }
    sandbox.destroy().await.unwrap();
}

/// The "agent" of `readopt_after_agent_kill`: creates the pod, lets one container exit twice,
/// says `ready` and waits to be killed.
fn agent_child(state_dir: &Path, netns: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let f = Fixture {
            _tmp: None,
            state_dir: state_dir.into(),
            netns: netns.into(),
            zygote: zygote(netns.parent().unwrap()),
            netns_mount: None,
        };
        let sandbox = f.create("readopt").await.unwrap();
        let mut exits = sandbox.wait_exit().await.unwrap();
        let cat = ContainerSpec {
            stdin: true,
            ..f.container("cat", &["cat"])
        };
        sandbox.start_container(cat).await.unwrap();
        let mut session = sandbox.attach("cat", true).await.unwrap();
        let mut input = session.take_stdin().unwrap();
        input.write_all(b"before\n").await.unwrap();
        input.flush().await.unwrap();
        f.log_contains("cat", "before\n").await;
        sandbox
            .start_container(f.container("long", &["sleep", "1000"]))
            .await
            .unwrap();
        for code in [3, 4] {
            let script = format!("exit {code}");
            sandbox
                .start_container(f.container("quick", &["sh", "-c", &script]))
                .await
                .unwrap();
            assert_eq!(
                exits.next().await.unwrap().unwrap().termination.exit_code,
                code
            );
        }
        println!("ready");
        std::future::pending::<()>().await;
    });
}

async fn readopt_after_agent_kill(f: &Fixture) {
    let mounts_before = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut agent = Command::new(std::env::current_exe().unwrap())
        .arg("agent-child")
        .args([&f.state_dir, &f.netns])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(agent.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    agent.kill().unwrap(); // SIGKILL
    agent.wait().unwrap();

    let sandbox = PodSandbox::connect(&f.state_dir, "readopt").await.unwrap();
    let ns = pid_ns(sandbox.init_pid());
    // The stdin the killed agent wrote to is still open, and a new session reaches it.
    let mut session = sandbox.attach("cat", true).await.unwrap();
    let mut input = session.take_stdin().unwrap();
    input.write_all(b"after\n").await.unwrap();
    input.flush().await.unwrap();
    f.log_contains("cat", "before\nafter\n").await;
    let statuses = sandbox.container_status().await.unwrap();
    let statuses = &statuses[1..];
    let long = &statuses[0];
    assert_eq!((long.name.as_str(), long.restart_count), ("long", 0));
    assert!(
        matches!(long.state, ContainerState::Running { .. }),
        "{long:?}"
    );
    let quick = &statuses[1];
    assert_eq!((quick.name.as_str(), quick.restart_count), ("quick", 1));
    assert_eq!(exit_code(quick), Some(4));
    assert_eq!(
        quick.last_termination.as_ref().map(|t| t.exit_code),
        Some(3)
    );
    assert_eq!(run(&sandbox, &["hostname"], b"").await.stdout, "web-0\n");

    let mut exits = sandbox.wait_exit().await.unwrap();
    sandbox
        .signal_container("long", Signal::SIGTERM)
        .await
        .unwrap();
    let exit = exits.next().await.unwrap().unwrap();
    assert_eq!(
        (
            exit.name.as_str(),
            exit.termination.exit_code,
            exit.termination.signal
        ),
        ("long", 143, Some(15))
    );

    assert_eq!(list(&f.state_dir).unwrap(), ["readopt"]);
    drop(sandbox);
    destroy(&f.state_dir, "readopt").await.unwrap();
    assert_empty(&ns).await;
    assert!(matches!(
        PodSandbox::connect(&f.state_dir, "readopt").await,
        Err(Error::InitGone(_))
    ));
    assert!(list(&f.state_dir).unwrap().is_empty());
    assert_eq!(
        fs::read_to_string("/proc/self/mountinfo").unwrap(),
        mounts_before
    );
}

async fn create_time(f: &Fixture) {
    const N: usize = 20;
    let mounts_before = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut times = Vec::new();
    let mut sandboxes = Vec::new();
    for i in 0..N {
        let started = Instant::now();
        let sandbox = f.create(&format!("pod-{i}")).await.unwrap();
        times.push(started.elapsed());
        sandboxes.push(sandbox);
    }
    let total: Duration = times.iter().sum();
    let max = times.iter().max().unwrap();
    println!(
        "measure: sandbox create until init ready: avg {:.2} ms, max {:.2} ms over {N}",
        total.as_secs_f64() * 1000.0 / N as f64,
        max.as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    for sandbox in &sandboxes {
        sandbox
            .start_container(f.container("c", &["sleep", "1000"]))
            .await
            .unwrap();
    }
    println!(
        "measure: container start: avg {:.2} ms",
        started.elapsed().as_secs_f64() * 1000.0 / N as f64
    );
    let started = Instant::now();
    let stops = sandboxes.iter().map(|s| s.stop(Duration::from_secs(5)));
    for stopped in futures::future::join_all(stops).await {
        assert_eq!(exit_code(&stopped.unwrap()[0]), Some(143));
    }
    println!(
        "measure: stopping {N} pods concurrently: {:?}",
        started.elapsed()
    );
    for sandbox in sandboxes {
        sandbox.destroy().await.unwrap();
    }
    assert!(list(&f.state_dir).unwrap().is_empty());
    assert_eq!(
        fs::read_to_string("/proc/self/mountinfo").unwrap(),
        mounts_before
    );
    // Only the zygote stays, for the next pod.
    let zygotes = zygotes();
    let others = || -> Vec<i32> {
        fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
            .filter(|pid| *pid != 1 && *pid != std::process::id() as i32)
            .filter(|pid| !zygotes.contains(pid))
            .collect()
    };
    wait_until(
        Duration::from_secs(3),
        || others().is_empty(),
        || format!("processes left: {:?}", others()),
    )
    .await;
}

async fn attach_stdin(f: &Fixture) {
    let sandbox = f.create("stdin").await.unwrap();
    let mut exits = sandbox.wait_exit().await.unwrap();
    let cat = ContainerSpec {
        stdin: true,
        ..f.container("cat", &["cat"])
    };
    sandbox.start_container(cat).await.unwrap();

    // A session whose client had no stdin drops its input without a shutdown: stdin stays.
    let mut quiet = sandbox.attach("cat", true).await.unwrap();
    assert!(!quiet.tty());
    drop(quiet.take_stdin().unwrap());
    // Two sessions at once; the end of one's input ends only that session.
    let mut a = sandbox.attach("cat", true).await.unwrap();
    let mut b = sandbox.attach("cat", true).await.unwrap();
    let mut a_in = a.take_stdin().unwrap();
    let mut b_in = b.take_stdin().unwrap();
    a_in.write_all(b"one\n").await.unwrap();
    a_in.shutdown().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), a.input_done())
        .await
        .unwrap();
    f.log_contains("cat", "one\n").await;
    b_in.write_all(b"two\n").await.unwrap();
    b_in.flush().await.unwrap();
    f.log_contains("cat", "one\ntwo\n").await;
    // Without stdin, a session gets none.
    let mut no_input = sandbox.attach("cat", false).await.unwrap();
    assert!(no_input.take_stdin().is_none());

    // stdinOnce: the first session that used stdin closes it when it ends.
    let once = ContainerSpec {
        stdin: true,
        stdin_once: true,
        ..f.container("once", &["cat"])
    };
    sandbox.start_container(once).await.unwrap();
    let mut first = sandbox.attach("once", true).await.unwrap();
    let mut input = first.take_stdin().unwrap();
    input.write_all(b"only\n").await.unwrap();
    input.shutdown().await.unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(5), exits.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        (exit.name.as_str(), exit.termination.exit_code),
        ("once", 0)
    );
    assert_eq!(f.log("once"), "only\n");
    assert!(matches!(
        sandbox.attach("once", true).await,
        Err(Error::Rejected(m)) if m == r#"container "once" is not running"#
    ));
    // The container's exit ends the sessions' input.
    sandbox
        .signal_container("cat", Signal::SIGKILL)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), b.input_done())
        .await
        .unwrap();
    // No container without stdin gets one.
    sandbox
        .start_container(f.container("plain", &["sleep", "100"]))
        .await
        .unwrap();
    let mut plain = sandbox.attach("plain", true).await.unwrap();
    assert!(plain.take_stdin().is_none());
    sandbox.destroy().await.unwrap();
}

async fn attach_tty(f: &Fixture) {
    let sandbox = f.create("tty").await.unwrap();
    let mut exits = sandbox.wait_exit().await.unwrap();
    let script = "test -t 0 && echo isatty; stty size; read line; echo got:$line; \
                  stty size; echo TERM=$TERM; exit 5";
    let spec = ContainerSpec {
        stdin: true,
        stdin_once: true,
        tty: true,
        ..f.container("sh", &["sh", "-c", script])
    };
    sandbox.start_container(spec).await.unwrap();
    f.log_contains("sh", "isatty\r\n").await;
    let mut session = sandbox.attach("sh", true).await.unwrap();
    assert!(session.tty());
    sandbox.resize_container("sh", 120, 40).await.unwrap();
    let mut input = session.take_stdin().unwrap();
    input.write_all(b"abc\n").await.unwrap();
    input.flush().await.unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(5), exits.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(exit.termination.exit_code, 5);
    // The exit is reported only once the terminal's output is in the log.
    let log = f.log("sh");
    for want in ["abc\r\n", "got:abc\r\n", "40 120\r\n", "TERM=xterm\r\n"] {
        assert!(log.contains(want), "{want:?} missing in {log:?}");
    }
    assert_eq!(
        sandbox.container_spec("sh").await.unwrap().map(|s| s.tty),
        Some(true)
    );
    assert_eq!(sandbox.container_spec("nope").await.unwrap(), None);
    sandbox.destroy().await.unwrap();
}

/// This process's children running as the pod zygote.
fn zygotes() -> Vec<i32> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let stat = fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // `pid (comm) state ppid ...`; a zombie no longer counts.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if fields.get(1) == Some(&me.as_str())
            && fields.first() != Some(&"Z")
            && cmdline.split(|&b| b == 0).any(|a| a == b"pod-zygote")
        {
            found.push(pid);
        }
    }
    found
}

const ZYGOTE_WAIT: Duration = Duration::from_secs(10);

/// A zygote killed from outside is replaced at the next create; dropping the agent's handle
/// ends the zygote; the pods it forked live on.
async fn zygote_restart_and_exit(f: &Fixture) {
    let zygote = Zygote::new(&std::env::current_exe().unwrap(), vec!["pod-zygote".into()]);
    assert!(zygotes().is_empty(), "no zygote before the first create");
    let first = create(&f.spec("z1"), &zygote).await.unwrap();
    let old = zygotes();
    assert_eq!(old.len(), 1, "{old:?}");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(old[0]), Signal::SIGKILL).unwrap();
    // Dead means a zombie or reaped: a dying process loses its memory (and its command line)
    // before it closes its files, and a request sent before that would be lost with its socket.
    let dead = || {
        fs::read_to_string(format!("/proc/{}/stat", old[0])).map_or(true, |stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
    };
    wait_until(ZYGOTE_WAIT, dead, || {
        "the killed zygote is still there".into()
    })
    .await;
    let gone = || zygotes().is_empty();

    let second = create(&f.spec("z2"), &zygote).await.unwrap();
    let new = zygotes();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_ne!(new, old);
    assert_eq!(run(&second, &["hostname"], b"").await.stdout, "web-0\n");

    drop(zygote);
    wait_until(ZYGOTE_WAIT, gone, || {
        "the zygote outlived its handle".into()
    })
    .await;
    for sandbox in [&first, &second] {
        assert!(sandbox.container_status().await.is_ok());
    }
    first.destroy().await.unwrap();
    second.destroy().await.unwrap();
}

/// A first container whose program is this binary and whose first argument is a built-in
/// image runs in the init's spare, set up as an exec'd process would be; later ones are exec'd.
async fn builtin_forked(f: &Fixture) {
    let sandbox = f.create("builtin").await.unwrap();
    let ns = pid_ns(sandbox.init_pid());
    let mut exits = sandbox.wait_exit().await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let mut spec = f.container("b", &[exe, "test-builtin", "3"]);
    spec.cwd = Some("/tmp".into());
    sandbox.start_container(spec).await.unwrap();
    let exit = exits.next().await.unwrap().unwrap();
    assert_eq!((exit.name.as_str(), exit.termination.exit_code), ("b", 3));
    let log = f.log("b");
    let want = [
        "args [\"3\"]",
        "env [(\"FOO\", \"bar\"), (\"PATH\", ",
        "cwd /tmp",
        "sigblk 0000000000000000",
        "group leader true",
        "fds 4",
        "forked true",
    ];
    for line in want {
        assert!(log.contains(line), "{line:?} not in {log:?}");
    }

    // A later built-in is exec'd, and signals reach it with their default action.
    sandbox
        .start_container(f.container("w", &[exe, "test-builtin", "wait"]))
        .await
        .unwrap();
    f.log_contains("w", "forked false").await;
    sandbox
        .signal_container("w", Signal::SIGTERM)
        .await
        .unwrap();
    let exit = exits.next().await.unwrap().unwrap();
    assert_eq!((exit.name.as_str(), exit.termination.exit_code), ("w", 143));
    sandbox.stop(Duration::from_secs(5)).await.unwrap();
    assert_empty(&ns).await;
    sandbox.destroy().await.unwrap();

    // A first container that is not a built-in is exec'd; the spare leaves.
    let sandbox = f.create("builtin2").await.unwrap();
    let ns = pid_ns(sandbox.init_pid());
    sandbox
        .start_container(f.container("s", &["sleep", "1000"]))
        .await
        .unwrap();
    wait_until(
        Duration::from_secs(5),
        || processes_in(&ns).len() == 2,
        || format!("not just the init and sleep: {:?}", processes_in(&ns)),
    )
    .await;
    sandbox.stop(Duration::from_secs(5)).await.unwrap();
    sandbox.destroy().await.unwrap();
}
