//! Bad input: every class of malformed or refused request gets the exact kube-apiserver answer
//! (HTTP code, `Status` reason and message) and leaves the store untouched.
//!
//! Expected texts come from upstream kube-apiserver (v1.33), not from kubelite:
//! - decode failures: `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go`
//!   (`transformDecodeError`, `summarizeData`, `limitedReadBody`) and `create.go`;
//!   `apimachinery/pkg/runtime/serializer/json/{json,meta}.go` (`couldn't get version/kind; json
//!   parse error: …`); sigs.k8s.io/yaml `YAMLToJSON`; `apimachinery/pkg/conversion/converter.go`
//!   (`converting (…) to (…): unknown conversion`);
//! - patches: `handlers/patch.go` (`applyJSPatch`, `strategicPatchObject`);
//! - media types: `handlers/negotiation/errors.go` and the serializer order in
//!   `runtime/serializer/codec_factory.go` (json, yaml, protobuf);
//! - validation: `apimachinery/pkg/util/validation/validation.go` (`RegexError`, DNS-1123/1035,
//!   `InclusiveRangeError`), `util/validation/field/errors.go`, `api/errors.NewInvalid`;
//! - routing: `apiserver/pkg/server/handler.go` `serviceErrorHandler` →
//!   `errors.NewGenericServerResponse` (404/405 carry empty `details`);
//! - authentication: `endpoints/filters/authentication.go` `Unauthorized` →
//!   `errors.NewUnauthorized("Unauthorized")` (anonymous auth disabled, as kubelite has no RBAC).

mod support;

use serde_json::{Value, json};
use support::Cluster;

const API: &str = "https://127.0.0.1:6443";
const PODS: &str = "/api/v1/namespaces/default/pods";
const SERVICES: &str = "/api/v1/namespaces/default/services";

/// One HTTP exchange: status code, response headers (lower-cased names) and body.
struct Reply {
    code: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Sends `method path` with an optional body of `content_type`, using the admin token.
fn send(
    c: &Cluster,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    let headers = c.dir.path().join("reply-headers");
    let body_file = c.dir.path().join("request-body");
    let headers_arg = headers.display().to_string();
    let mut args: Vec<String> = vec!["-X".into(), method.into(), "-D".into(), headers_arg];
    if let Some(ct) = content_type {
        args.extend(["-H".into(), format!("Content-Type: {ct}")]);
    }
    if let Some(bytes) = body {
        std::fs::write(&body_file, bytes).expect("write request body");
        args.extend(["--data-binary".into(), format!("@{}", body_file.display())]);
    }
    args.push(format!("{API}{path}"));
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, body) = c.curl(&arg_refs);
    let raw = std::fs::read_to_string(&headers).unwrap_or_default();
    let headers = raw
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        code,
        headers,
        body,
    }
}

fn post_json(c: &Cluster, path: &str, body: &Value) -> Reply {
    send(
        c,
        "POST",
        path,
        Some("application/json"),
        Some(body.to_string().as_bytes()),
    )
}

/// The `Status` body kube-apiserver writes for a failure without details.
fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    })
}

/// The `Status` body for a failure whose `details` is the given object.
fn status_with_details(code: u16, reason: &str, message: &str, details: Value) -> Value {
    let mut s = status(code, reason, message);
    s["details"] = details;
    s
}

/// The 422 `Status` of `errors.NewInvalid` for one field error.
fn invalid(kind: &str, name: &str, field: &str, body: &str) -> Value {
    status_with_details(
        422,
        "Invalid",
        &format!("{kind} \"{name}\" is invalid: {field}: {body}"),
        json!({"name": name, "kind": kind, "causes": [{"reason": "FieldValueInvalid", "message": body, "field": field}]}),
    )
}

#[track_caller]
fn assert_reply(reply: &Reply, code: u16, want: &Value) {
    assert_eq!(reply.code, code, "HTTP code; body: {}", reply.body);
    assert_eq!(&reply.json(), want);
}

