//! The REST operations kube-apiserver documents for a served resource, in a dialect-neutral
//! model that the OpenAPI 3 and Swagger 2 renderers both read: the collection, item, status,
//! subresource, all-namespaces and deprecated `watch/` paths, with upstream operation ids
//! (`patchCoreV1NamespacedService`), `x-kubernetes-action`, GVK and query parameters.

use kubelite_api::resources::{ResourceInfo, Subresource};

use crate::components::{
    API_RESOURCE_LIST, DELETE_OPTIONS, PATCH, STATUS, WATCH_EVENT, schema_name,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Patch => "patch",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamType {
    String,
    Integer,
    Boolean,
}

impl ParamType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    pub name: &'static str,
    pub location: Location,
    pub description: String,
    pub ty: ParamType,
    pub required: bool,
    pub unique_items: bool,
}

/// What a response or request body carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A schema in `components.schemas` / `definitions`.
    Schema(String),
    /// A bare string (logs, connect streams).
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operation {
    pub method: Method,
    pub id: String,
    pub description: String,
    pub tag: String,
    pub action: Option<&'static str>,
    pub gvk: Option<Gvk>,
    pub params: Vec<Param>,
    /// Request body schema and the media types it is accepted as.
    pub body: Option<(String, &'static [&'static str])>,
    pub responses: Vec<(&'static str, Payload)>,
    pub produces: &'static [&'static str],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathItem {
    pub path: String,
    pub params: Vec<Param>,
    pub operations: Vec<Operation>,
}

pub(crate) const OBJECT_MEDIA: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];
pub(crate) const WATCH_MEDIA: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
];
const LOG_MEDIA: &[&str] = &[
    "text/plain",
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];
const ANY_MEDIA: &[&str] = &["*/*"];
/// The patch types kube-apiserver accepts for built-in kinds; kubectl checks for the strategic
/// one before building a strategic merge patch from OpenAPI v3.
pub(crate) const PATCH_MEDIA: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

/// `CoreV1`, `DiscoveryV1`, `NetworkingV1beta1`, `RbacAuthorizationV1`: the group-version part of
/// upstream operation ids.
pub(crate) fn id_prefix(group: &str, version: &str) -> String {
    let group_part: String = if group.is_empty() {
        "Core".to_string()
    } else {
        group
            .trim_end_matches(".k8s.io")
            .split('.')
            .map(capitalize)
            .collect()
    };
    format!("{group_part}{}", capitalize(version))
}

