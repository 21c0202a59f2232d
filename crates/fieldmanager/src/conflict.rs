//! Apply conflicts and the 409 Status text kube-apiserver builds for them
//! (upstream `internal/conflict.go` `NewConflictError`).

/// One field another manager owns with a different value than the applied configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager's name, e.g. `kubectl-client-side-apply`.
    pub manager: String,
    /// The field path, e.g. `.spec.ports[port=80,protocol="TCP"].targetPort`.
    pub field: String,
    /// `Apply` or `Update`: the other manager's operation.
    pub operation: String,
    /// The other manager's apiVersion (printed for Update managers only).
    pub api_version: String,
    /// The other manager's subresource, empty for the main resource.
    pub subresource: String,
    /// The manager identifier upstream sorts by.
    pub(crate) sort_key: String,
}

/// How upstream `printManager` names a manager: `"name"`, plus ` with subresource "s"`, plus
/// ` using v1` for Update managers.
fn print_manager(c: &Conflict) -> String {
    let mut s = format!("{:?}", c.manager);
    if !c.subresource.is_empty() {
        s = format!("{s} with subresource {:?}", c.subresource);
    }
    if c.operation == "Update" {
        s = format!("{s} using {}", c.api_version);
    }
    s
}

/// The Status message of the 409 Conflict for a failed apply.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            print_manager(only),
            only.field
        );
    }
    let mut managers: Vec<&Conflict> = Vec::new();
    for c in conflicts {
        if !managers.iter().any(|m| m.sort_key == c.sort_key) {
            managers.push(c);
        }
    }
    managers.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    let mut lines = Vec::new();
    for m in managers {
        lines.push(format!("conflicts with {}:", print_manager(m)));
        for c in conflicts.iter().filter(|c| c.sort_key == m.sort_key) {
            lines.push(format!("- {}", c.field));
        }
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// The Status causes: `(reason, message, field)` per conflict, reason `FieldManagerConflict`.
pub fn conflict_causes(conflicts: &[Conflict]) -> Vec<(String, String, String)> {
    conflicts
        .iter()
        .map(|c| {
            (
                "FieldManagerConflict".to_string(),
                format!("conflict with {}", print_manager(c)),
                c.field.clone(),
            )
        })
        .collect()
}
