//! The controllers' one error type. Every variant is retryable: the failed key is requeued with
//! backoff and reconciled again from the cache, so nothing is lost.

use crate::key::ObjectKey;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An API call failed (conflict with a concurrent writer, server unavailable, ...).
    #[error("{action} {what}: {source}")]
    Api {
        action: &'static str,
        what: String,
        #[source]
        source: kube::Error,
    },
    /// The watch cache does not yet show this controller's own last writes for the key;
    /// planning from it could duplicate or undo them. Clears once the watch catches up.
    #[error("the cache is behind the last writes for {0}")]
    StaleCache(ObjectKey),
}

impl Error {
    pub fn api(action: &'static str, what: impl Into<String>, source: kube::Error) -> Error {
        Error::Api {
            action,
            what: what.into(),
            source,
        }
    }
}

/// Whether an API error is a 404 Not Found.
pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
