//! Pod defaulting: `SetDefaults_Pod`/`PodSpec`/`Container`/`Probe`/`HTTPGetAction`/volumes from
//! pkg/apis/core/v1, the v1 `serviceAccount` mirror, and the admission plugins that always run
//! on create (ServiceAccount, Priority, DefaultTolerationSeconds).

use super::{for_each_in, object_at, set_default, set_default_str};
use serde_json::{Map, Value, json};

const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
const DEFAULT_TOLERATION_SECONDS: i64 = 300;
const DEFAULT_VOLUME_MODE: i64 = 0o644;

pub(super) fn default_pod(obj: &mut Value) {
    let Some(pod) = obj.as_object_mut() else {
        return;
    };
    let spec = object_at(pod, "spec");
    for key in ["containers", "initContainers"] {
        for_each_in(spec, key, |c| {
            default_container(c);
            default_requests_from_limits(c);
        });
    }
    for_each_in(spec, "ephemeralContainers", default_container);
    set_default(spec, "enableServiceLinks", Value::Bool(true));
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for key in ["containers", "initContainers"] {
            for_each_in(spec, key, |c| {
                for_each_in(c, "ports", |p| {
                    let host = p.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
                    if host == 0
                        && let Some(cp) = p.get("containerPort").cloned()
                    {
                        p.insert("hostPort".to_string(), cp);
                    }
                });
            });
        }
    }
    set_default_str(spec, "dnsPolicy", "ClusterFirst");
    set_default_str(spec, "restartPolicy", "Always");
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default_str(spec, "schedulerName", "default-scheduler");
    for_each_in(spec, "volumes", default_volume);

    // ServiceAccount admission, and the v1 conversion mirroring serviceAccountName.
    let legacy = spec
        .get("serviceAccount")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !legacy.is_empty() {
        set_default_str(spec, "serviceAccountName", &legacy);
    }
    set_default_str(spec, "serviceAccountName", "default");
    let sa = spec["serviceAccountName"].clone();
    spec.insert("serviceAccount".to_string(), sa);

    // Priority admission with no PriorityClass in play.
    if spec
        .get("priorityClassName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        set_default(spec, "priority", json!(0));
    }
    set_default_str(spec, "preemptionPolicy", "PreemptLowerPriority");

    default_tolerations(spec);
}

/// DefaultTolerationSeconds admission: tolerate not-ready/unreachable NoExecute for 300 s.
fn default_tolerations(spec: &mut Map<String, Value>) {
    let tolerations = spec.entry("tolerations").or_insert(Value::Null);
    if !tolerations.is_array() {
        *tolerations = json!([]);
    }
    let list = tolerations.as_array_mut().expect("just made an array");
    let tolerates = |taint: &str| {
        list.iter().any(|t| {
            let key = t.get("key").and_then(Value::as_str).unwrap_or("");
            let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
            (key == taint || key.is_empty()) && (effect == "NoExecute" || effect.is_empty())
        })
    };
    let missing: Vec<&str> = [NOT_READY_TAINT, UNREACHABLE_TAINT]
        .into_iter()
        .filter(|t| !tolerates(t))
        .collect();
    for taint in missing {
        list.push(json!({
            "key": taint,
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": DEFAULT_TOLERATION_SECONDS
        }));
    }
}

