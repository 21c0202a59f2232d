//! The in-memory state machine every backend is built on: current keys, global revision,
//! bounded history and watcher fan-out, behind one lock.
//!
//! Writes are validated in a [`Batch`], which calls a backend-supplied `persist` step for each
//! write once it has decided what the write does; the batch's writes become visible together
//! when the backend publishes it, after making them durable (one commit for the whole batch:
//! group commit). A write in a batch sees the batch's earlier writes. Readers and watchers
//! therefore only ever observe writes that the backend has made durable, and registering a
//! watch is atomic with respect to publishing a batch, which is what makes the
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

    /// Starts a batch of writes; other batches wait until it is published or dropped.
    pub(crate) fn batch(&self) -> Batch<'_> {
        let writer = lock(&self.writer);
        let revision = lock(&self.state).revision;
        Batch {
            engine: self,
            _writer: writer,
            revision,
            staged: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    /// Creates `key` at the next revision unless it exists (a batch of one write).
    pub(crate) fn create(
        &self,
        key: String,
        value: Bytes,
        persist: Persist<'_>,
    ) -> Result<KeyValue, Error> {
        let mut batch = self.batch();
        let kv = batch.create(key, value, persist)?;
        batch.publish();
        Ok(kv)
    }

    /// Replaces `key` at the next revision if its `mod_revision` is `expected` (a batch of one
    /// write).
    pub(crate) fn update(
        &self,
        key: String,
        value: Bytes,
        expected: Revision,
        persist: Persist<'_>,
    ) -> Result<KeyValue, Error> {
        let mut batch = self.batch();
        let kv = batch.update(key, value, expected, persist)?;
        batch.publish();
        Ok(kv)
    }

    /// Deletes `key` at the next revision, if its `mod_revision` matches `expected` when given
    /// (a batch of one write).
    pub(crate) fn delete(
        &self,
        key: &str,
        expected: Option<Revision>,
        persist: Persist<'_>,
    ) -> Result<(KeyValue, Revision), Error> {
        let mut batch = self.batch();
        let deleted = batch.delete(key, expected, persist)?;
        batch.publish();
        Ok(deleted)
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

/// Writes decided one after another against the engine's state plus the batch's own earlier
/// writes, each persisted by the backend as it is decided, and made visible together by
/// [`Batch::publish`]. Dropping a batch instead makes none of them visible (the backend rolls
/// its writes back). Holds the engine's writer lock: one batch at a time.
pub(crate) struct Batch<'e> {
    engine: &'e Engine,
    _writer: MutexGuard<'e, ()>,
    /// The revision of the batch's last write (the engine's when it has none).
    revision: Revision,
    /// Keys written by the batch: their value now, `None` once deleted.
    staged: BTreeMap<String, Option<KeyValue>>,
    events: Vec<Event>,
}

impl Batch<'_> {
    /// Creates `key` at the next revision unless it exists.
    pub(crate) fn create(
        &mut self,
        key: String,
        value: Bytes,
        persist: Persist<'_>,
    ) -> Result<KeyValue, Error> {
        self.write(
            |batch, next| {
                if batch.current(&key, None).is_ok() {
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
        &mut self,
        key: String,
        value: Bytes,
        expected: Revision,
        persist: Persist<'_>,
    ) -> Result<KeyValue, Error> {
        self.write(
            |batch, next| {
                let current = batch.current(&key, Some(expected))?;
                let kv = KeyValue {
                    key,
                    value,
                    create_revision: current.create_revision,
                    mod_revision: next,
                };
                Ok((
                    Event::Put {
                        kv: kv.clone(),
                        prev: Some(current),
                    },
                    kv,
                ))
            },
            persist,
        )
    }

    /// Deletes `key` at the next revision, if its `mod_revision` matches `expected` when given.
    pub(crate) fn delete(
        &mut self,
        key: &str,
        expected: Option<Revision>,
        persist: Persist<'_>,
    ) -> Result<(KeyValue, Revision), Error> {
        self.write(
            |batch, next| {
                let prev = batch.current(key, expected)?;
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

    /// Makes every write of the batch visible to readers and watchers, in order.
    pub(crate) fn publish(self) {
        let mut state = lock(&self.engine.state);
        for event in self.events {
            state.apply(event);
        }
    }

    /// Lets `plan` decide what the write does at the next revision and the backend `persist`
    /// that event, then stages it. Nothing changes if either step fails.
    fn write<T>(
        &mut self,
        plan: impl FnOnce(&Self, Revision) -> Result<(Event, T), Error>,
        persist: Persist<'_>,
    ) -> Result<T, Error> {
        let (event, outcome) = plan(self, self.revision + 1)?;
        persist(&event)?;
        self.revision = event.revision();
        match &event {
            Event::Put { kv, .. } => self.staged.insert(kv.key.clone(), Some(kv.clone())),
            Event::Delete { prev, .. } => self.staged.insert(prev.key.clone(), None),
        };
        self.events.push(event);
        Ok(outcome)
    }

    /// The value of `key` as the batch sees it, checked against an optional `mod_revision`
    /// precondition.
    fn current(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue, Error> {
        let current = match self.staged.get(key) {
            Some(staged) => staged.clone(),
            None => lock(&self.engine.state).kvs.get(key).cloned(),
        }
        .ok_or(Error::NotFound)?;
        match expected {
            Some(expected) if expected != current.mod_revision => Err(Error::Conflict {
                current: Some(current),
            }),
            _ => Ok(current),
        }
    }
}

impl State {
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
    #[test]
    fn a_batch_sees_its_own_writes_and_publishes_them_together() {
        let engine = Engine::new(&Config::default(), Restored::empty());
        let mut ok = |_: &Event| Ok(());
        let mut watch = engine.watch("/", 0).unwrap();
        let mut batch = engine.batch();
        let created = batch
            .create("/a".to_owned(), Bytes::from_static(b"1"), &mut ok)
            .unwrap();
        assert!(matches!(
            batch.create("/a".to_owned(), Bytes::new(), &mut ok),
            Err(Error::AlreadyExists)
        ));
        let updated = batch
            .update(
                "/a".to_owned(),
                Bytes::from_static(b"2"),
                created.mod_revision,
                &mut ok,
            )
            .unwrap();
        assert_eq!(updated.create_revision, 2);
        assert_eq!(updated.mod_revision, 3);
        assert!(matches!(
            batch.update("/a".to_owned(), Bytes::new(), created.mod_revision, &mut ok),
            Err(Error::Conflict { .. })
        ));
        batch.delete("/a", Some(3), &mut ok).unwrap();
        assert!(matches!(
            batch.delete("/a", None, &mut ok),
            Err(Error::NotFound)
        ));
        let again = batch
            .create("/a".to_owned(), Bytes::from_static(b"3"), &mut ok)
            .unwrap();
        assert_eq!(again.create_revision, 5);
        // Nothing is visible before the batch is published.
        assert_eq!(engine.revision(), 1);
        assert!(engine.get("/a").is_none());
        assert!(watch.next().now_or_never().is_none());
        batch.publish();
        assert_eq!(engine.revision(), 5);
        assert_eq!(engine.get("/a").unwrap().value, Bytes::from_static(b"3"));
        let seen: Vec<Revision> = (0..4)
            .map(|_| watch.next().now_or_never().flatten().unwrap().revision())
            .collect();
        assert_eq!(seen, [2, 3, 4, 5]);
    }

    #[test]
    fn a_dropped_batch_changes_nothing() {
        let engine = Engine::new(&Config::default(), Restored::empty());
        let mut ok = |_: &Event| Ok(());
        let mut batch = engine.batch();
        batch
            .create("/a".to_owned(), Bytes::new(), &mut ok)
            .unwrap();
        drop(batch);
        assert_eq!(engine.revision(), 1);
        assert!(engine.get("/a").is_none());
        let created = engine
            .create("/b".to_owned(), Bytes::new(), &mut ok)
            .unwrap();
        assert_eq!(created.mod_revision, 2, "the revision was not used");
    }
}
