//! The backend-neutral storage contract the API server is written against.

use crate::error::Error;
use crate::kv::{KeyValue, Revision};
use crate::watch::WatchStream;

/// One page of a prefix listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListResult {
    /// Matching keys in ascending key order.
    pub items: Vec<KeyValue>,
    /// The store revision this page reflects: every write up to it is included, none after.
    pub revision: Revision,
    /// `true` when more matching keys follow the last item (continue with
    /// `start_after = items.last().key`).
    pub more: bool,
}

/// A key-value store with etcd semantics: one global revision, per-key create/mod revisions,
/// compare-and-swap on `mod_revision`, and ordered, gap-free watches over a bounded history.
///
/// All methods are cheap to call from async code; no backend blocks the runtime.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// The current value of `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, Error>;

    /// Keys starting with `prefix` in key order, strictly after `start_after` if given, at most
    /// `limit` items (`more` is set when truncated). `Some(0)` means no limit, as in Kubernetes.
    /// Each page reflects the current state; pages are not one consistent snapshot.
    async fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListResult, Error>;

    /// Creates `key` if it does not exist; otherwise [`Error::AlreadyExists`].
    async fn create(&self, key: &str, value: Vec<u8>) -> Result<KeyValue, Error>;

    /// Replaces `key` if its `mod_revision` is `expected_mod_revision` (compare-and-swap).
    /// [`Error::NotFound`] if absent, [`Error::Conflict`] (carrying the current value) otherwise.
    async fn update(
        &self,
        key: &str,
        value: Vec<u8>,
        expected_mod_revision: Revision,
    ) -> Result<KeyValue, Error>;

    /// Deletes `key`, optionally only if its `mod_revision` matches. Returns the deleted value
    /// and the revision of the delete.
    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> Result<(KeyValue, Revision), Error>;

    /// Every event on keys starting with `prefix` whose revision is greater than `from`: first
    /// the retained history, then live events, in revision order, never skipping one.
    /// `from == 0` means "from now". [`Error::Expired`] when events after `from` were compacted.
    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, Error>;

    /// The revision of the latest acknowledged write (1 for an empty store).
    fn current_revision(&self) -> Revision;
}
