//! Container stdin and TTY, as kubelet + containerd give them: `kubectl run -i`/`-it`
//! (stdin, stdinOnce, tty) and `kubectl attach -i` to a `stdin: true` container, through the
//! API server's proxy to the agent's streaming server; the pod init holds stdin, so attach
//! and exec (with the container's env) keep working after the agent is killed and restarted.

mod support;

use support::{Cluster, eventually};

const CAT_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: cat
spec:
  containers:
  - name: cat
    image: busybox
    command: [cat]
    stdin: true
    env:
    - name: GREETING
      value: hello from the spec
";

fn cat_pod(c: &Cluster) {
    let path = c.write("cat.yaml", CAT_POD);
    c.kubectl(&["apply", "-f", path.to_str().unwrap()]).ok();
    c.kubectl(&["wait", "--for=condition=Ready", "pod/cat", "--timeout=60s"])
        .ok();
}

/// `kubectl attach -i cat` with `input` on stdin, kept open for `secs` seconds after it.
fn attach_with(c: &Cluster, input: &str, secs: u32) -> support::Run {
    let script = format!("(printf '{input}'; sleep {secs}) | kubectl attach -i cat");
    c.exec("sh", &["-c", &script], &[])
}

#[test]
fn run_i_rm_echoes_piped_stdin_and_deletes_the_pod() {
    let c = Cluster::start();
    let out = c.kubectl_with(
        &[
            "run",
            "-i",
            "--rm",
            "t3",
            "--image=busybox",
            "--restart=Never",
            "--",
            "cat",
        ],
        &[],
        Some("hello\nworld\n"),
    );
    assert_eq!(out.code, 0, "{out:?}\n{}", c.server_log());
    assert_eq!(out.stdout, "hello\nworld\npod \"t3\" deleted\n", "{out:?}");
    let left = c.kubectl(&["get", "pods", "-o", "name"]).ok();
    assert_eq!(left.stdout, "");
}

#[test]
fn attach_i_to_a_stdin_container_echoes_lines() {
    let c = Cluster::start();
    cat_pod(&c);
    let out = attach_with(&c, "one\\ntwo\\n", 3);
    assert_eq!(out.code, 0, "{out:?}\n{}", c.server_log());
    assert_eq!(out.stdout, "one\ntwo\n", "{out:?}");
    // Not stdinOnce: the end of that session's input left the container's stdin open, and
    // a second session sees only what comes after it attached.
    let out = attach_with(&c, "three\\n", 3);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "three\n", "{out:?}");
    let logs = c.kubectl(&["logs", "cat"]).ok();
    assert_eq!(logs.stdout, "one\ntwo\nthree\n");
    let pod = c.kubectl_json(&["get", "pod", "cat"]);
    assert_eq!(pod["status"]["phase"], "Running");
    assert_eq!(pod["status"]["containerStatuses"][0]["restartCount"], 0);
}

#[test]
fn attach_and_exec_env_survive_an_agent_crash() {
    let mut c = Cluster::start();
    cat_pod(&c);
    let env = || c.kubectl(&["exec", "cat", "--", "sh", "-c", "echo $GREETING"]);
    assert_eq!(env().ok().stdout, "hello from the spec\n");
    assert_eq!(attach_with(&c, "before\\n", 2).stdout, "before\n");

    c.stop_server(true);
    c.start_server(&[]);
    eventually(30, || {
        let pod = c.kubectl_json(&["get", "pod", "cat"]);
        (pod["status"]["containerStatuses"][0]["ready"] == true).then_some(())
    });
    let pod = c.kubectl_json(&["get", "pod", "cat"]);
    assert_eq!(pod["status"]["containerStatuses"][0]["restartCount"], 0);
    // The re-adopted run: exec gets the env it was started with, attach reaches its stdin.
    let out = eventually(30, || {
        let out = c.kubectl(&["exec", "cat", "--", "sh", "-c", "echo $GREETING"]);
        (out.code == 0).then_some(out)
    });
    assert_eq!(out.stdout, "hello from the spec\n", "{}", c.server_log());
    let out = attach_with(&c, "after\\n", 3);
    assert_eq!(out.code, 0, "{out:?}\n{}", c.server_log());
    assert_eq!(out.stdout, "after\n", "{out:?}");
}

/// `kubectl run -it … -- sh` needs a terminal: `script` gives it one, fed by a pipe.
#[test]
fn run_it_sh_on_a_terminal() {
    let c = Cluster::start();
    let script = "(sleep 8; printf 'echo hi from $((6*7))\\r'; sleep 1; printf 'exit\\r'; sleep 3) \
                  | script -qc 'kubectl run -it t4 --image=busybox --restart=Never -- sh' /dev/null";
    let out = c.exec("sh", &["-c", script], &[]);
    assert!(
        out.stdout.contains("hi from 42"),
        "{out:?}\n{}",
        c.server_log()
    );
    let phase = eventually(30, || {
        let pod = c.kubectl_json(&["get", "pod", "t4"]);
        let phase = pod["status"]["phase"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (phase == "Succeeded").then_some(phase)
    });
    assert_eq!(phase, "Succeeded");
    let pod = c.kubectl_json(&["get", "pod", "t4"]);
    let spec = &pod["spec"]["containers"][0];
    assert_eq!(
        (&spec["stdin"], &spec["stdinOnce"], &spec["tty"]),
        (&true.into(), &true.into(), &true.into())
    );
    // The terminal's output is the container's log (one stream).
    let logs = c.kubectl(&["logs", "t4"]).ok();
    assert!(logs.stdout.contains("hi from 42\r\n"), "{logs:?}");
}
