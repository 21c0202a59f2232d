//! The store's single error type.

use crate::kv::{KeyValue, Revision};

/// Everything a [`Store`](crate::Store) operation can fail with.
///
/// Retryability: `Conflict` is retryable after re-reading the key (the usual
/// GuaranteedUpdate loop); `Expired` is resolved by a fresh list followed by a watch from the
/// list's revision; `Backend` may be transient (I/O) and is safe to retry for reads — for writes
/// the outcome is unknown and must be re-read. `AlreadyExists` and `NotFound` are final answers.
#[derive(thiserror::Error, Debug)]
pub enum Error {
    /// `create` found the key already present.
    #[error("key exists")]
    AlreadyExists,
    /// `update` or `delete` found no such key.
    #[error("key not found")]
    NotFound,
    /// The key's `mod_revision` differs from the caller's precondition; `current` is what is
    /// stored now, so the caller can retry without another read.
    #[error("resource version conflicts")]
    Conflict { current: Option<KeyValue> },
    /// A watch asked for events after `requested`, but history up to and including `oldest`
    /// has been compacted away. Any `from >= oldest` can still be served.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired {
        requested: Revision,
        oldest: Revision,
    },
    /// The storage engine failed (I/O, corruption, writer thread gone).
    #[error("storage backend error: {0}")]
    Backend(String),
}
