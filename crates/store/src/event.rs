//! A single change to one key, as delivered to watchers and kept in the bounded history.

use crate::kv::{KeyValue, Revision};

/// One write, identified by the revision it created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A create (`prev` is `None`) or an update (`prev` is the value it replaced).
    Put {
        kv: KeyValue,
        prev: Option<KeyValue>,
    },
    /// A delete; `prev` is the value that was removed, `revision` the revision of the delete.
    Delete { prev: KeyValue, revision: Revision },
}

impl Event {
    /// The revision this write produced.
    pub fn revision(&self) -> Revision {
        match self {
            Event::Put { kv, .. } => kv.mod_revision,
            Event::Delete { revision, .. } => *revision,
        }
    }

    /// The key this write touched.
    pub fn key(&self) -> &str {
        match self {
            Event::Put { kv, .. } => &kv.key,
            Event::Delete { prev, .. } => &prev.key,
        }
    }
}