/// The tag `parsers.ParseImageName` reports: `latest` when neither tag nor digest is given.
fn image_tag(image: &str) -> String {
    let (name, has_digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    match last_segment.rsplit_once(':') {
        Some((_, tag)) => tag.to_string(),
        None if has_digest => String::new(),
        None => "latest".to_string(),
    }
}

/// `SetDefaults_Container` plus the container-level fields Go always serialises.
fn default_container(c: &mut Map<String, Value>) {
    if c.get("imagePullPolicy")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        let image = c.get("image").and_then(Value::as_str).unwrap_or("");
        let policy = if image_tag(image) == "latest" {
            "Always"
        } else {
            "IfNotPresent"
        };
        c.insert("imagePullPolicy".to_string(), Value::from(policy));
    }
    set_default_str(c, "terminationMessagePath", "/dev/termination-log");
    set_default_str(c, "terminationMessagePolicy", "File");
    set_default(c, "resources", json!({}));
    for_each_in(c, "ports", |p| set_default_str(p, "protocol", "TCP"));
    for_each_in(c, "env", |e| {
        if let Some(field_ref) = e
            .get_mut("valueFrom")
            .and_then(Value::as_object_mut)
            .and_then(|v| v.get_mut("fieldRef"))
            .and_then(Value::as_object_mut)
        {
            set_default_str(field_ref, "apiVersion", "v1");
        }
    });
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).and_then(Value::as_object_mut) {
            default_probe(p);
        }
    }
    if let Some(lifecycle) = c.get_mut("lifecycle").and_then(Value::as_object_mut) {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = lifecycle.get_mut(hook).and_then(Value::as_object_mut) {
                default_handler(h);
            }
        }
    }
}

/// `SetDefaults_Pod`: requests default to limits, per resource, for pods only.
fn default_requests_from_limits(c: &mut Map<String, Value>) {
    let Some(resources) = c.get_mut("resources").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    let requests = object_at(resources, "requests");
    for (k, v) in limits {
        requests.entry(k).or_insert(v);
    }
}

/// `SetDefaults_Probe` and the handler defaults inside it.
fn default_probe(p: &mut Map<String, Value>) {
    for (key, value) in [
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ] {
        let slot = p.entry(key.to_string()).or_insert(Value::Null);
        if slot.is_null() || slot.as_i64() == Some(0) {
            *slot = json!(value);
        }
    }
    default_handler(p);
    if let Some(grpc) = p.get_mut("grpc").and_then(Value::as_object_mut) {
        set_default(grpc, "service", Value::from(""));
    }
}

/// `SetDefaults_HTTPGetAction` for a probe or lifecycle handler.
fn default_handler(h: &mut Map<String, Value>) {
    if let Some(http) = h.get_mut("httpGet").and_then(Value::as_object_mut) {
        set_default_str(http, "path", "/");
        set_default_str(http, "scheme", "HTTP");
    }
}

/// Volume source defaults: emptyDir when no source, and the 0644 default modes.
fn default_volume(v: &mut Map<String, Value>) {
    let has_source = v.iter().any(|(k, val)| k != "name" && !val.is_null());
    if !has_source {
        v.insert("emptyDir".to_string(), json!({}));
    }
    for source in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(s) = v.get_mut(source).and_then(Value::as_object_mut) {
            set_default(s, "defaultMode", json!(DEFAULT_VOLUME_MODE));
        }
    }
    if let Some(s) = v.get_mut("projected").and_then(Value::as_object_mut) {
        for_each_in(s, "sources", |src| {
            if let Some(t) = src
                .get_mut("serviceAccountToken")
                .and_then(Value::as_object_mut)
            {
                set_default(t, "expirationSeconds", json!(3600));
            }
        });
    }
    if let Some(s) = v.get_mut("hostPath").and_then(Value::as_object_mut) {
        set_default(s, "type", Value::from(""));
    }
}

#[cfg(test)]
mod tests {
    use super::image_tag;
    use crate::defaults::apply_defaults;
    use serde_json::{Value, json};

    fn defaulted(mut obj: Value) -> Value {
        apply_defaults("Pod", &mut obj);
        let once = obj.clone();
        apply_defaults("Pod", &mut obj);
        assert_eq!(obj, once, "defaulting must be idempotent");
        obj
    }