/// The tag upstream files a group-version's operations under: `core_v1`, `discovery_v1`.
pub(crate) fn tag(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("core_{version}")
    } else {
        let name: Vec<&str> = group.trim_end_matches(".k8s.io").split('.').collect();
        format!("{}_{version}", name.join("_"))
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn param(name: &'static str, location: Location, ty: ParamType, description: &str) -> Param {
    Param {
        name,
        location,
        description: description.to_string(),
        ty,
        required: location == Location::Path,
        unique_items: location == Location::Path || name == "pretty" || name == "fieldSelector",
    }
}

fn query(name: &'static str, ty: ParamType, description: &str) -> Param {
    param(name, Location::Query, ty, description)
}

fn name_param(kind: &str) -> Param {
    param(
        "name",
        Location::Path,
        ParamType::String,
        &format!("name of the {kind}"),
    )
}

fn namespace_param() -> Param {
    param(
        "namespace",
        Location::Path,
        ParamType::String,
        "object name and auth scope, such as for teams and projects",
    )
}

fn pretty() -> Param {
    query(
        "pretty",
        ParamType::String,
        "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
    )
}

fn dry_run() -> Param {
    query(
        "dryRun",
        ParamType::String,
        "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
    )
}

fn field_manager(patch: bool) -> Param {
    let description = if patch {
        "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch)."
    } else {
        "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint."
    };
    query("fieldManager", ParamType::String, description)
}

fn field_validation() -> Param {
    query(
        "fieldValidation",
        ParamType::String,
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.",
    )
}

fn force() -> Param {
    query(
        "force",
        ParamType::Boolean,
        "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.",
    )
}

fn write_params() -> Vec<Param> {
    vec![dry_run(), field_manager(false), field_validation()]
}

fn patch_params() -> Vec<Param> {
    vec![dry_run(), field_manager(true), field_validation(), force()]
}

fn delete_params() -> Vec<Param> {
    vec![
        dry_run(),
        query(
            "gracePeriodSeconds",
            ParamType::Integer,
            "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.",
        ),
        query(
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            ParamType::Boolean,
            "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it",
        ),
        query(
            "orphanDependents",
            ParamType::Boolean,
            "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both.",
        ),
        query(
            "propagationPolicy",
            ParamType::String,
            "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
        ),
    ]
}

/// The list/watch query parameters, in upstream's alphabetical order.
fn list_params() -> Vec<Param> {
    vec![
        query(
            "allowWatchBookmarks",
            ParamType::Boolean,
            "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.",
        ),
        query(
            "continue",
            ParamType::String,
            "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize.",
        ),
        query(
            "fieldSelector",
            ParamType::String,
            "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
        ),
        query(
            "labelSelector",
            ParamType::String,
            "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
        ),
        query(
            "limit",
            ParamType::Integer,
            "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.",
        ),
        query(
            "resourceVersion",
            ParamType::String,
            "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset",
        ),
        query(
            "resourceVersionMatch",
            ParamType::String,
            "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset",
        ),
        query(
            "sendInitialEvents",
            ParamType::Boolean,
            "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic \"Bookmark\" event  will be sent.",
        ),
        query(
            "timeoutSeconds",
            ParamType::Integer,
            "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.",
        ),
        query(
            "watch",
            ParamType::Boolean,
            "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.",
        ),
    ]
}

/// deletecollection takes the list parameters (minus watch ones) and the delete parameters.
fn delete_collection_params() -> Vec<Param> {
    let mut params: Vec<Param> = list_params()
        .into_iter()
        .filter(|p| p.name != "allowWatchBookmarks" && p.name != "watch")
        .chain(delete_params())
        .collect();
    params.sort_by_key(|p| p.name);
    params
}

/// Query parameters of the connect and log subresources.
fn subresource_params(name: &str) -> Vec<Param> {
    let b = |n: &'static str, d: &str| query(n, ParamType::Boolean, d);
    let s = |n: &'static str, d: &str| query(n, ParamType::String, d);
    let i = |n: &'static str, d: &str| query(n, ParamType::Integer, d);
    match name {
        "attach" => vec![
            s(
                "container",
                "The container in which to execute the command. Defaults to only container if there is only one container in the pod.",
            ),
            b(
                "stderr",
                "Stderr if true indicates that stderr is to be redirected for the attach call. Defaults to true.",
            ),
            b(
                "stdin",
                "Stdin if true, redirects the standard input stream of the pod for this call. Defaults to false.",
            ),
            b(
                "stdout",
                "Stdout if true indicates that stdout is to be redirected for the attach call. Defaults to true.",
            ),
            b(
                "tty",
                "TTY if true indicates that a tty will be allocated for the attach call. This is passed through the container runtime so the tty is allocated on the worker node by the container runtime. Defaults to false.",
            ),
        ],
        "exec" => vec![
            s(
                "command",
                "Command is the remote command to execute. argv array. Not executed within a shell.",
            ),
            s(
                "container",
                "Container in which to execute the command. Defaults to only container if there is only one container in the pod.",
            ),
            b(
                "stderr",
                "Redirect the standard error stream of the pod for this call.",
            ),
            b(
                "stdin",
                "Redirect the standard input stream of the pod for this call. Defaults to false.",
            ),
            b(
                "stdout",
                "Redirect the standard output stream of the pod for this call.",
            ),
            b(
                "tty",
                "TTY if true indicates that a tty will be allocated for the exec call. Defaults to false.",
            ),
        ],
        "portforward" => vec![i(
            "ports",
            "List of ports to forward Required when using WebSockets",
        )],
        "log" => vec![
            s(
                "container",
                "The container for which to stream logs. Defaults to only container if there is one container in the pod.",
            ),
            b(
                "follow",
                "Follow the log stream of the pod. Defaults to false.",
            ),
            b(
                "insecureSkipTLSVerifyBackend",
                "insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the validity of the serving certificate of the backend it is connecting to.  This will make the HTTPS connection between the apiserver and the backend insecure. This means the apiserver cannot verify the log data it is receiving came from the real kubelet.  If the kubelet is configured to verify the apiserver's TLS credentials, it does not mean the connection to the real kubelet is vulnerable to a man in the middle attack (e.g. an attacker could not intercept the actual log data coming from the real kubelet).",
            ),
            i(
                "limitBytes",
                "If set, the number of bytes to read from the server before terminating the log output. This may not display a complete final line of logging, and may return slightly more or slightly less than the specified limit.",
            ),
            b(
                "previous",
                "Return previous terminated container logs. Defaults to false.",
            ),
            i(
                "sinceSeconds",
                "A relative time in seconds before the current time from which to show logs. If this value precedes the time a pod was started, only logs since the pod start will be returned. If this value is in the future, no logs will be returned. Only one of sinceSeconds or sinceTime may be specified.",
            ),
            s(
                "stream",
                "Specify which container log stream to return to the client. Acceptable values are \"All\", \"Stdout\" and \"Stderr\". If not specified, \"All\" is used, and both stdout and stderr are returned interleaved. Note that when \"TailLines\" is specified, \"Stream\" can only be set to nil or \"All\".",
            ),
            i(
                "tailLines",
                "If set, the number of lines from the end of the logs to show. If not specified, logs are shown from the creation of the container or sinceSeconds or sinceTime. Note that when \"TailLines\" is specified, \"Stream\" can only be set to nil or \"All\".",
            ),
            b(
                "timestamps",
                "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false.",
            ),
        ],
        _ => Vec::new(),
    }
}

/// Builds operations of one resource, sharing its naming context.
struct Builder<'a> {
    r: &'a ResourceInfo,
    prefix: String,
    tag: String,
    gvk: Gvk,
    schema: String,
}

