//! The stored unit: a key, its opaque value bytes and the two revisions etcd keeps per key.

use bytes::Bytes;

/// A position in the store's single, global, strictly increasing history.
///
/// An empty store is at revision 1 (as etcd is); every successful write (create, update or
/// delete) advances it by exactly one, and a revision is never handed out twice, not even across
/// restarts or after the key that received it is deleted.
pub type Revision = i64;

/// One key as it exists at some revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    /// The stored bytes. `Bytes` makes cloning (for list results and watch fan-out) O(1).
    pub value: Bytes,
    /// Revision of the write that created this incarnation of the key. A delete followed by a
    /// create starts a new incarnation with a new `create_revision`.
    pub create_revision: Revision,
    /// Revision of the last write to this key; the API server exposes it as `resourceVersion`.
    pub mod_revision: Revision,
}
