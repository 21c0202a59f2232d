//! Storage for kubelite with etcd semantics, as kube-apiserver uses etcd3.
//!
//! The store keeps opaque object bytes under string keys. There is one global [`Revision`]
//! (1 for an empty store) that every successful write advances by exactly one; each
//! [`KeyValue`] records the revision that created it and the revision of its last write
//! (`mod_revision`, which the API server injects as `resourceVersion` on read). Writes are
//! conditional on `mod_revision` (compare-and-swap), and a watch delivers every event after a
//! revision, replaying the retained history first and then following live writes, without ever
//! skipping one.
//!
//! Backends implement [`Store`]:
//! - [`MemoryStore`]: volatile, for tests.
//! - [`SqliteStore`]: the embedded default; one SQLite file in WAL mode, a commit per write.
//!
//! Both are built on a shared in-memory engine (current keys in a `BTreeMap`, a bounded event
//! history, prefix fan-out to watchers); a backend only supplies the step that makes a planned
//! write durable before the engine makes it visible.
//!
//! # Watches
//! [`Store::watch`] returns a [`WatchStream`], a `futures::Stream<Item = Event>`. Each watcher
//! has a bounded buffer ([`Config::watch_buffer`]); a consumer that falls further behind is
//! disconnected (its stream ends after the buffered events) rather than silently losing events,
//! so the API server closes the HTTP watch and the client re-lists. A watch from a revision
//! older than the retained history ([`Config::history_limit`] events) fails with
//! [`Error::Expired`], which the API server turns into `410 Gone`.
//!
//! # Mapping to etcd (for a future etcd backend)
//! The trait is a subset of etcd's v3 API, so an etcd backend is a thin translation:
//! - `get(key)` → `Range(key)`; `KeyValue` maps field for field (`create_revision`,
//!   `mod_revision`, `value`).
//! - `list(prefix, start_after, limit)` → `Range(key = max(prefix, start_after + "\0"),
//!   range_end = prefix_end(prefix), limit)`; `ListResult.revision` is the response header's
//!   revision and `more` is the response's `more`.
//! - `create` → `Txn(If(CreateRevision(key) == 0), Then(Put(key)), Else(Range(key)))`; the else
//!   branch means [`Error::AlreadyExists`]. The new `KeyValue`'s revisions are the header
//!   revision.
//! - `update` → `Txn(If(ModRevision(key) == expected), Then(Put(key)), Else(Range(key)))`; an
//!   empty else-range is [`Error::NotFound`], otherwise [`Error::Conflict`] with that value.
//! - `delete` → `Txn(If(ModRevision(key) == expected) or If(CreateRevision(key) != 0),
//!   Then(DeleteRange(key, prev_kv)), Else(Range(key)))`; the delete revision is the header
//!   revision.
//! - `watch(prefix, from)` → `Watch(key = prefix, range_end = prefix_end(prefix),
//!   start_revision = from + 1, prev_kv = true)`, or without `start_revision` when `from == 0`.
//!   A PUT whose `create_revision == mod_revision` has `prev: None`; etcd's `ErrCompacted`
//!   (with `compact_revision`) becomes [`Error::Expired`]. The bounded per-watcher buffer is
//!   kept by the backend between the etcd watch channel and the [`WatchStream`].
//! - `current_revision()` is synchronous: the backend records the highest header revision it
//!   has seen (from responses and a progress-notify watch).
//! - History retention corresponds to etcd compaction; [`Config::history_limit`] would drive a
//!   periodic `Compact`.

mod config;
mod engine;
mod error;
mod event;
mod fanout;
mod history;
mod kv;
mod memory;
mod sqlite;
mod store;
mod watch;

pub use config::Config;
pub use error::Error;
pub use event::Event;
pub use kv::{KeyValue, Revision};
pub use memory::MemoryStore;
pub use sqlite::SqliteStore;
pub use store::{ListResult, Store};
pub use watch::WatchStream;