impl Builder<'_> {
    fn op(
        &self,
        method: Method,
        id: String,
        description: String,
        action: &'static str,
    ) -> Operation {
        Operation {
            method,
            id,
            description,
            tag: self.tag.clone(),
            action: Some(action),
            gvk: Some(self.gvk.clone()),
            params: Vec::new(),
            body: None,
            responses: Vec::new(),
            produces: OBJECT_MEDIA,
        }
    }

    /// `Namespaced` in ids of namespaced resources, nothing for cluster-scoped ones.
    fn scope(&self) -> &'static str {
        if self.r.namespaced { "Namespaced" } else { "" }
    }

    fn object_ops(&self, item_suffix: &str, what: &str) -> Vec<Operation> {
        let (gv, kind, scope, schema) = (&self.prefix, self.r.kind, self.scope(), &self.schema);
        let verbs = self.r.verbs;
        let obj = || {
            vec![
                ("200", Payload::Schema(schema.clone())),
                ("201", Payload::Schema(schema.clone())),
            ]
        };
        let mut ops = Vec::new();
        if verbs.contains(&"get") {
            let mut op = self.op(
                Method::Get,
                format!("read{gv}{scope}{kind}{item_suffix}"),
                format!("read {what}the specified {kind}"),
                "get",
            );
            op.responses = vec![("200", Payload::Schema(schema.clone()))];
            ops.push(op);
        }
        if verbs.contains(&"update") {
            let mut op = self.op(
                Method::Put,
                format!("replace{gv}{scope}{kind}{item_suffix}"),
                format!("replace {what}the specified {kind}"),
                "put",
            );
            op.params = write_params();
            op.body = Some((schema.clone(), ANY_MEDIA));
            op.responses = obj();
            ops.push(op);
        }
        if item_suffix.is_empty() && verbs.contains(&"delete") {
            let mut op = self.op(
                Method::Delete,
                format!("delete{gv}{scope}{kind}"),
                format!(
                    "delete a{} {kind}",
                    if starts_with_vowel(kind) { "n" } else { "" }
                ),
                "delete",
            );
            op.params = delete_params();
            op.body = Some((DELETE_OPTIONS.to_string(), ANY_MEDIA));
            let returned = if matches!(kind, "Pod" | "Service" | "ServiceAccount") {
                schema.clone()
            } else {
                STATUS.to_string()
            };
            op.responses = vec![
                ("200", Payload::Schema(returned.clone())),
                ("202", Payload::Schema(returned)),
            ];
            ops.push(op);
        }
        if verbs.contains(&"patch") {
            let mut op = self.op(
                Method::Patch,
                format!("patch{gv}{scope}{kind}{item_suffix}"),
                format!("partially update {what}the specified {kind}"),
                "patch",
            );
            op.params = patch_params();
            op.body = Some((PATCH.to_string(), PATCH_MEDIA));
            op.responses = obj();
            ops.push(op);
        }
        ops
    }

    fn list_op(&self, id: String) -> Operation {
        let mut op = self.op(
            Method::Get,
            id,
            format!("list or watch objects of kind {}", self.r.kind),
            "list",
        );
        op.responses = vec![("200", Payload::Schema(format!("{}List", self.schema)))];
        op.produces = WATCH_MEDIA;
        op
    }

    fn collection_ops(&self) -> Vec<Operation> {
        let (gv, kind, scope) = (&self.prefix, self.r.kind, self.scope());
        let verbs = self.r.verbs;
        let mut ops = Vec::new();
        if verbs.contains(&"list") {
            let mut op = self.list_op(format!("list{gv}{scope}{kind}"));
            op.params = list_params();
            ops.push(op);
        }
        if verbs.contains(&"create") {
            let mut op = self.op(
                Method::Post,
                format!("create{gv}{scope}{kind}"),
                format!(
                    "create a{} {kind}",
                    if starts_with_vowel(kind) { "n" } else { "" }
                ),
                "post",
            );
            op.params = write_params();
            op.body = Some((self.schema.clone(), ANY_MEDIA));
            op.responses = ["200", "201", "202"]
                .into_iter()
                .map(|c| (c, Payload::Schema(self.schema.clone())))
                .collect();
            ops.push(op);
        }
        if verbs.contains(&"deletecollection") {
            let mut op = self.op(
                Method::Delete,
                format!("delete{gv}Collection{scope}{kind}"),
                format!("delete collection of {kind}"),
                "deletecollection",
            );
            op.params = delete_collection_params();
            op.body = Some((DELETE_OPTIONS.to_string(), ANY_MEDIA));
            op.responses = vec![("200", Payload::Schema(STATUS.to_string()))];
            ops.push(op);
        }
        ops
    }

    fn watch_op(&self, id: String, description: String, action: &'static str) -> Operation {
        let mut op = self.op(Method::Get, id, description, action);
        op.responses = vec![("200", Payload::Schema(WATCH_EVENT.to_string()))];
        op.produces = WATCH_MEDIA;
        op
    }

    fn subresource_ops(&self, sub: &Subresource) -> Vec<Operation> {
        let (gv, kind, scope) = (&self.prefix, self.r.kind, self.scope());
        let name = sub.name;
        let title = capitalize(name);
        let sub_gvk = Gvk {
            group: if sub.version.is_empty() {
                self.r.group
            } else {
                sub.group
            }
            .to_string(),
            version: if sub.version.is_empty() {
                self.r.version
            } else {
                sub.version
            }
            .to_string(),
            kind: sub.kind.to_string(),
        };
        let mut ops = Vec::new();
        if sub.kind.ends_with("Options") {
            for (verb, method, word) in [
                ("get", Method::Get, "Get"),
                ("create", Method::Post, "Post"),
            ] {
                if !sub.verbs.contains(&verb) {
                    continue;
                }
                let mut op = self.op(
                    method,
                    format!("connect{gv}{word}{scope}{kind}{title}"),
                    format!(
                        "connect {} requests to {name} of {kind}",
                        word.to_uppercase()
                    ),
                    "connect",
                );
                op.gvk = Some(sub_gvk.clone());
                op.params = subresource_params(name);
                op.responses = vec![("200", Payload::Text)];
                op.produces = ANY_MEDIA;
                ops.push(op);
            }
        } else if name == "log" {
            let mut op = self.op(
                Method::Get,
                format!("read{gv}{scope}{kind}Log"),
                format!("read log of the specified {kind}"),
                "get",
            );
            op.params = subresource_params(name);
            op.responses = vec![("200", Payload::Text)];
            op.produces = LOG_MEDIA;
            ops.push(op);
        } else if sub.verbs.contains(&"create") {
            let schema = schema_name(&sub_gvk.group, &sub_gvk.version, sub.kind);
            let mut op = self.op(
                Method::Post,
                format!("create{gv}{scope}{kind}{title}"),
                format!(
                    "create {name} of a{} {kind}",
                    if starts_with_vowel(kind) { "n" } else { "" }
                ),
                "post",
            );
            op.gvk = Some(sub_gvk);
            op.params = write_params();
            op.body = Some((schema.clone(), ANY_MEDIA));
            op.responses = ["200", "201", "202"]
                .into_iter()
                .map(|c| (c, Payload::Schema(schema.clone())))
                .collect();
            ops.push(op);
        }
        ops
    }
}

