//! `Status` errors: every failure leaves the server as a Kubernetes `Status` object with the code,
//! reason and message kube-apiserver would give.

use kubelite_api::validation::{FieldError, Path, invalid_message};
use serde_json::{Value, json};

/// An error answered to the client as a `Status`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn forbidden(resource: &str, name: &str, message: impl AsRef<str>) -> Self {
        let message = if name.is_empty() {
            format!("{resource} is forbidden: {}", message.as_ref())
        } else {
            format!("{resource} \"{name}\" is forbidden: {}", message.as_ref())
        };
        Self::new(403, "Forbidden", message).with_details(json!({"name": name, "kind": resource}))
    }

    pub fn not_found(resource: &str, name: &str) -> Self {
        Self::new(404, "NotFound", format!("{resource} \"{name}\" not found"))
            .with_details(json!({"name": name, "kind": resource}))
    }

    /// 404 for a URL that names no served resource.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".to_string(),
        )
        .with_details(json!({}))
    }

    pub fn already_exists(resource: &str, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{resource} \"{name}\" already exists"),
        )
        .with_details(json!({"name": name, "kind": resource}))
    }

    pub fn conflict(resource: &str, name: &str, message: impl AsRef<str>) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {resource} \"{name}\": {}",
                message.as_ref()
            ),
        )
        .with_details(json!({"name": name, "kind": resource}))
    }

    /// The optimistic-concurrency conflict.
    pub fn modified(resource: &str, name: &str) -> Self {
        Self::conflict(
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn too_large() -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
        )
    }

    /// 415 naming the media types this kind of request accepts.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }

    /// 422 with one cause per field error, as kube-apiserver's `NewInvalid`. `kind` is qualified
    /// with its group for non-core kinds (`EndpointSlice.discovery.k8s.io`).
    pub fn invalid(kind: &str, group: &str, name: &str, errors: &[FieldError]) -> Self {
        let qualified = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"reason": e.reason(), "message": e.message(), "field": e.field}))
            .collect();
        let mut details = json!({"name": name, "kind": kind, "causes": causes});
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        Self::new(422, "Invalid", invalid_message(&qualified, name, errors)).with_details(details)
    }

    /// 422 for a patch whose result does not decode strictly.
    pub fn invalid_patch(patched: &str, detail: &str) -> Self {
        let error = FieldError::invalid(&Path::new("patch"), patched, detail);
        Self::new(422, "Invalid", invalid_message("", "", std::slice::from_ref(&error)))
            .with_details(json!({"causes": [{"reason": error.reason(), "message": error.message(), "field": "patch"}]}))
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
        )
        .with_details(json!({"causes": [{"message": message.to_string()}]}))
    }

    /// Adds the group to `details` (kube-apiserver names it for non-core resources).
    pub fn in_group(mut self, group: &str) -> Self {
        if !group.is_empty()
            && let Some(Value::Object(d)) = self.details.as_mut()
        {
            d.insert("group".into(), Value::String(group.into()));
        }
        self
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            status["details"] = d.clone();
        }
        status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.code, self.reason, self.message)
    }
}

impl From<kubelite_store::Error> for ApiError {
    fn from(e: kubelite_store::Error) -> Self {
        match e {
            kubelite_store::Error::Expired { requested, oldest } => {
                ApiError::gone(format!("too old resource version: {requested} ({oldest})"))
            }
            other => ApiError::internal(other),
        }
    }
}

/// The `Status` a successful delete returns when the object is gone at once.
pub fn success_status(kind: &str, name: &str, group: &str, uid: &str) -> Value {
    let mut details = json!({"name": name, "kind": kind, "uid": uid});
    if !group.is_empty() {
        details["group"] = Value::String(group.into());
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}
