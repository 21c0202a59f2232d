//! From a container spec to what the pod init runs: the image catalog's decision turned into
//! an argv (built-in images run as `<kubelite binary> <hidden subcommand>`, node commands as
//! given), and the synthetic container IDs the status reports (`kubelite://<64 hex>`, stable
//! per pod, container and run, so a restarted agent reports the same IDs).

use std::path::Path;

use kubelite_images::Resolved;

/// The hidden subcommand that runs the built-in whoami image.
pub const WHOAMI_SUBCOMMAND: &str = "image-whoami";
/// The hidden subcommand that runs the built-in sleep image.
pub const SLEEP_SUBCOMMAND: &str = "image-sleep";

/// The argv of a container, or `None` if its image cannot be run (`ErrImagePull`).
pub fn argv(program: &Path, resolved: Resolved) -> Option<Vec<String>> {
    let program = program.to_string_lossy().into_owned();
    match resolved {
        Resolved::Whoami { flavor, args } => {
            let mut argv = vec![program, WHOAMI_SUBCOMMAND.into(), flavor.as_str().into()];
            argv.extend(args);
            Some(argv)
        }
        Resolved::Sleep => Some(vec![program, SLEEP_SUBCOMMAND.into()]),
        Resolved::NodeCommand { argv } => Some(argv),
        Resolved::Unknown => None,
    }
}

/// The ID of run `run` (0 = first) of container `name` of pod `uid`.
pub fn container_id(uid: &str, name: &str, run: u32) -> String {
    let input = format!("{uid}/{name}/{run}");
    let mut out = String::from("kubelite://");
    for lane in 0..4u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ lane.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for b in input.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        out.push_str(&format!("{h:016x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubelite_images::resolve;

    #[test]
    fn argvs() {
        let bin = Path::new("/bin/kubelite");
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            argv(bin, resolve("kiamol/ch03-sleep", &[], &[])),
            Some(s(&["/bin/kubelite", "image-sleep"]))
        );
        assert_eq!(
            argv(
                bin,
                resolve("sixeyed/whoami:21.04", &[], &s(&["--port", "81"]))
            ),
            Some(s(&[
                "/bin/kubelite",
                "image-whoami",
                "sixeyed",
                "--port",
                "81"
            ]))
        );
        assert_eq!(
            argv(bin, resolve("nginx", &s(&["sh", "-c"]), &s(&["exit 1"]))),
            Some(s(&["sh", "-c", "exit 1"]))
        );
        assert_eq!(argv(bin, resolve("nginx", &[], &[])), None);
    }

    #[test]
    fn ids() {
        let a = container_id("u", "c", 0);
        assert_eq!(a.len(), "kubelite://".len() + 64);
        assert_eq!(a, container_id("u", "c", 0));
        assert_ne!(a, container_id("u", "c", 1));
    }
}
