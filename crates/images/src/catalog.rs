//! The catalog of built-in images: which program a container image reference
//! runs, the error text for images kubelite cannot run, and the synthetic
//! `imageID` reported in `containerStatuses`.
//!
//! kubelite never pulls images. A container whose spec has an explicit
//! `command` runs that program from the node's filesystem whatever its image;
//! otherwise the image must be one of the well-known images below, matched on
//! the repository path with the registry ignored (`ghcr.io/traefik/whoami`
//! and `traefik/whoami` are the same program):
//!
//! | pattern | program |
//! |---|---|
//! | `sixeyed/whoami*` | whoami, [`Flavor::Sixeyed`] |
//! | `traefik/whoami*`, `containous/whoami*` | whoami, [`Flavor::Traefik`] |
//! | `kiamol/ch03-sleep`, `busybox*`, `alpine*`, `*/sleep*` | sleep |
//!
//! The sleep-like images have no `ENTRYPOINT`, so `args` alone replace their
//! default command and run from the node as well.

use crate::reference::ImageRef;
use crate::whoami::Flavor;

/// The built-in images, as listed in [`unknown_image_message`].
const BUILT_IN_IMAGES: &str = "sixeyed/whoami, traefik/whoami, containous/whoami, \
                               kiamol/ch03-sleep, busybox, alpine, */sleep";

/// What a container runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The built-in whoami HTTP server, given the container's `args` as its
    /// command line.
    Whoami {
        /// Which upstream whoami the image is.
        flavor: Flavor,
        /// The container's `args`, parsed as whoami flags (`--port`, `--name`).
        args: Vec<String>,
    },
    /// The built-in sleep program: runs until stopped.
    Sleep,
    /// A program from the node's filesystem: `argv[0]` is looked up on the
    /// node's `PATH`.
    NodeCommand {
        /// The program and its arguments.
        argv: Vec<String>,
    },
    /// An image kubelite cannot run: the agent reports `ErrImagePull` with
    /// [`unknown_image_message`].
    Unknown,
}

/// Decides what a container with this `image`, `command` and `args` runs.
pub fn resolve(image: &str, command: &[String], args: &[String]) -> Resolved {
    if !command.is_empty() {
        return Resolved::NodeCommand {
            argv: command.iter().chain(args).cloned().collect(),
        };
    }
    let reference = ImageRef::parse(image);
    let path = reference.familiar_path();
    if let Some(flavor) = whoami_flavor(path) {
        return Resolved::Whoami {
            flavor,
            args: args.to_vec(),
        };
    }
    if is_sleep_image(path) {
        return if args.is_empty() {
            Resolved::Sleep
        } else {
            Resolved::NodeCommand {
                argv: args.to_vec(),
            }
        };
    }
    Resolved::Unknown
}

/// The whoami flavour of a familiar repository path, if it is a whoami image.
fn whoami_flavor(path: &str) -> Option<Flavor> {
    if path.starts_with("sixeyed/whoami") {
        Some(Flavor::Sixeyed)
    } else if path.starts_with("traefik/whoami") || path.starts_with("containous/whoami") {
        Some(Flavor::Traefik)
    } else {
        None
    }
}

/// Whether a familiar repository path is one of the images run as sleep.
fn is_sleep_image(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    path == "kiamol/ch03-sleep"
        || path.starts_with("busybox")
        || path.starts_with("alpine")
        || (path.contains('/') && last.starts_with("sleep"))
}

/// The `ErrImagePull` message for an image kubelite cannot run, worded like
/// containerd's pull errors as the kubelet relays them.
pub fn unknown_image_message(image: &str) -> String {
    format!(
        "failed to pull and unpack image \"{}\": kubelite runs built-in images only ({BUILT_IN_IMAGES}); \
         give the container a command to run a program from the node",
        ImageRef::parse(image).pull_reference()
    )
}

