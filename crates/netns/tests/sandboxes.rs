//! Integration tests against the real kernel. Each test re-executes this test binary as a child
//! under `unshare --net --mount --propagation private`, and the body runs only in that child, so
//! bridges, veths and namespaces live in a throwaway network namespace and never in the machine's
//! own. The parent then checks that none of the test's interfaces appeared in its namespace.
//! Needs root (as on the development machines and CI).

use std::collections::HashSet;
use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kubelite_netns::{
    Error, Ipam, NodeNetConfig, NodeNetwork, SandboxNet, get_sysctl, host_veth_name, netns_path,
};

const CHILD_ENV: &str = "KUBELITE_NETNS_TEST_CHILD";
const BRIDGE: &str = "kltest0";

/// Runs `body` inside a fresh network and mount namespace (see the module docs).
fn isolated<F, Fut>(test_name: &str, uids: &[&str], body: F)
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    if std::env::var_os(CHILD_ENV).is_some() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(body(dir.path().to_owned()));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("unshare")
        .args(["--net", "--mount", "--propagation", "private", "--"])
        .arg(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run unshare");
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "isolated child for {test_name} failed: {}",
        output.status
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "child did not run {test_name}"
    );
    let host_links = std::fs::read_to_string("/proc/net/dev").unwrap();
    for name in uids
        .iter()
        .map(|uid| host_veth_name(uid))
        .chain([BRIDGE.to_string()])
    {
        assert!(
            !host_links.contains(&format!("{name}:")),
            "{name} leaked into the machine's namespace"
        );
    }
}

fn config(run_dir: &Path) -> NodeNetConfig {
    NodeNetConfig {
        bridge: BRIDGE.into(),
        pod_cidr: "10.42.0.0/24".parse().unwrap(),
        mtu: 1450,
        run_dir: run_dir.join("run"),
        service_cidr: Some("10.43.0.0/16".parse().unwrap()),
    }
}

/// Runs a command and returns its stdout, failing the test on a non-zero exit.
fn sh(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn in_netns(netns: &Path, args: &[&str]) -> String {
    let net = format!("--net={}", netns.display());
    let mut all = vec![net.as_str(), "--"];
    all.extend_from_slice(args);
    sh("nsenter", &all)
}

/// Runs `work` on a thread that entered the network namespace at `netns`.
fn thread_in<T: Send + 'static>(
    netns: &Path,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let netns = netns.to_owned();
    std::thread::spawn(move || {
        let file = std::fs::File::open(&netns).unwrap();
        nix::sched::setns(file.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        work()
    })
}

/// A one-shot TCP echo server bound to `addr` inside `netns` (the node's own when `None`).
fn echo_server(netns: Option<&Path>, addr: SocketAddr) -> std::thread::JoinHandle<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let serve = move || {
        let listener = TcpListener::bind(addr).unwrap();
        ready_tx.send(()).unwrap();
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4];
        conn.read_exact(&mut buf).unwrap();
        conn.write_all(&buf).unwrap();
    };
    let handle = match netns {
        Some(netns) => thread_in(netns, serve),
        None => std::thread::spawn(serve),
    };
    ready_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    handle
}

/// Connects from inside `netns` to `addr` and checks the echo.
fn connect_from(netns: &Path, addr: SocketAddr) {
    thread_in(netns, move || {
        let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
        conn.write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        conn.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
    })
    .join()
    .unwrap();
}