    #[test]
    fn kubectl_run_body() {
        let pod = defaulted(json!({
            "metadata": {"name": "test", "labels": {"run": "test"}},
            "spec": {"containers": [{"name": "test", "image": "busybox", "args": ["sleep", "1d"], "resources": {}}], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"},
            "status": {}
        }));
        assert_eq!(
            pod["spec"],
            json!({
                "containers": [{
                    "name": "test", "image": "busybox", "args": ["sleep", "1d"], "resources": {},
                    "imagePullPolicy": "Always",
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File"
                }],
                "restartPolicy": "Always",
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
                "schedulerName": "default-scheduler",
                "serviceAccountName": "default",
                "serviceAccount": "default",
                "priority": 0,
                "preemptionPolicy": "PreemptLowerPriority",
                "tolerations": [
                    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
                ]
            })
        );
    }

    #[test]
    fn image_pull_policy() {
        for (image, tag) in [
            ("nginx", "latest"),
            ("nginx:latest", "latest"),
            ("nginx:1.25", "1.25"),
            ("localhost:5000/app", "latest"),
            ("localhost:5000/app:v1", "v1"),
            ("nginx@sha256:abc", ""),
            ("nginx:latest@sha256:abc", "latest"),
        ] {
            assert_eq!(image_tag(image), tag, "{image}");
        }
        let pod = defaulted(
            json!({"spec": {"containers": [{"name": "a", "image": "nginx:1.25"}, {"name": "b", "image": "nginx"}, {"name": "c", "image": "x", "imagePullPolicy": "Never"}]}}),
        );
        let policies: Vec<&str> = pod["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["imagePullPolicy"].as_str().unwrap())
            .collect();
        assert_eq!(policies, vec!["IfNotPresent", "Always", "Never"]);
    }

    #[test]
    fn container_details() {
        let pod = defaulted(json!({"spec": {"containers": [{
            "name": "a", "image": "x:1",
            "ports": [{"containerPort": 80}],
            "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "livenessProbe": {"httpGet": {"port": 80}},
            "readinessProbe": {"grpc": {"port": 9000}, "periodSeconds": 5},
            "resources": {"limits": {"cpu": "1"}, "requests": {"memory": "1Gi"}}
        }]}}));
        let c = &pod["spec"]["containers"][0];
        assert_eq!(
            c["ports"],
            json!([{"containerPort": 80, "protocol": "TCP"}])
        );
        assert_eq!(
            c["env"][0]["valueFrom"]["fieldRef"],
            json!({"fieldPath": "spec.nodeName", "apiVersion": "v1"})
        );
        assert_eq!(
            c["livenessProbe"],
            json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(c["readinessProbe"]["periodSeconds"], 5);
        assert_eq!(
            c["readinessProbe"]["grpc"],
            json!({"port": 9000, "service": ""})
        );
        assert_eq!(
            c["resources"]["requests"],
            json!({"memory": "1Gi", "cpu": "1"})
        );
    }

    #[test]
    fn tolerations_and_service_account() {
        let pod = defaulted(
            json!({"spec": {"serviceAccount": "builder", "containers": [], "tolerations": [{"operator": "Exists"}]}}),
        );
        assert_eq!(pod["spec"]["tolerations"], json!([{"operator": "Exists"}]));
        assert_eq!(pod["spec"]["serviceAccountName"], "builder");
        assert_eq!(pod["spec"]["serviceAccount"], "builder");
        let partial = defaulted(
            json!({"spec": {"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}]}}),
        );
        assert_eq!(partial["spec"]["tolerations"].as_array().unwrap().len(), 2);
        assert_eq!(
            partial["spec"]["tolerations"][1]["key"],
            "node.kubernetes.io/unreachable"
        );
    }

    #[test]
    fn volumes_and_host_network() {
        let pod = defaulted(json!({"spec": {
            "hostNetwork": true,
            "containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 8080}]}],
            "volumes": [{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "c"}}]
        }}));
        assert_eq!(pod["spec"]["containers"][0]["ports"][0]["hostPort"], 8080);
        assert_eq!(
            pod["spec"]["volumes"][0],
            json!({"name": "scratch", "emptyDir": {}})
        );
        assert_eq!(pod["spec"]["volumes"][1]["configMap"]["defaultMode"], 420);
    }
}
