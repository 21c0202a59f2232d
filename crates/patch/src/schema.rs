//! The hand-kept strategic-merge schema: which lists merge, and by which key.
//!
//! Upstream reads the `patchStrategy` / `patchMergeKey` Go struct tags of k8s.io/api
//! (`core/v1/types.go`, `discovery/v1/types.go`) and `metav1.ObjectMeta` (v1.32). This table
//! copies those tags for the kinds kubelite serves. A field missing from the table behaves like
//! an untagged Go field: objects merge key by key and lists are replaced whole (atomic); so only
//! tagged lists and the struct fields leading to them need an entry. Entries marked `atomic`
//! spell out untagged lists that people commonly expect to merge.
//!
//! `retainKeys` is kept for completeness: the server applies a `$retainKeys` directive wherever
//! it appears, and only clients use the strategy to decide where to emit one.

/// How a field is patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// No `patchStrategy` tag: objects merge recursively, lists are replaced wholesale.
    Default,
    /// `patchStrategy:"merge"` on a list of scalars: union without duplicates, and
    /// `$deleteFromPrimitiveList/<field>` removes values.
    MergePrimitive,
    /// `patchStrategy:"merge"` with `patchMergeKey`: items are matched by `key`.
    MergeByKey {
        /// The `patchMergeKey`.
        key: &'static str,
        /// Whether the strategy also lists `retainKeys`.
        retain_keys: bool,
    },
}

/// One Go struct type: the fields that matter for patching.
#[derive(Debug)]
pub struct TypeSchema {
    /// The Go type name, for reading the table.
    pub name: &'static str,
    /// The fields with a strategy or with a nested type that has some.
    pub fields: &'static [Field],
}

/// One field of a [`TypeSchema`].
#[derive(Debug)]
pub struct Field {
    /// JSON name.
    pub name: &'static str,
    /// Patch strategy from the struct tags.
    pub strategy: Strategy,
    /// The field's struct type, or the element type of a list field, when it has tagged fields.
    pub ty: Option<&'static TypeSchema>,
}

/// The field every unlisted name resolves to.
pub const UNTAGGED: Field = Field {
    name: "",
    strategy: Strategy::Default,
    ty: None,
};

impl TypeSchema {
    /// The field named `name`, or [`UNTAGGED`] for fields the table does not list.
    pub fn field(&'static self, name: &str) -> &'static Field {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or(&UNTAGGED)
    }
}

impl Field {
    /// The merge key, `""` when there is none (as upstream's `GetPatchMergeKey`).
    pub fn merge_key(&self) -> &'static str {
        match self.strategy {
            Strategy::MergeByKey { key, .. } => key,
            Strategy::Default | Strategy::MergePrimitive => "",
        }
    }

    /// Whether the list merges instead of being replaced.
    pub fn merges(&self) -> bool {
        !matches!(self.strategy, Strategy::Default)
    }

    /// Go kind name of the list's element type, as upstream's `schema.Name()` prints it.
    pub fn element_kind(&self) -> &'static str {
        match self.strategy {
            Strategy::MergePrimitive => "string",
            Strategy::Default | Strategy::MergeByKey { .. } => "struct",
        }
    }
}

const fn nested(name: &'static str, ty: &'static TypeSchema) -> Field {
    Field {
        name,
        strategy: Strategy::Default,
        ty: Some(ty),
    }
}

const fn atomic(name: &'static str) -> Field {
    Field {
        name,
        strategy: Strategy::Default,
        ty: None,
    }
}

const fn merge_primitive(name: &'static str) -> Field {
    Field {
        name,
        strategy: Strategy::MergePrimitive,
        ty: None,
    }
}

const fn merge_by(name: &'static str, key: &'static str) -> Field {
    Field {
        name,
        strategy: Strategy::MergeByKey {
            key,
            retain_keys: false,
        },
        ty: None,
    }
}

const fn merge_by_typed(name: &'static str, key: &'static str, ty: &'static TypeSchema) -> Field {
    Field {
        name,
        strategy: Strategy::MergeByKey {
            key,
            retain_keys: false,
        },
        ty: Some(ty),
    }
}

const fn merge_retain_by(name: &'static str, key: &'static str) -> Field {
    Field {
        name,
        strategy: Strategy::MergeByKey {
            key,
            retain_keys: true,
        },
        ty: None,
    }
}

static OBJECT_META: TypeSchema = TypeSchema {
    name: "ObjectMeta",
    fields: &[
        merge_primitive("finalizers"),
        merge_by("ownerReferences", "uid"),
        atomic("managedFields"),
    ],
};