fn assert_configured(sandbox: &SandboxNet) {
    let addr = in_netns(
        &sandbox.netns_path,
        &["ip", "-4", "-o", "addr", "show", "dev", "eth0"],
    );
    assert!(addr.contains(&format!("inet {}/24", sandbox.ip)), "{addr}");
    let route = in_netns(
        &sandbox.netns_path,
        &["ip", "-4", "route", "show", "default"],
    );
    assert!(
        route.starts_with("default via 10.42.0.1 dev eth0 "),
        "{route}"
    );
    let link = in_netns(
        &sandbox.netns_path,
        &["ip", "-o", "link", "show", "dev", "eth0"],
    );
    assert!(
        link.contains("mtu 1450") && link.contains("state UP"),
        "{link}"
    );
    let lo = in_netns(
        &sandbox.netns_path,
        &["ip", "-o", "link", "show", "dev", "lo"],
    );
    assert!(lo.contains("UP"), "{lo}");
    // The pod keeps its IPv6 link-local address (as with a CNI bridge); the bridge port has
    // none.
    let inet6 = in_netns(
        &sandbox.netns_path,
        &["ip", "-6", "-o", "addr", "show", "dev", "eth0"],
    );
    assert!(inet6.contains("inet6 fe80::"), "{inet6}");
    let host_inet6 = sh(
        "ip",
        &["-6", "-o", "addr", "show", "dev", &sandbox.host_veth],
    );
    assert_eq!(host_inet6, "");
    // Pods' multicast is not copied into the other pods.
    let port = sh("bridge", &["-d", "link", "show", "dev", &sandbox.host_veth]);
    assert!(
        port.contains(&format!("master {BRIDGE}"))
            && port.contains("hairpin on")
            && port.contains("mcast_flood off")
            && port.contains("bcast_flood on"),
        "{port}"
    );
}

#[test]
fn two_pods_reach_each_other_and_the_gateway() {
    isolated(
        "two_pods_reach_each_other_and_the_gateway",
        &["pod-a", "pod-b"],
        |dir| async move {
            let node = NodeNetwork::setup(config(&dir)).await.unwrap();
            assert_eq!(get_sysctl("net.ipv4.ip_forward").unwrap(), "1");
            assert_eq!(get_sysctl("net.ipv4.conf.all.route_localnet").unwrap(), "1");
            let bridge = sh("ip", &["-o", "addr", "show", "dev", BRIDGE]);
            assert!(bridge.contains("inet 10.42.0.1/24"), "{bridge}");
            assert!(
                sh("ip", &["route", "show", "10.43.0.0/16"]).contains(&format!("dev {BRIDGE}"))
            );

            let mut ipam = Ipam::open(dir.join("state/ipam"), node.config().pod_cidr).unwrap();
            let a_ip = ipam.allocate("pod-a").unwrap();
            let b_ip = ipam.allocate("pod-b").unwrap();
            let a = node.create_sandbox("pod-a", a_ip).await.unwrap();
            let b = node.create_sandbox("pod-b", b_ip).await.unwrap();
            assert_eq!(
                (a.ip, b.ip),
                (Ipv4Addr::new(10, 42, 0, 2), Ipv4Addr::new(10, 42, 0, 3))
            );
            assert_eq!(a.netns_path, netns_path(&dir.join("run"), "pod-a"));
            assert_configured(&a);
            assert_configured(&b);

            // Pod to pod, pod to gateway (node), pod to itself.
            let server = echo_server(Some(&b.netns_path), SocketAddr::new(b.ip.into(), 8080));
            connect_from(&a.netns_path, SocketAddr::new(b.ip.into(), 8080));
            server.join().unwrap();
            let server = echo_server(None, SocketAddr::new(node.gateway().into(), 9090));
            connect_from(&a.netns_path, SocketAddr::new(node.gateway().into(), 9090));
            server.join().unwrap();
            let server = echo_server(Some(&a.netns_path), SocketAddr::new(a.ip.into(), 7070));
            connect_from(&b.netns_path, SocketAddr::new(a.ip.into(), 7070));
            server.join().unwrap();

            let listed = node.list_sandboxes().await.unwrap();
            let summary: Vec<_> = listed
                .iter()
                .map(|s| (s.uid.as_str(), s.ip, s.host_veth_present))
                .collect();
            assert_eq!(
                summary,
                [("pod-a", Some(a.ip), true), ("pod-b", Some(b.ip), true)]
            );

            for uid in ["pod-a", "pod-b"] {
                node.destroy_sandbox(uid).await.unwrap();
                ipam.release(uid).unwrap();
            }
            assert!(node.list_sandboxes().await.unwrap().is_empty());
            assert!(!a.netns_path.exists());
            assert_eq!(sh("ip", &["-o", "link", "show", "master", BRIDGE]), "");
            // A replacement pod gets a new address.
            assert_eq!(
                ipam.allocate("pod-a2").unwrap(),
                Ipv4Addr::new(10, 42, 0, 4)
            );

            node.teardown().await.unwrap();
            let links = sh("ip", &["-o", "link", "show"]);
            assert_eq!(links.lines().count(), 1, "only lo is left: {links}");
        },
    );
}