/// What a failed request must not change: every pod, service and namespace (name, uid,
/// resourceVersion). List resourceVersions are not compared: they are the store's global
/// revision, which the cluster's own components (controllers, the node agent's heartbeats)
/// move at any time.
#[derive(Debug, PartialEq)]
struct Snapshot(Vec<ListState>);

/// One list: each item's `namespace/name`, uid and resourceVersion.
#[derive(Debug, PartialEq)]
struct ListState {
    items: Vec<[String; 3]>,
}

fn snapshot(c: &Cluster) -> Snapshot {
    let lists = ["/api/v1/pods", "/api/v1/services", "/api/v1/namespaces"]
        .iter()
        .map(|path| {
            let reply = send(c, "GET", path, None, None);
            assert_eq!(reply.code, 200, "{}", reply.body);
            let list = reply.json();
            assert!(list["metadata"]["resourceVersion"].is_string(), "{list}");
            let items = list["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|o| {
                    let m = &o["metadata"];
                    let field = |k: &str| m[k].as_str().unwrap_or_default().to_string();
                    [
                        format!("{}/{}", field("namespace"), field("name")),
                        field("uid"),
                        field("resourceVersion"),
                    ]
                })
                .collect();
            ListState { items }
        })
        .collect();
    Snapshot(lists)
}

/// A Pod bound to a node that does not exist: neither the scheduler nor a node agent touches
/// it, so its resourceVersion moves only when a request changes it.
fn pod_body(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": "elsewhere", "containers": [{"name": "app", "image": "nginx"}]}
    })
}

#[test]
fn malformed_json_body_is_400() {
    let c = Cluster::start();
    let before = snapshot(&c);
    let cases: [(&str, &str); 2] = [
        (
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bad"}"#,
            "unexpected end of JSON input",
        ),
        (
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bad"}}}"#,
            "invalid character '}' after top-level value",
        ),
    ];
    for (body, json_error) in cases {
        let reply = send(
            &c,
            "POST",
            PODS,
            Some("application/json"),
            Some(body.as_bytes()),
        );
        // summarizeData: a body starting with '{' is quoted verbatim, cut at 30 bytes.
        let message = format!(
            "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: {json_error} ({} ...)",
            &body[..30]
        );
        assert_reply(&reply, 400, &status(400, "BadRequest", &message));
    }
    assert_eq!(snapshot(&c), before);
}

#[test]
fn malformed_yaml_body_is_400() {
    let c = Cluster::start();
    let before = snapshot(&c);
    let body = "apiVersion: v1\nkind: Pod\nmetadata: name: bad\n";
    let reply = send(
        &c,
        "POST",
        PODS,
        Some("application/yaml"),
        Some(body.as_bytes()),
    );
    // summarizeData: a body not starting with '{' is hex-encoded, cut at 30 bytes.
    let hex: String = body.as_bytes()[..30]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let message = format!(
        "the object provided is unrecognized (must be of type Pod): error converting YAML to JSON: yaml: line 3: mapping values are not allowed in this context ({hex} ...)"
    );
    assert_reply(&reply, 400, &status(400, "BadRequest", &message));
    assert_eq!(snapshot(&c), before);
}