/// `Container`, and `EphemeralContainer` (its inlined `EphemeralContainerCommon` carries the
/// same tags).
static CONTAINER: TypeSchema = TypeSchema {
    name: "Container",
    fields: &[
        merge_by("ports", "containerPort"),
        merge_by("env", "name"),
        atomic("envFrom"),
        merge_by("volumeMounts", "mountPath"),
        merge_by("volumeDevices", "devicePath"),
        atomic("resizePolicy"),
        atomic("command"),
        atomic("args"),
    ],
};

static POD_SPEC: TypeSchema = TypeSchema {
    name: "PodSpec",
    fields: &[
        merge_retain_by("volumes", "name"),
        merge_by_typed("initContainers", "name", &CONTAINER),
        merge_by_typed("containers", "name", &CONTAINER),
        merge_by_typed("ephemeralContainers", "name", &CONTAINER),
        merge_by("imagePullSecrets", "name"),
        merge_by("hostAliases", "ip"),
        merge_by("topologySpreadConstraints", "topologyKey"),
        merge_by("schedulingGates", "name"),
        merge_retain_by("resourceClaims", "name"),
        atomic("tolerations"),
        atomic("readinessGates"),
    ],
};

static POD_STATUS: TypeSchema = TypeSchema {
    name: "PodStatus",
    fields: &[
        merge_by("conditions", "type"),
        merge_by("hostIPs", "ip"),
        merge_by("podIPs", "ip"),
        merge_retain_by("resourceClaimStatuses", "name"),
        atomic("initContainerStatuses"),
        atomic("containerStatuses"),
        atomic("ephemeralContainerStatuses"),
    ],
};

static POD: TypeSchema = TypeSchema {
    name: "Pod",
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &POD_SPEC),
        nested("status", &POD_STATUS),
    ],
};

static SERVICE_SPEC: TypeSchema = TypeSchema {
    name: "ServiceSpec",
    fields: &[
        merge_by("ports", "port"),
        atomic("clusterIPs"),
        atomic("externalIPs"),
        atomic("ipFamilies"),
        atomic("loadBalancerSourceRanges"),
    ],
};

static SERVICE_STATUS: TypeSchema = TypeSchema {
    name: "ServiceStatus",
    fields: &[merge_by("conditions", "type")],
};

static SERVICE: TypeSchema = TypeSchema {
    name: "Service",
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &SERVICE_SPEC),
        nested("status", &SERVICE_STATUS),
    ],
};

static ENDPOINTS: TypeSchema = TypeSchema {
    name: "Endpoints",
    fields: &[nested("metadata", &OBJECT_META), atomic("subsets")],
};

static ENDPOINT_SLICE: TypeSchema = TypeSchema {
    name: "EndpointSlice",
    fields: &[
        nested("metadata", &OBJECT_META),
        atomic("endpoints"),
        atomic("ports"),
    ],
};

static NODE_SPEC: TypeSchema = TypeSchema {
    name: "NodeSpec",
    fields: &[merge_primitive("podCIDRs"), atomic("taints")],
};

static NODE_STATUS: TypeSchema = TypeSchema {
    name: "NodeStatus",
    fields: &[
        merge_by("conditions", "type"),
        merge_by("addresses", "type"),
        atomic("images"),
        atomic("volumesInUse"),
        atomic("volumesAttached"),
    ],
};

static NODE: TypeSchema = TypeSchema {
    name: "Node",
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &NODE_SPEC),
        nested("status", &NODE_STATUS),
    ],
};

static NAMESPACE_SPEC: TypeSchema = TypeSchema {
    name: "NamespaceSpec",
    fields: &[atomic("finalizers")],
};

static NAMESPACE_STATUS: TypeSchema = TypeSchema {
    name: "NamespaceStatus",
    fields: &[merge_by("conditions", "type")],
};

static NAMESPACE: TypeSchema = TypeSchema {
    name: "Namespace",
    fields: &[
        nested("metadata", &OBJECT_META),
        nested("spec", &NAMESPACE_SPEC),
        nested("status", &NAMESPACE_STATUS),
    ],
};

static EVENT: TypeSchema = TypeSchema {
    name: "Event",
    fields: &[nested("metadata", &OBJECT_META)],
};

static SERVICE_ACCOUNT: TypeSchema = TypeSchema {
    name: "ServiceAccount",
    fields: &[
        nested("metadata", &OBJECT_META),
        merge_by("secrets", "name"),
        atomic("imagePullSecrets"),
    ],
};