/// The `imageID` for `containerStatuses`: `<name>@sha256:<hex>`.
///
/// When the reference pins a `sha256` digest that digest is used, as a real
/// runtime reports the repository digest. Otherwise the digest is synthetic:
/// a deterministic 256-bit hash of the normalised pull reference (for example
/// `docker.io/library/busybox:latest`), stable across runs and kubelite
/// versions but not the digest of any real image.
pub fn image_id(image: &str) -> String {
    let reference = ImageRef::parse(image);
    let digest = match &reference.digest {
        Some(digest) if is_sha256_digest(digest) => digest.clone(),
        _ => format!("sha256:{}", synthetic_digest(&reference.pull_reference())),
    };
    format!("{}@{digest}", reference.name())
}

/// Whether `digest` has the form `sha256:` followed by 64 lowercase hex digits.
fn is_sha256_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// 64 hex digits derived from `input`: four FNV-1a lanes with distinct offset
/// bases, each passed through the SplitMix64 finaliser. Not cryptographic;
/// only stability matters.
fn synthetic_digest(input: &str) -> String {
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::with_capacity(64);
    for lane in 0..4u64 {
        let mut h = FNV_OFFSET ^ lane.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for byte in input.bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(FNV_PRIME);
        }
        h ^= h >> 30;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 27;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
        out.push_str(&format!("{h:016x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn resolves_images_without_command() {
        use Resolved::*;
        let whoami = |flavor| Whoami {
            flavor,
            args: Vec::new(),
        };
        let cases = [
            ("sixeyed/whoami:21.04", whoami(Flavor::Sixeyed)),
            ("sixeyed/whoami:21.04.01", whoami(Flavor::Sixeyed)),
            ("docker.io/sixeyed/whoami:24.07", whoami(Flavor::Sixeyed)),
            ("sixeyed/whoami-lab:21.09-1", whoami(Flavor::Sixeyed)),
            ("traefik/whoami", whoami(Flavor::Traefik)),
            ("traefik/whoami:v1.10.4", whoami(Flavor::Traefik)),
            ("docker.io/traefik/whoami:latest", whoami(Flavor::Traefik)),
            ("ghcr.io/traefik/whoami:v1.10", whoami(Flavor::Traefik)),
            (
                "traefik/whoami@sha256:43a68d10b9dfcfc3ffbfe4dd42100dc9aeaf29b3a5636c856337a5940f1b4f1c",
                whoami(Flavor::Traefik),
            ),
            ("containous/whoami", whoami(Flavor::Traefik)),
            ("containous/whoami:v1.5.0", whoami(Flavor::Traefik)),
            ("kiamol/ch03-sleep", Sleep),
            ("kiamol/ch03-sleep:latest", Sleep),
            ("busybox", Sleep),
            ("busybox:1.36", Sleep),
            ("busybox:1.36.1-musl", Sleep),
            ("docker.io/library/busybox:latest", Sleep),
            ("docker.io/busybox", Sleep),
            (
                "busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                Sleep,
            ),
            ("alpine", Sleep),
            ("alpine:3.20", Sleep),
            ("docker.io/library/alpine:3.20", Sleep),
            ("courselabs/sleep", Sleep),
            ("sixeyed/sleep:21.04", Sleep),
            ("quay.io/team/sleeper:v1", Sleep),
            ("nginx", Unknown),
            ("nginx:1.27-alpine", Unknown),
            ("docker.io/library/nginx:latest", Unknown),
            ("kiamol/ch02-whoami", Unknown),
            ("kiamol/ch03-sleep-v2", Unknown),
            ("registry.k8s.io/pause:3.10", Unknown),
            ("sleep", Unknown),
            ("whoami", Unknown),
            ("", Unknown),
        ];
        for (image, want) in cases {
            assert_eq!(resolve(image, &[], &[]), want, "{image}");
        }
    }

    #[test]
    fn explicit_command_runs_from_the_node() {
        let check = |image: &str, command: &[&str], args: &[&str], argv: &[&str]| {
            assert_eq!(
                resolve(image, &strings(command), &strings(args)),
                Resolved::NodeCommand {
                    argv: strings(argv)
                },
                "{image}"
            );
        };
        check(
            "nginx",
            &["nginx", "-g"],
            &["daemon off;"],
            &["nginx", "-g", "daemon off;"],
        );
        check(
            "busybox",
            &["sh", "-c"],
            &["sleep 5"],
            &["sh", "-c", "sleep 5"],
        );
        check("traefik/whoami", &["/whoami"], &[], &["/whoami"]);
        check("", &["true"], &[], &["true"]);
    }

    #[test]
    fn args_alone_replace_the_default_command_of_sleep_images() {
        assert_eq!(
            resolve("busybox", &[], &strings(&["sleep", "3600"])),
            Resolved::NodeCommand {
                argv: strings(&["sleep", "3600"])
            }
        );
        assert_eq!(
            resolve(
                "kiamol/ch03-sleep",
                &[],
                &strings(&["nslookup", "kubernetes"])
            ),
            Resolved::NodeCommand {
                argv: strings(&["nslookup", "kubernetes"])
            }
        );
    }

    #[test]
    fn args_alone_are_whoami_flags() {
        assert_eq!(
            resolve(
                "traefik/whoami",
                &[],
                &strings(&["--port=2001", "--name=iamfoo"])
            ),
            Resolved::Whoami {
                flavor: Flavor::Traefik,
                args: strings(&["--port=2001", "--name=iamfoo"])
            }
        );
    }

    #[test]
    fn unknown_image_message_names_the_pull_reference() {
        let tail = "kubelite runs built-in images only (sixeyed/whoami, traefik/whoami, \
                    containous/whoami, kiamol/ch03-sleep, busybox, alpine, */sleep); give the \
                    container a command to run a program from the node";
        let cases = [
            ("nginx", "docker.io/library/nginx:latest"),
            ("nginx:1.27", "docker.io/library/nginx:1.27"),
            ("quay.io/org/app", "quay.io/org/app:latest"),
            ("nginx@sha256:abc", "docker.io/library/nginx@sha256:abc"),
        ];
        for (image, pull) in cases {
            assert_eq!(
                unknown_image_message(image),
                format!("failed to pull and unpack image \"{pull}\": {tail}")
            );
        }
    }

    #[test]
    fn image_id_is_stable_and_synthetic() {
        let id = image_id("busybox");
        let (name, digest) = id.split_once('@').unwrap();
        assert_eq!(name, "docker.io/library/busybox");
        assert!(is_sha256_digest(digest), "{digest}");
        // Equivalent spellings of one reference share an ID; other tags do not.
        assert_eq!(image_id("docker.io/library/busybox:latest"), id);
        assert_eq!(image_id("busybox:latest"), id);
        assert_ne!(image_id("busybox:1.36"), id);
        assert_eq!(
            image_id("sixeyed/whoami:21.04"),
            format!(
                "docker.io/sixeyed/whoami@sha256:{}",
                synthetic_digest("docker.io/sixeyed/whoami:21.04")
            )
        );
        // Pinned: changing the hash changes every imageID users have seen.
        assert_eq!(
            id,
            "docker.io/library/busybox@sha256:\
             1289719c4412be532f12b1610f0c9741f5050c1ab03e22c4d3077023f8a9f1b9"
        );
    }

    #[test]
    fn image_id_keeps_a_pinned_digest() {
        let digest = "sha256:43a68d10b9dfcfc3ffbfe4dd42100dc9aeaf29b3a5636c856337a5940f1b4f1c";
        assert_eq!(
            image_id(&format!("traefik/whoami@{digest}")),
            format!("docker.io/traefik/whoami@{digest}")
        );
        // A malformed digest is not trusted.
        assert_ne!(
            image_id("traefik/whoami@sha256:xyz"),
            "docker.io/traefik/whoami@sha256:xyz"
        );
    }
}
