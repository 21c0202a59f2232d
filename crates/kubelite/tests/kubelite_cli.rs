//! The `kubelite` commands around a running cluster: a second `up` on a data dir or a port in
//! use says so plainly, `status` reports each part, `--write-kubeconfig` writes a working copy,
//! and `down` of a data dir with nothing running says so.

mod support;

use support::{Cluster, Run, kubelite_bin};

fn kubelite(c: &Cluster, args: &str) -> Run {
    c.node_sh(&format!("{} {args}", kubelite_bin()))
}

#[test]
fn up_status_down_around_a_running_cluster() {
    let mut c = Cluster::start_idle();
    let copy_path = c.dir.path().join("copy/kubeconfig");
    c.start_server(&["--write-kubeconfig", copy_path.to_str().unwrap()]);
    let data = c.data_dir();

    let again = kubelite(&c, &format!("up --data-dir {}", data.display()));
    assert_ne!(again.code, 0);
    assert!(
        again.stderr.starts_with(&format!(
            "error: the data dir {} is in use by another kubelite (pid ",
            data.display()
        )),
        "{}",
        again.stderr
    );
    let other = c.dir.path().join("other");
    let busy = kubelite(&c, &format!("up --data-dir {}", other.display()));
    assert_ne!(busy.code, 0);
    assert!(
        busy.stderr
            .contains("error: cannot listen on 0.0.0.0:6443: is another API server running there?"),
        "{}",
        busy.stderr
    );

    let status = c.status();
    assert_eq!(status.code, 0, "{}", status.stdout);
    let lines: Vec<&str> = status.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["COMPONENT", "STATUS", "DETAIL"]
    );
    for (line, component) in lines[1..].iter().zip(["apiserver", "node", "proxy", "dns"]) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..2], [component, "healthy"], "{line}");
    }

    // The copy `--write-kubeconfig` wrote works as the original.
    let copy = c.node_sh(&format!(
        "KUBECONFIG={} kubectl get ns default -o name",
        copy_path.display()
    ));
    assert_eq!(copy.stdout, "namespace/default\n", "{}", copy.stderr);

    let nothing = kubelite(&c, &format!("down --data-dir {}", other.display()));
    assert_eq!(nothing.code, 0);
    assert_eq!(
        nothing.stdout,
        format!(
            "kubelite is not running on {} (nothing to stop)\n",
            other.display()
        )
    );
    let not_running = kubelite(&c, &format!("status --data-dir {}", other.display()));
    assert_eq!(not_running.code, 1);
    assert_eq!(
        not_running.stdout,
        format!("kubelite is not running on {}\n", other.display())
    );
}