fn starts_with_vowel(s: &str) -> bool {
    s.starts_with(['A', 'E', 'I', 'O', 'U'])
}

/// URL root of a group-version: `/api/v1`, `/apis/discovery.k8s.io/v1`.
pub(crate) fn root(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

/// Every path kube-apiserver documents for `r`, in upstream order within the resource.
pub(crate) fn resource_paths(r: &ResourceInfo) -> Vec<PathItem> {
    let b = Builder {
        r,
        prefix: id_prefix(r.group, r.version),
        tag: tag(r.group, r.version),
        gvk: Gvk {
            group: r.group.to_string(),
            version: r.version.to_string(),
            kind: r.kind.to_string(),
        },
        schema: schema_name(r.group, r.version, r.kind),
    };
    let root = root(r.group, r.version);
    let (gv, kind, plural) = (&b.prefix, r.kind, r.plural);
    let scoped = if r.namespaced {
        format!("namespaces/{{namespace}}/{plural}")
    } else {
        plural.to_string()
    };
    let scope_params = |with_name: bool| {
        let mut params = Vec::new();
        if with_name {
            params.push(name_param(kind));
        }
        if r.namespaced {
            params.push(namespace_param());
        }
        params.push(pretty());
        params
    };
    let mut paths = vec![
        PathItem {
            path: format!("{root}/{scoped}"),
            params: scope_params(false),
            operations: b.collection_ops(),
        },
        PathItem {
            path: format!("{root}/{scoped}/{{name}}"),
            params: scope_params(true),
            operations: b.object_ops("", ""),
        },
    ];
    for sub in r.subresources {
        let connect = sub.kind.ends_with("Options");
        let operations = if sub.name == "status" {
            b.status_ops(sub)
        } else {
            b.subresource_ops(sub)
        };
        let mut params = scope_params(true);
        if connect {
            params.retain(|p| p.name != "pretty");
        }
        paths.push(PathItem {
            path: format!("{root}/{scoped}/{{name}}/{}", sub.name),
            params,
            operations,
        });
    }
    let sorted = |mut params: Vec<Param>| {
        params.sort_by_key(|p| p.name);
        params
    };
    if r.namespaced && r.verbs.contains(&"list") {
        paths.push(PathItem {
            path: format!("{root}/{plural}"),
            params: sorted([list_params(), vec![pretty()]].concat()),
            operations: vec![b.list_op(format!("list{gv}{kind}ForAllNamespaces"))],
        });
    }
    if r.verbs.contains(&"watch") {
        let deprecated = "deprecated: use the 'watch' parameter with a list operation instead";
        let scope = b.scope();
        paths.push(PathItem {
            path: format!("{root}/watch/{scoped}"),
            params: sorted([list_params(), scope_params(false)].concat()),
            operations: vec![b.watch_op(
                format!("watch{gv}{scope}{kind}List"),
                format!("watch individual changes to a list of {kind}. {deprecated}."),
                "watchlist",
            )],
        });
        paths.push(PathItem {
            path: format!("{root}/watch/{scoped}/{{name}}"),
            params: sorted([list_params(), scope_params(true)].concat()),
            operations: vec![b.watch_op(
                format!("watch{gv}{scope}{kind}"),
                format!("watch changes to an object of kind {kind}. {deprecated}, filtered to a single item with the 'fieldSelector' parameter."),
                "watch",
            )],
        });
        if r.namespaced {
            paths.push(PathItem {
                path: format!("{root}/watch/{plural}"),
                params: sorted([list_params(), vec![pretty()]].concat()),
                operations: vec![b.watch_op(
                    format!("watch{gv}{kind}ListForAllNamespaces"),
                    format!("watch individual changes to a list of {kind}. {deprecated}."),
                    "watchlist",
                )],
            });
        }
    }
    paths
}

impl Builder<'_> {
    /// The status subresource: read/replace/patch with the parent's kind and `Status` id suffix.
    fn status_ops(&self, sub: &Subresource) -> Vec<Operation> {
        let status = Builder {
            r: &ResourceInfo {
                verbs: sub.verbs,
                ..*self.r
            },
            prefix: self.prefix.clone(),
            tag: self.tag.clone(),
            gvk: self.gvk.clone(),
            schema: self.schema.clone(),
        };
        status.object_ops("Status", "status of ")
    }
}

