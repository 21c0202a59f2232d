//! The in-memory state machine every backend is built on: current keys, global revision,
//! bounded history and watcher fan-out, behind one lock.
//!
//! Writes are validated and applied by `Engine::write`, which calls a backend-supplied
//! `persist` step between deciding what the write does and making it visible. Readers and
//! watchers therefore only ever observe writes that the backend has made durable, and
//! registering a watch is atomic with respect to applying a write, which is what makes the
//! replay-then-live hand-over gap-free.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use crate::config::Config;
use crate::error::Error;
use crate::event::Event;
use crate::fanout::Fanout;
use crate::history::History;
use crate::kv::{KeyValue, Revision};
use crate::store::ListResult;
use crate::watch::WatchStream;

/// State recovered by a durable backend when it opens.
#[derive(Debug)]
pub(crate) struct Restored {
    pub(crate) kvs: BTreeMap<String, KeyValue>,
    pub(crate) revision: Revision,
    /// Retained events, oldest first, contiguous, ending at `revision`.
    pub(crate) history: Vec<Event>,
    /// Highest revision whose event is not in `history`.
    pub(crate) compacted: Revision,
}

impl Restored {
    /// The state of a store that has never been written to.
    pub(crate) fn empty() -> Self {
        Restored {
            kvs: BTreeMap::new(),
            revision: 1,
            history: Vec::new(),
            compacted: 1,
        }
    }
}

/// The backend's durability step for one planned write; it runs before the write becomes
/// visible, and an error aborts the write.
pub(crate) type Persist<'a> = &'a mut dyn FnMut(&Event) -> Result<(), Error>;

#[derive(Debug)]
pub(crate) struct Engine {
    /// Serialises writes from decision to visibility; never held by readers.
    writer: Mutex<()>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    kvs: BTreeMap<String, KeyValue>,
    revision: Revision,
    history: History,
    fanout: Fanout,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // State is only mutated after every fallible step, so a poisoned lock still guards
    // consistent data.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Engine {
    pub(crate) fn new(config: &Config, restored: Restored) -> Self {
        Engine {
            writer: Mutex::new(()),
            state: Mutex::new(State {
                kvs: restored.kvs,
                revision: restored.revision,
                history: History::new(restored.history, restored.compacted, config.history_limit()),
                fanout: Fanout::new(config.watch_buffer()),
            }),
        }
    }

    pub(crate) fn revision(&self) -> Revision {
        lock(&self.state).revision
    }

    pub(crate) fn get(&self, key: &str) -> Option<KeyValue> {
        lock(&self.state).kvs.get(key).cloned()
    }

