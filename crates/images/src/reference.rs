//! Parsing and normalising container image references.
//!
//! Follows the rules of the Docker reference grammar that matter for naming
//! (`distribution/reference`'s `ParseNormalizedNamed`): an optional registry
//! domain (a first path component containing `.` or `:`, or `localhost`), the
//! implicit `docker.io` registry with its `library/` namespace for
//! single-component names, an optional `:tag` and an optional `@digest`.
//! Nothing is validated beyond that: kubelite never contacts a registry.

/// The registry that Docker Hub references normalise to.
const DOCKER_HUB: &str = "docker.io";

/// A parsed image reference such as `docker.io/library/busybox:1.36`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    /// Registry domain, `docker.io` when the reference names none.
    pub(crate) registry: String,
    /// Repository path inside the registry, with `library/` added for
    /// single-component Docker Hub names.
    pub(crate) repository: String,
    /// The tag, if the reference carries one.
    pub(crate) tag: Option<String>,
    /// The digest (`sha256:...`), if the reference carries one.
    pub(crate) digest: Option<String>,
}

impl ImageRef {
    /// Parses `image` leniently: every string gives some reference.
    pub(crate) fn parse(image: &str) -> ImageRef {
        let image = image.trim();
        let (rest, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_owned())),
            None => (image, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(colon) => {
                let colon = last_slash + colon;
                (&rest[..colon], Some(rest[colon + 1..].to_owned()))
            }
            None => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first, path.to_owned())
            }
            _ => (DOCKER_HUB, name.to_owned()),
        };
        let registry = match registry {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
            other => other,
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        ImageRef {
            registry: registry.to_owned(),
            repository,
            tag,
            digest,
        }
    }

    /// The fully qualified name without tag or digest, e.g.
    /// `docker.io/library/busybox`.
    pub(crate) fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The repository path as people write it on Docker Hub: `busybox` rather
    /// than `library/busybox`. The registry is not part of it.
    pub(crate) fn familiar_path(&self) -> &str {
        self.repository
            .strip_prefix("library/")
            .unwrap_or(&self.repository)
    }

    /// The reference a container runtime would pull, as containerd prints it:
    /// the full name, the tag (`latest` when neither tag nor digest is given)
    /// and the digest.
    pub(crate) fn pull_reference(&self) -> String {
        let mut out = self.name();
        match (&self.tag, &self.digest) {
            (Some(tag), _) => {
                out.push(':');
                out.push_str(tag);
            }
            (None, None) => out.push_str(":latest"),
            (None, Some(_)) => {}
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    /// Input, registry, repository, tag, digest, pull reference.
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
    );

    #[test]
    fn parses_and_normalises() {
        let cases: &[Case] = &[
            (
                "busybox",
                "docker.io",
                "library/busybox",
                None,
                None,
                "docker.io/library/busybox:latest",
            ),
            (
                "busybox:1.36",
                "docker.io",
                "library/busybox",
                Some("1.36"),
                None,
                "docker.io/library/busybox:1.36",
            ),
            (
                "sixeyed/whoami:21.04",
                "docker.io",
                "sixeyed/whoami",
                Some("21.04"),
                None,
                "docker.io/sixeyed/whoami:21.04",
            ),
            (
                "docker.io/library/alpine:3.20",
                "docker.io",
                "library/alpine",
                Some("3.20"),
                None,
                "docker.io/library/alpine:3.20",
            ),
            (
                "docker.io/alpine",
                "docker.io",
                "library/alpine",
                None,
                None,
                "docker.io/library/alpine:latest",
            ),
            (
                "index.docker.io/traefik/whoami:v1.10",
                "docker.io",
                "traefik/whoami",
                Some("v1.10"),
                None,
                "docker.io/traefik/whoami:v1.10",
            ),
            (
                "localhost:5000/team/app:dev",
                "localhost:5000",
                "team/app",
                Some("dev"),
                None,
                "localhost:5000/team/app:dev",
            ),
            (
                "ghcr.io/traefik/whoami",
                "ghcr.io",
                "traefik/whoami",
                None,
                None,
                "ghcr.io/traefik/whoami:latest",
            ),
            (
                "busybox@sha256:abc",
                "docker.io",
                "library/busybox",
                None,
                Some("sha256:abc"),
                "docker.io/library/busybox@sha256:abc",
            ),
            (
                "busybox:1.36@sha256:abc",
                "docker.io",
                "library/busybox",
                Some("1.36"),
                Some("sha256:abc"),
                "docker.io/library/busybox:1.36@sha256:abc",
            ),
        ];
        for &(input, registry, repository, tag, digest, pull) in cases {
            let r = ImageRef::parse(input);
            assert_eq!(r.registry, registry, "{input}");
            assert_eq!(r.repository, repository, "{input}");
            assert_eq!(r.tag.as_deref(), tag, "{input}");
            assert_eq!(r.digest.as_deref(), digest, "{input}");
            assert_eq!(r.pull_reference(), pull, "{input}");
        }
    }

    #[test]
    fn familiar_path_drops_library_only() {
        assert_eq!(ImageRef::parse("busybox").familiar_path(), "busybox");
        assert_eq!(
            ImageRef::parse("kiamol/ch03-sleep").familiar_path(),
            "kiamol/ch03-sleep"
        );
        assert_eq!(ImageRef::parse("quay.io/library/x").familiar_path(), "x");
    }
}
