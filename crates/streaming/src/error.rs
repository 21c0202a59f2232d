//! [`StreamError`]: why a [`crate::PodRuntime`] could not serve a streaming request, and the
//! HTTP status each reason is reported with.

use std::fmt::Write as _;

use rand::Rng as _;

/// Why the runtime refused or failed a request. None is retryable by the server; the client
/// sees the message (as a `Status` before an upgrade, or on the error channel after it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The pod or container is unknown to this node (404).
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be served in the container's current state (400), e.g.
    /// `previous terminated container "app" in pod "web" not found` or
    /// `container "app" in pod "web" is waiting to start: ContainerCreating`.
    #[error("{0}")]
    BadRequest(String),
    /// Anything else (500). For exec, the text follows `error executing command in
    /// container: ` in what kubectl prints, e.g. containerd's `failed to exec in container:
    /// failed to start exec "<id>": …` (see [`StreamError::exec_failed`]).
    #[error("{0}")]
    Internal(String),
}

impl StreamError {
    /// The HTTP status code this error is answered with before an upgrade.
    pub fn code(&self) -> u16 {
        match self {
            StreamError::NotFound(_) => 404,
            StreamError::BadRequest(_) => 400,
            StreamError::Internal(_) => 500,
        }
    }

    /// The `metav1.Status` reason matching [`StreamError::code`].
    pub fn reason(&self) -> &'static str {
        match self {
            StreamError::NotFound(_) => "NotFound",
            StreamError::BadRequest(_) => "BadRequest",
            StreamError::Internal(_) => "InternalError",
        }
    }

    /// containerd's text for a program that could not be started by exec:
    /// `failed to exec in container: failed to start exec "<64 hex digits>": <reason>`, where
    /// `reason` is e.g. [`kubelite_podsandbox::Error::ExecFailed`]'s message.
    pub fn exec_failed(reason: impl std::fmt::Display) -> StreamError {
        let mut id_bytes = [0u8; 32];
        rand::rng().fill(&mut id_bytes);
        let mut id = String::with_capacity(64);
        for b in id_bytes {
            let _ = write!(id, "{b:02x}");
        }
        StreamError::Internal(format!(
            "failed to exec in container: failed to start exec \"{id}\": {reason}"
        ))
    }
}
