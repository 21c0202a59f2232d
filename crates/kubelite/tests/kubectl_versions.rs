//! Every kubectl from 1.27 to 1.33 applies the lab with validation on (1.27 and 1.28 read the
//! protobuf OpenAPI v2, later ones OpenAPI v3) and explains a field.

mod support;

use support::Cluster;

const KUBECTLS: &str = "/usr/lib/google-cloud-sdk/bin";

#[test]
fn kubectl_1_27_to_1_33_apply_and_explain() {
    let c = Cluster::start();
    for minor in 27..=33 {
        let kubectl = format!("{KUBECTLS}/kubectl.1.{minor}");
        assert!(
            std::path::Path::new(&kubectl).exists(),
            "{kubectl} is not installed"
        );
        let applied = c
            .exec(
                &kubectl,
                &[
                    "apply",
                    "-f",
                    "labs/services/specs/pods",
                    "-f",
                    "labs/services/specs/services/whoami-clusterip.yaml",
                ],
                &[],
            )
            .ok();
        let expected = if minor == 27 {
            // The first run creates; every later one finds nothing to change.
            "pod/sleep created\npod/whoami created\nservice/whoami created\n"
        } else {
            "pod/sleep unchanged\npod/whoami unchanged\nservice/whoami unchanged\n"
        };
        assert_eq!(
            applied.stdout, expected,
            "kubectl 1.{minor}: {}",
            applied.stderr
        );
        let explained = c
            .exec(&kubectl, &["explain", "service.spec.ports.port"], &[])
            .ok();
        assert!(
            explained
                .stdout
                .contains("The port that will be exposed by this service."),
            "kubectl 1.{minor}: {}",
            explained.stdout
        );
    }
}