    pub(crate) fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> ListResult {
        let limit = limit.filter(|&limit| limit > 0).unwrap_or(usize::MAX);
        let state = lock(&self.state);
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let mut matching = state
            .kvs
            .range::<str, _>((lower, Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(_, kv)| kv);
        let items: Vec<KeyValue> = matching.by_ref().take(limit).cloned().collect();
        let more = matching.next().is_some();
        ListResult {
            items,
            revision: state.revision,
            more,
        }
    }

    /// Creates `key` at the next revision unless it exists.
    pub(crate) fn create(
        &self,
        key: String,
        value: Bytes,
        persist: Persist<'_>,
    ) -> Result<KeyValue, Error> {
        self.write(
            |state, next| {
                if state.kvs.contains_key(&key) {
                    return Err(Error::AlreadyExists);
                }
                let kv = KeyValue {
                    key,
                    value,
                    create_revision: next,
                    mod_revision: next,
                };
                Ok((
                    Event::Put {
                        kv: kv.clone(),
                        prev: None,
                    },
                    kv,
                ))
            },
            persist,
        )
    }

    /// Replaces `key` at the next revision if its `mod_revision` is `expected`.
    pub(crate) fn update(
        &self,
        key: String,
        value: Bytes,
        expected: Revision,
        persist: Persist<'_>,
    ) -> Result<KeyValue, Error> {
        self.write(
            |state, next| {
                let current = state.current(&key, Some(expected))?;
                let kv = KeyValue {
                    key,
                    value,
                    create_revision: current.create_revision,
                    mod_revision: next,
                };
                let prev = Some(current.clone());
                Ok((
                    Event::Put {
                        kv: kv.clone(),
                        prev,
                    },
                    kv,
                ))
            },
            persist,
        )
    }

    /// Deletes `key` at the next revision, if its `mod_revision` matches `expected` when given.
    pub(crate) fn delete(
        &self,
        key: &str,
        expected: Option<Revision>,
        persist: Persist<'_>,
    ) -> Result<(KeyValue, Revision), Error> {
        self.write(
            |state, next| {
                let prev = state.current(key, expected)?.clone();
                Ok((
                    Event::Delete {
                        prev: prev.clone(),
                        revision: next,
                    },
                    (prev, next),
                ))
            },
            persist,
        )
    }

    /// Lets `plan` decide what the write does at the next revision, lets the backend
    /// `persist` that event, then makes it visible to readers and watchers. Nothing changes if
    /// either step fails.
    fn write<T>(
        &self,
        plan: impl FnOnce(&State, Revision) -> Result<(Event, T), Error>,
        persist: Persist<'_>,
    ) -> Result<T, Error> {
        let _writer = lock(&self.writer);
        let (event, outcome) = {
            let state = lock(&self.state);
            plan(&state, state.revision + 1)?
        };
        persist(&event)?;
        lock(&self.state).apply(event);
        Ok(outcome)
    }

    pub(crate) fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, Error> {
        let mut state = lock(&self.state);
        let from = if from == 0 { state.revision } else { from };
        let replay = state
            .history
            .since(from, prefix)
            .map_err(|oldest| Error::Expired {
                requested: from,
                oldest,
            })?;
        let live = state.fanout.subscribe(prefix);
        Ok(WatchStream::new(replay, live, from.max(state.revision)))
    }
}

impl State {
    /// The stored value of `key`, checked against an optional `mod_revision` precondition.
    fn current(&self, key: &str, expected: Option<Revision>) -> Result<&KeyValue, Error> {
        let current = self.kvs.get(key).ok_or(Error::NotFound)?;
        match expected {
            Some(expected) if expected != current.mod_revision => Err(Error::Conflict {
                current: Some(current.clone()),
            }),
            _ => Ok(current),
        }
    }

    fn apply(&mut self, event: Event) {
        match &event {
            Event::Put { kv, .. } => {
                self.kvs.insert(kv.key.clone(), kv.clone());
            }
            Event::Delete { prev, .. } => {
                self.kvs.remove(&prev.key);
            }
        }
        self.revision = event.revision();
        self.fanout.publish(&event);
        self.history.push(event);
    }
}

#[cfg(test)]
mod tests {
    use futures::{FutureExt, StreamExt};

    use super::*;

    #[test]
    fn failed_persist_changes_nothing() {
        let engine = Engine::new(&Config::default(), Restored::empty());
        let mut ok = |_: &Event| Ok(());
        engine
            .create("/a".to_owned(), Bytes::from_static(b"1"), &mut ok)
            .unwrap();
        let mut watch = engine.watch("/", 0).unwrap();
        let mut fail = |_: &Event| Err(Error::Backend("disk full".to_owned()));
        let attempts: [Result<(), Error>; 3] = [
            engine
                .create("/b".to_owned(), Bytes::new(), &mut fail)
                .map(drop),
            engine
                .update("/a".to_owned(), Bytes::new(), 2, &mut fail)
                .map(drop),
            engine.delete("/a", None, &mut fail).map(drop),
        ];
        for attempt in attempts {
            assert!(matches!(attempt, Err(Error::Backend(_))), "{attempt:?}");
        }
        assert_eq!(engine.revision(), 2);
        assert_eq!(engine.list("/", None, None).items.len(), 1);
        assert_eq!(engine.get("/a").unwrap().value, Bytes::from_static(b"1"));
        // The next successful write takes the next revision and is the first event seen.
        let created = engine
            .create("/c".to_owned(), Bytes::new(), &mut ok)
            .unwrap();
        assert_eq!(created.mod_revision, 3);
        let first = watch.next().now_or_never().flatten();
        assert_eq!(first.map(|event| event.revision()), Some(3));
    }
}
