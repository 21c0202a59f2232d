//! The crate's one error type.

use std::io;
use std::path::{Path, PathBuf};

/// What can go wrong with a pod sandbox.
///
/// Retryable: [`Error::Io`] and [`Error::Protocol`] after a transient failure (reconnect with
/// [`crate::PodSandbox::connect`]). [`Error::InitGone`] means the pod's processes are gone: the
/// agent reports its containers as terminated (status unknown) and calls [`crate::destroy`].
/// [`Error::StartFailed`] and [`Error::ExecFailed`] are the workload's fault and final.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pod UID that is not usable as a directory name.
    #[error("invalid pod UID {0:?}")]
    InvalidUid(String),
    /// A container name that is empty or too long.
    #[error("invalid container name {0:?}")]
    InvalidName(String),
    /// `create` found a live init for this UID.
    #[error("pod sandbox {0} already exists")]
    SandboxExists(String),
    /// The pod's init is not running (or its PID now belongs to another process).
    #[error("pod sandbox {0}: init process is not running")]
    InitGone(String),
    /// The init could not set up the pod's namespaces.
    #[error("pod sandbox {uid}: init failed: {message}")]
    InitFailed {
        /// Pod UID.
        uid: String,
        /// What the init reported (or its log).
        message: String,
    },
    /// A container could not be started. `message` is runc's reason, e.g.
    /// `exec: "nope": executable file not found in $PATH`; see
    /// [`crate::oci_create_failed_message`] for the text kubelet shows.
    #[error("{message}")]
    StartFailed {
        /// Runc-style reason.
        message: String,
    },
    /// The init refused a request (unknown container, already running, pod stopping).
    #[error("{0}")]
    Rejected(String),
    /// An exec'd command could not be started. The text is what kubectl shows after
    /// `error executing command in container: failed to exec in container: failed to start exec "<id>": `.
    #[error("{0}")]
    ExecFailed(String),
    /// A system call failed.
    #[error("{op}: {source}")]
    Sys {
        /// What was attempted.
        op: &'static str,
        /// The errno.
        source: nix::errno::Errno,
    },
    /// File or socket IO failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was attempted.
        op: &'static str,
        /// On what.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The control channel carried something unexpected.
    #[error("pod init control channel: {0}")]
    Protocol(String),
}

impl Error {
    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Error {
        Error::Io {
            op,
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn sys(op: &'static str) -> impl FnOnce(nix::errno::Errno) -> Error {
        move |source| Error::Sys { op, source }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