/// `GET /api/v1/` (`getCoreV1APIResources`): the group-version's APIResourceList.
pub(crate) fn resources_path(group: &str, version: &str) -> PathItem {
    PathItem {
        path: format!("{}/", root(group, version)),
        params: Vec::new(),
        operations: vec![Operation {
            method: Method::Get,
            id: format!("get{}APIResources", id_prefix(group, version)),
            description: "get available resources".to_string(),
            tag: tag(group, version),
            action: None,
            gvk: None,
            params: Vec::new(),
            body: None,
            responses: vec![("200", Payload::Schema(API_RESOURCE_LIST.to_string()))],
            produces: OBJECT_MEDIA,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubelite_api::resources::{RESOURCES, lookup};

    #[test]
    fn id_prefixes_and_tags() {
        for (group, version, prefix, tag_name) in [
            ("", "v1", "CoreV1", "core_v1"),
            ("discovery.k8s.io", "v1", "DiscoveryV1", "discovery_v1"),
            (
                "networking.k8s.io",
                "v1beta1",
                "NetworkingV1beta1",
                "networking_v1beta1",
            ),
            (
                "rbac.authorization.k8s.io",
                "v1",
                "RbacAuthorizationV1",
                "rbac_authorization_v1",
            ),
        ] {
            assert_eq!(id_prefix(group, version), prefix);
            assert_eq!(tag(group, version), tag_name);
        }
    }

    fn ids(r: &ResourceInfo) -> Vec<(String, &'static str, String)> {
        resource_paths(r)
            .into_iter()
            .flat_map(|p| {
                p.operations
                    .into_iter()
                    .map(move |o| (p.path.clone(), o.method.as_str(), o.id))
            })
            .collect()
    }

    #[test]
    fn service_operations_match_upstream() {
        let svc = lookup("", "v1", "services").unwrap();
        let want = [
            (
                "/api/v1/namespaces/{namespace}/services",
                "get",
                "listCoreV1NamespacedService",
            ),
            (
                "/api/v1/namespaces/{namespace}/services",
                "post",
                "createCoreV1NamespacedService",
            ),
            (
                "/api/v1/namespaces/{namespace}/services",
                "delete",
                "deleteCoreV1CollectionNamespacedService",
            ),
            (
                "/api/v1/namespaces/{namespace}/services/{name}",
                "get",
                "readCoreV1NamespacedService",
            ),
            (
                "/api/v1/namespaces/{namespace}/services/{name}",
                "put",
                "replaceCoreV1NamespacedService",
            ),
            (
                "/api/v1/namespaces/{namespace}/services/{name}",
                "delete",
                "deleteCoreV1NamespacedService",
            ),
            (
                "/api/v1/namespaces/{namespace}/services/{name}",
                "patch",
                "patchCoreV1NamespacedService",
            ),
            (
                "/api/v1/namespaces/{namespace}/services/{name}/status",
                "get",
                "readCoreV1NamespacedServiceStatus",
            ),
            (
                "/api/v1/namespaces/{namespace}/services/{name}/status",
                "put",
                "replaceCoreV1NamespacedServiceStatus",
            ),
            (
                "/api/v1/namespaces/{namespace}/services/{name}/status",
                "patch",
                "patchCoreV1NamespacedServiceStatus",
            ),
            (
                "/api/v1/services",
                "get",
                "listCoreV1ServiceForAllNamespaces",
            ),
            (
                "/api/v1/watch/namespaces/{namespace}/services",
                "get",
                "watchCoreV1NamespacedServiceList",
            ),
            (
                "/api/v1/watch/namespaces/{namespace}/services/{name}",
                "get",
                "watchCoreV1NamespacedService",
            ),
            (
                "/api/v1/watch/services",
                "get",
                "watchCoreV1ServiceListForAllNamespaces",
            ),
        ];
        let got = ids(svc);
        let got: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|(p, m, i)| (p.as_str(), *m, i.as_str()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn cluster_scoped_and_subresource_ids() {
        let ns = lookup("", "v1", "namespaces").unwrap();
        let got = ids(ns);
        assert!(got.contains(&(
            "/api/v1/namespaces/{name}".into(),
            "patch",
            "patchCoreV1Namespace".into()
        )));
        assert!(got.contains(&(
            "/api/v1/watch/namespaces".into(),
            "get",
            "watchCoreV1NamespaceList".into()
        )));
        assert!(!got.iter().any(|(_, _, id)| id.contains("ForAllNamespaces")));

        let pods = lookup("", "v1", "pods").unwrap();
        let got = ids(pods);
        for (path, method, id) in [
            (
                "/api/v1/namespaces/{namespace}/pods/{name}/exec",
                "get",
                "connectCoreV1GetNamespacedPodExec",
            ),
            (
                "/api/v1/namespaces/{namespace}/pods/{name}/exec",
                "post",
                "connectCoreV1PostNamespacedPodExec",
            ),
            (
                "/api/v1/namespaces/{namespace}/pods/{name}/log",
                "get",
                "readCoreV1NamespacedPodLog",
            ),
            (
                "/api/v1/namespaces/{namespace}/pods/{name}/binding",
                "post",
                "createCoreV1NamespacedPodBinding",
            ),
        ] {
            assert!(got.contains(&(path.into(), method, id.into())), "{id}");
        }
    }

    #[test]
    fn every_patch_takes_field_validation() {
        for r in RESOURCES {
            let patches: Vec<Operation> = resource_paths(r)
                .into_iter()
                .flat_map(|p| p.operations)
                .filter(|o| o.method == Method::Patch)
                .collect();
            assert!(!patches.is_empty(), "{}", r.kind);
            for op in patches {
                assert!(
                    op.params
                        .iter()
                        .any(|p| p.name == "fieldValidation" && p.location == Location::Query)
                );
                assert_eq!(op.gvk.as_ref().map(|g| g.kind.as_str()), Some(r.kind));
                assert_eq!(op.body.as_ref().map(|b| b.1), Some(PATCH_MEDIA));
            }
        }
    }
}
