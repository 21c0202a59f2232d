//! `kubectl explain`, which renders the server's OpenAPI v3 schemas with kubectl's plaintext
//! template (kubectl `pkg/explain/v2/templates/plaintext.tmpl`): KIND / VERSION, the FIELD line
//! with its type guess, the description wrapped at 76 columns, and the FIELDS list (`name\t<type>`
//! indented by two, ` -required-` for required ones). Field docs are those of `k8s.io/api` core/v1.

mod support;

use support::Cluster;

#[test]
fn explain_service_spec_ports() {
    let c = Cluster::start();
    let out = c.kubectl(&["explain", "service.spec.ports"]).ok();
    let text = out.stdout;
    assert!(
        text.starts_with("KIND:       Service\nVERSION:    v1\n\nFIELD: ports <[]ServicePort>\n\n\nDESCRIPTION:\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "DESCRIPTION:\n    The list of ports that are exposed by this service. More info:\n    https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies\n    ServicePort contains information on service's port.\n"
        ),
        "{text}"
    );
    let fields: Vec<&str> = text
        .split("\nFIELDS:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no FIELDS in {text}"))
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.contains('\t'))
        .collect();
    assert_eq!(
        fields,
        [
            "  appProtocol\t<string>",
            "  name\t<string>",
            "  nodePort\t<integer>",
            "  port\t<integer> -required-",
            "  protocol\t<string>",
            "  targetPort\t<IntOrString>",
        ],
        "{text}"
    );
    assert!(
        text.contains(
            "  port\t<integer> -required-\n    The port that will be exposed by this service.\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  protocol\t<string>\n  enum: SCTP, TCP, UDP\n"),
        "{text}"
    );
}

#[test]
fn explain_pod_top_level() {
    let c = Cluster::start();
    let text = c.kubectl(&["explain", "pods"]).ok().stdout;
    assert!(
        text.starts_with("KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n"),
        "{text}"
    );
    for field in [
        "  apiVersion\t<string>\n",
        "  kind\t<string>\n",
        "  metadata\t<ObjectMeta>\n",
        "  spec\t<PodSpec>\n",
        "  status\t<PodStatus>\n",
    ] {
        assert!(text.contains(field), "{field:?} missing from\n{text}");
    }

    let missing = c.kubectl(&["explain", "service.spec.nope"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert_eq!(missing.stderr, "error: field \"nope\" does not exist\n");
}