#[test]
fn half_created_sandboxes_are_torn_down_and_collected() {
    isolated(
        "half_created_sandboxes_are_torn_down_and_collected",
        &["keep", "gone", "orphan", "half"],
        |dir| async move {
            let node = NodeNetwork::setup(config(&dir)).await.unwrap();
            let ip = |n| Ipv4Addr::new(10, 42, 0, n);

            // Destroying what never existed, and a sandbox whose veth was already deleted, both work.
            node.destroy_sandbox("never").await.unwrap();
            let half = node.create_sandbox("half", ip(9)).await.unwrap();
            sh("ip", &["link", "del", &half.host_veth]);
            assert_eq!(
                node.list_sandboxes().await.unwrap()[0].ip,
                None,
                "eth0 went with its peer"
            );
            node.destroy_sandbox("half").await.unwrap();
            assert!(!half.netns_path.exists());

            // Bad input is refused before anything is created.
            assert!(matches!(
                node.create_sandbox("../x", ip(10)).await,
                Err(Error::InvalidUid(_))
            ));
            assert!(matches!(
                node.create_sandbox("x", ip(1)).await,
                Err(Error::AddressOutOfRange { .. })
            ));

            // In two steps: the namespace and veth first, down and without an address; a
            // finish that fails (an address out of range) removes them.
            let pending = node.prepare_sandbox("half").await.unwrap();
            let half_ns = netns_path(&dir.join("run"), "half");
            let addr = in_netns(&half_ns, &["ip", "-o", "addr", "show", "dev", "eth0"]);
            assert_eq!(addr, "");
            let link = in_netns(&half_ns, &["ip", "-o", "link", "show", "dev", "eth0"]);
            assert!(link.contains("state DOWN"), "{link}");
            assert!(!node.sandbox_finished("half").await.unwrap());
            assert!(matches!(
                node.finish_sandbox(pending, ip(1)).await,
                Err(Error::AddressOutOfRange { .. })
            ));
            assert!(!half_ns.exists());
            assert_eq!(sh("ip", &["-o", "link", "show", "master", BRIDGE]), "");
            let pending = node.prepare_sandbox("half").await.unwrap();
            let half = node.finish_sandbox(pending, ip(9)).await.unwrap();
            assert_configured(&half);
            assert!(node.sandbox_finished("half").await.unwrap());
            node.destroy_sandbox("half").await.unwrap();

            let keep = node.create_sandbox("keep", ip(2)).await.unwrap();
            assert!(matches!(
                node.create_sandbox("keep", ip(5)).await,
                Err(Error::SandboxExists(_))
            ));
            assert_configured(&keep);
            node.create_sandbox("gone", ip(3)).await.unwrap();
            let orphan = node.create_sandbox("orphan", ip(4)).await.unwrap();
            // Leave orphan's veth without its namespace file while something (here an open file,
            // in real life a still-running process) keeps the namespace, and so the veth, alive.
            let holder = std::fs::File::open(&orphan.netns_path).unwrap();
            sh("umount", &["-l", orphan.netns_path.to_str().unwrap()]);
            std::fs::remove_file(&orphan.netns_path).unwrap();

            let report = node.gc(&HashSet::from(["keep".to_string()])).await.unwrap();
            assert_eq!(report.sandboxes, ["gone"]);
            assert_eq!(report.veths, [host_veth_name("orphan")]);
            let ports = sh("ip", &["-o", "link", "show", "master", BRIDGE]);
            assert_eq!(ports.lines().count(), 1, "{ports}");
            assert!(ports.contains(&keep.host_veth));
            assert_configured(&keep);

            drop(holder);
            node.teardown().await.unwrap();
            assert_eq!(sh("ip", &["-o", "link", "show"]).lines().count(), 1);
            assert_eq!(std::fs::read_dir(node_dir(&dir)).unwrap().count(), 0);
        },
    );
}

fn node_dir(dir: &Path) -> PathBuf {
    dir.join("run/netns")
}