/// The schema of a top-level kind, `None` for kinds without strategic-merge support.
pub fn kind_schema(kind: &str) -> Option<&'static TypeSchema> {
    Some(match kind {
        "Pod" => &POD,
        "Service" => &SERVICE,
        "Endpoints" => &ENDPOINTS,
        "EndpointSlice" => &ENDPOINT_SLICE,
        "Node" => &NODE,
        "Namespace" => &NAMESPACE,
        "Event" => &EVENT,
        "ServiceAccount" => &SERVICE_ACCOUNT,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resolves a dotted path the way the merge walks it (list fields step to their items).
    fn lookup(kind: &str, path: &str) -> &'static Field {
        let mut ty = kind_schema(kind).expect("known kind");
        let mut names = path.split('.').peekable();
        loop {
            let field = ty.field(names.next().expect("non-empty path"));
            if names.peek().is_none() {
                return field;
            }
            ty = field.ty.expect("path goes through a described type");
        }
    }

    #[test]
    fn table_matches_upstream_tags() {
        let by = |key| Strategy::MergeByKey {
            key,
            retain_keys: false,
        };
        let retain = |key| Strategy::MergeByKey {
            key,
            retain_keys: true,
        };
        let cases = [
            ("Pod", "metadata.finalizers", Strategy::MergePrimitive),
            ("Pod", "metadata.ownerReferences", by("uid")),
            ("Pod", "metadata.managedFields", Strategy::Default),
            ("Pod", "metadata.labels", Strategy::Default),
            ("Pod", "spec.volumes", retain("name")),
            ("Pod", "spec.containers", by("name")),
            ("Pod", "spec.initContainers", by("name")),
            ("Pod", "spec.ephemeralContainers", by("name")),
            ("Pod", "spec.containers.ports", by("containerPort")),
            ("Pod", "spec.containers.env", by("name")),
            ("Pod", "spec.containers.envFrom", Strategy::Default),
            ("Pod", "spec.containers.volumeMounts", by("mountPath")),
            ("Pod", "spec.containers.volumeDevices", by("devicePath")),
            ("Pod", "spec.containers.resizePolicy", Strategy::Default),
            ("Pod", "spec.ephemeralContainers.env", by("name")),
            ("Pod", "spec.imagePullSecrets", by("name")),
            ("Pod", "spec.hostAliases", by("ip")),
            ("Pod", "spec.tolerations", Strategy::Default),
            ("Pod", "spec.topologySpreadConstraints", by("topologyKey")),
            ("Pod", "spec.schedulingGates", by("name")),
            ("Pod", "spec.resourceClaims", retain("name")),
            ("Pod", "status.conditions", by("type")),
            ("Pod", "status.containerStatuses", Strategy::Default),
            ("Pod", "status.podIPs", by("ip")),
            ("Pod", "status.hostIPs", by("ip")),
            ("Service", "spec.ports", by("port")),
            ("Service", "spec.clusterIPs", Strategy::Default),
            ("Service", "status.conditions", by("type")),
            ("Endpoints", "subsets", Strategy::Default),
            ("EndpointSlice", "endpoints", Strategy::Default),
            ("Node", "spec.podCIDRs", Strategy::MergePrimitive),
            ("Node", "spec.taints", Strategy::Default),
            ("Node", "status.addresses", by("type")),
            ("Node", "status.conditions", by("type")),
            ("Namespace", "spec.finalizers", Strategy::Default),
            ("Namespace", "status.conditions", by("type")),
            ("Namespace", "metadata.finalizers", Strategy::MergePrimitive),
            ("Event", "metadata.ownerReferences", by("uid")),
            ("ServiceAccount", "secrets", by("name")),
            ("ServiceAccount", "imagePullSecrets", Strategy::Default),
        ];
        for (kind, path, want) in cases {
            assert_eq!(lookup(kind, path).strategy, want, "{kind} {path}");
        }
    }

    #[test]
    fn helpers_follow_the_strategy() {
        let finalizers = lookup("Pod", "metadata.finalizers");
        assert_eq!(
            (
                finalizers.merge_key(),
                finalizers.merges(),
                finalizers.element_kind()
            ),
            ("", true, "string")
        );
        let ports = lookup("Service", "spec.ports");
        assert_eq!((ports.merge_key(), ports.merges()), ("port", true));
        let unknown = lookup("Pod", "spec.whatever");
        assert_eq!((unknown.merge_key(), unknown.merges()), ("", false));
        assert!(kind_schema("ConfigMapThing").is_none());
    }
}