#[test]
fn unknown_field_is_rejected_when_strict_and_warned_by_default() {
    let c = Cluster::start();
    let before = snapshot(&c);
    let mut body = pod_body("strict");
    body["spec"]["foo"] = json!("bar");

    let strict = post_json(&c, &format!("{PODS}?fieldValidation=Strict"), &body);
    let message = r#"Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo""#;
    assert_reply(&strict, 400, &status(400, "BadRequest", message));
    assert_eq!(snapshot(&c), before);
    assert_eq!(
        send(&c, "GET", &format!("{PODS}/strict"), None, None).code,
        404
    );

    // The default directive is Warn: the object is created without the field, with a warning.
    let warned = post_json(&c, PODS, &body);
    assert_eq!(warned.code, 201, "{}", warned.body);
    assert_eq!(
        warned.header_values("warning"),
        vec![r#"299 - "unknown field \"spec.foo\"""#]
    );
    let created = warned.json();
    assert_eq!(created["metadata"]["name"], "strict");
    assert!(created["spec"].get("foo").is_none(), "{created}");
}

#[test]
fn invalid_object_names_are_422() {
    let c = Cluster::start();
    let before = snapshot(&c);
    let subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    let dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    let label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    let service = |name: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
               "spec": {"selector": {"app": "x"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    };
    let namespace =
        |name: &str| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    let cases = [
        // Pod names are DNS-1123 subdomains.
        (PODS, pod_body("Bad_Name"), "Pod", "Bad_Name", subdomain),
        // Service names are DNS-1035 labels: no leading digit.
        (SERVICES, service("1svc"), "Service", "1svc", dns1035),
        // Namespace names are DNS-1123 labels.
        (
            "/api/v1/namespaces",
            namespace("bad_ns"),
            "Namespace",
            "bad_ns",
            label,
        ),
    ];
    for (path, body, kind, name, detail) in cases {
        let reply = post_json(&c, path, &body);
        let field_body = format!("Invalid value: \"{name}\": {detail}");
        assert_reply(
            &reply,
            422,
            &invalid(kind, name, "metadata.name", &field_body),
        );
    }
    assert_eq!(snapshot(&c), before);

    // kubectl shows the same message.
    let run = c
        .kubectl_with(
            &["create", "-f", "-"],
            &[],
            Some(&pod_body("Bad_Name").to_string()),
        )
        .fails();
    let want = format!(
        "The Pod \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": {subdomain}"
    );
    assert!(run.stderr.contains(&want), "{}", run.stderr);
    assert_eq!(snapshot(&c), before);
}

#[test]
fn out_of_range_ports_are_422() {
    let c = Cluster::start();
    let before = snapshot(&c);
    let range = "must be between 1 and 65535, inclusive";
    let mut pod = pod_body("big-port");
    pod["spec"]["containers"][0]["ports"] = json!([{"containerPort": 70000}]);
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "big-port"},
                     "spec": {"selector": {"app": "x"}, "ports": [{"port": 70000, "targetPort": 8080}]}});
    let node_port = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "low-node-port"},
                           "spec": {"type": "NodePort", "selector": {"app": "x"},
                                    "ports": [{"port": 80, "targetPort": 8080, "nodePort": 80}]}});
    let cases = [
        (PODS, pod, "Pod", "big-port", "spec.containers[0].ports[0].containerPort", format!("Invalid value: 70000: {range}")),
        (SERVICES, svc, "Service", "big-port", "spec.ports[0].port", format!("Invalid value: 70000: {range}")),
        (
            SERVICES,
            node_port,
            "Service",
            "low-node-port",
            "spec.ports[0].nodePort",
            "Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767".to_string(),
        ),
    ];
    for (path, body, kind, name, field, field_body) in cases {
        let reply = post_json(&c, path, &body);
        assert_reply(&reply, 422, &invalid(kind, name, field, &field_body));
    }
    assert_eq!(snapshot(&c), before);
}

#[test]
fn kind_not_matching_the_url_is_400() {
    let c = Cluster::start();
    let before = snapshot(&c);
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "mismatch"},
                     "spec": {"ports": [{"port": 80}]}});
    let reply = post_json(&c, PODS, &svc);
    let message = r#"Service in version "v1" cannot be handled as a Pod: converting (v1.Service) to (core.Pod): unknown conversion"#;
    assert_reply(&reply, 400, &status(400, "BadRequest", message));
    assert_eq!(snapshot(&c), before);
}

#[test]
fn body_over_3_mib_is_413() {
    let c = Cluster::start();
    let before = snapshot(&c);
    let mut body = pod_body("huge");
    body["metadata"]["annotations"] = json!({"filler": "x".repeat(3 * 1024 * 1024)});
    let reply = post_json(&c, PODS, &body);
    assert_reply(
        &reply,
        413,
        &status(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
        ),
    );
    assert_eq!(snapshot(&c), before);
}