#[test]
fn restarted_agent_readopts_sandboxes() {
    isolated(
        "restarted_agent_readopts_sandboxes",
        &["r1", "r2"],
        |dir| async move {
            let state = dir.join("state/ipam");
            let cidr = config(&dir).pod_cidr;
            {
                let node = NodeNetwork::setup(config(&dir)).await.unwrap();
                let mut ipam = Ipam::open(&state, cidr).unwrap();
                for uid in ["r1", "r2"] {
                    node.create_sandbox(uid, ipam.allocate(uid).unwrap())
                        .await
                        .unwrap();
                }
            }
            // A new agent: setup is idempotent, the sandboxes and addresses are still there.
            let node = NodeNetwork::setup(config(&dir)).await.unwrap();
            let mut ipam = Ipam::open(&state, cidr).unwrap();
            let listed = node.list_sandboxes().await.unwrap();
            let found: Vec<_> = listed.iter().map(|s| (s.uid.clone(), s.ip)).collect();
            let expected: Vec<_> = ["r1", "r2"]
                .iter()
                .map(|uid| (uid.to_string(), ipam.get(uid)))
                .collect();
            assert_eq!(found, expected);
            let server = echo_server(
                Some(&listed[1].netns_path),
                SocketAddr::new(listed[1].ip.unwrap().into(), 8080),
            );
            connect_from(
                &listed[0].netns_path,
                SocketAddr::new(listed[1].ip.unwrap().into(), 8080),
            );
            server.join().unwrap();
            assert_eq!(ipam.allocate("r3").unwrap(), Ipv4Addr::new(10, 42, 0, 4));
            node.teardown().await.unwrap();
            assert_eq!(ipam.retain(|_| false).unwrap().len(), 3);
        },
    );
}

const MANY: usize = 20;

/// Every thread of this process is in the node's network namespace: the threads that made the
/// sandboxes (and entered them) went back.
fn assert_every_thread_in_node_namespace() {
    let node = std::fs::read_link("/proc/self/ns/net").unwrap();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let task = task.unwrap().path();
        let Ok(ns) = std::fs::read_link(task.join("ns/net")) else {
            continue; // the thread has exited
        };
        let name = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        assert_eq!(ns, node, "thread {} ({})", task.display(), name.trim());
    }
}

#[test]
fn twenty_sandboxes() {
    let uids: Vec<String> = (0..MANY).map(|i| format!("pod-{i:02}")).collect();
    let uid_refs: Vec<&str> = uids.iter().map(String::as_str).collect();
    isolated("twenty_sandboxes", &uid_refs, |dir| async move {
        let node = NodeNetwork::setup(config(&dir)).await.unwrap();
        let mut ipam = Ipam::open(dir.join("state/ipam"), node.config().pod_cidr).unwrap();
        let uids: Vec<String> = (0..MANY).map(|i| format!("pod-{i:02}")).collect();
        let started = Instant::now();
        let mut made = Vec::new();
        for uid in &uids {
            let ip = ipam.allocate(uid).unwrap();
            made.push(node.create_sandbox(uid, ip).await.unwrap());
        }
        let create = started.elapsed();
        assert_every_thread_in_node_namespace();
        let listed = node.list_sandboxes().await.unwrap();
        assert_eq!(listed.len(), MANY);
        assert!(
            listed
                .iter()
                .zip(&made)
                .all(|(l, m)| l.ip == Some(m.ip) && l.host_veth_present)
        );
        let server = echo_server(
            Some(&made[MANY - 1].netns_path),
            SocketAddr::new(made[MANY - 1].ip.into(), 8080),
        );
        connect_from(
            &made[0].netns_path,
            SocketAddr::new(made[MANY - 1].ip.into(), 8080),
        );
        server.join().unwrap();

        let started = Instant::now();
        for uid in &uids {
            node.destroy_sandbox(uid).await.unwrap();
            ipam.release(uid).unwrap();
        }
        let destroy = started.elapsed();
        println!(
            "{MANY} sandboxes: create {:.2} ms/sandbox ({:.1} ms total), destroy {:.2} ms/sandbox",
            create.as_secs_f64() * 1000.0 / MANY as f64,
            create.as_secs_f64() * 1000.0,
            destroy.as_secs_f64() * 1000.0 / MANY as f64,
        );
        assert_eq!(sh("ip", &["-o", "link", "show", "master", BRIDGE]), "");
        node.teardown().await.unwrap();
    });
}