#[test]
fn unparseable_patches_are_400() {
    let c = Cluster::start();
    let created = post_json(&c, PODS, &pod_body("target"));
    assert_eq!(created.code, 201, "{}", created.body);
    let before = snapshot(&c);
    let path = format!("{PODS}/target");
    let cases = [
        // JSON patch and merge patch are strictly decoded first (default directive Warn).
        (
            "application/json-patch+json",
            r#"[{"op":"add""#,
            "error decoding patch: unexpected end of JSON input",
        ),
        (
            "application/merge-patch+json",
            r#"{"metadata":"#,
            "error decoding patch: unexpected end of JSON input",
        ),
        // strategicPatchObject answers the bare decoder error.
        (
            "application/strategic-merge-patch+json",
            r#"{"metadata":"#,
            "unexpected end of JSON input",
        ),
    ];
    for (content_type, patch, message) in cases {
        let reply = send(
            &c,
            "PATCH",
            &path,
            Some(content_type),
            Some(patch.as_bytes()),
        );
        assert_reply(&reply, 400, &status(400, "BadRequest", message));
    }
    assert_eq!(snapshot(&c), before);
}

#[test]
fn unsupported_content_type_is_415() {
    let c = Cluster::start();
    let before = snapshot(&c);
    let body = pod_body("plain").to_string();
    let reply = send(&c, "POST", PODS, Some("text/plain"), Some(body.as_bytes()));
    let message = "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf";
    assert_reply(&reply, 415, &status(415, "UnsupportedMediaType", message));
    assert_eq!(snapshot(&c), before);
}

#[test]
fn missing_or_wrong_token_is_401() {
    let c = Cluster::start();
    let url = format!("{API}{PODS}");
    let no_token = c
        .exec(
            "curl",
            &["-sk", "--max-time", "10", "-w", "\n%{http_code}", &url],
            &[],
        )
        .ok();
    let wrong = [
        "-sk",
        "--max-time",
        "10",
        "-w",
        "\n%{http_code}",
        "-H",
        "Authorization: Bearer not-the-token",
        &url,
    ];
    let wrong_token = c.exec("curl", &wrong, &[]).ok();
    let unauthorized = status(401, "Unauthorized", "Unauthorized");
    for run in [no_token, wrong_token] {
        let (body, code) = run.stdout.rsplit_once('\n').expect("curl output");
        assert_eq!(code, "401", "{body}");
        let got: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(got, unauthorized);
    }
    // A write without credentials is refused the same way, every time, and changes nothing.
    let before = snapshot(&c);
    let body = pod_body("anonymous").to_string();
    let post = [
        "-sk",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &body,
        "-w",
        "\n%{http_code}",
        &url,
    ];
    for attempt in 1..=5 {
        let run = c.exec("curl", &post, &[]);
        assert_eq!(
            run.code, 0,
            "attempt {attempt}: curl exit {} (no complete response): {:?}",
            run.code, run.stdout
        );
        let (body, code) = run.stdout.rsplit_once('\n').expect("curl output");
        assert_eq!(code, "401", "attempt {attempt}: {body}");
        let got: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(got, unauthorized);
    }
    assert_eq!(snapshot(&c), before);
}

#[test]
fn unknown_resource_url_is_404() {
    let c = Cluster::start();
    for path in ["/api/v1/namespaces/default/foos", "/api/v1/foos"] {
        let reply = send(&c, "GET", path, None, None);
        let want = status_with_details(
            404,
            "NotFound",
            "the server could not find the requested resource",
            json!({}),
        );
        assert_reply(&reply, 404, &want);
    }
}

#[test]
fn wrong_method_is_405() {
    let c = Cluster::start();
    let created = post_json(&c, PODS, &pod_body("target"));
    assert_eq!(created.code, 201, "{}", created.body);
    let before = snapshot(&c);
    let body = pod_body("target").to_string();
    // PUT on a collection and POST on a named object have no route.
    for (method, path) in [
        ("PUT", PODS.to_string()),
        ("POST", format!("{PODS}/target")),
    ] {
        let reply = send(
            &c,
            method,
            &path,
            Some("application/json"),
            Some(body.as_bytes()),
        );
        let want = status_with_details(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            json!({}),
        );
        assert_reply(&reply, 405, &want);
    }
    assert_eq!(snapshot(&c), before);
}
