//! Delivery of live events to registered watchers, grouped by prefix.
//!
//! Each watcher owns a bounded channel. Publishing never blocks the writer: a watcher whose
//! channel is full is unregistered on the spot, which ends its stream once the buffered events
//! are consumed. A watcher therefore sees a gap-free prefix of the event sequence, never a
//! sequence with holes.

use std::collections::HashMap;

use tokio::sync::mpsc::{self, error::TrySendError};

use crate::event::Event;

#[derive(Debug)]
pub(crate) struct Fanout {
    by_prefix: HashMap<String, Vec<mpsc::Sender<Event>>>,
    buffer: usize,
}

impl Fanout {
    pub(crate) fn new(buffer: usize) -> Self {
        Fanout {
            by_prefix: HashMap::new(),
            buffer,
        }
    }

    /// Registers a watcher for keys starting with `prefix`. Also forgets watchers whose
    /// receiving end was dropped, so idle prefixes do not accumulate dead senders.
    pub(crate) fn subscribe(&mut self, prefix: &str) -> mpsc::Receiver<Event> {
        self.by_prefix.retain(|_, senders| {
            senders.retain(|sender| !sender.is_closed());
            !senders.is_empty()
        });
        let (sender, receiver) = mpsc::channel(self.buffer);
        self.by_prefix
            .entry(prefix.to_owned())
            .or_default()
            .push(sender);
        receiver
    }

    /// Hands `event` to every watcher whose prefix matches its key.
    pub(crate) fn publish(&mut self, event: &Event) {
        let key = event.key();
        self.by_prefix.retain(|prefix, senders| {
            if key.starts_with(prefix.as_str()) {
                senders.retain(|sender| match sender.try_send(event.clone()) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_)) => {
                        tracing::debug!(
                            prefix = prefix.as_str(),
                            revision = event.revision(),
                            "watcher fell behind its buffer; ending its stream"
                        );
                        false
                    }
                    Err(TrySendError::Closed(_)) => false,
                });
            }
            !senders.is_empty()
        });
    }

    /// Number of registered watchers (test observability).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_prefix.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::KeyValue;

    fn put(key: &str, revision: i64) -> Event {
        Event::Put {
            kv: KeyValue {
                key: key.to_owned(),
                value: Default::default(),
                create_revision: revision,
                mod_revision: revision,
            },
            prev: None,
        }
    }

    #[test]
    fn full_or_dropped_watchers_are_unregistered() {
        let mut fanout = Fanout::new(1);
        let mut slow = fanout.subscribe("/a/");
        let dropped = fanout.subscribe("/a/");
        let mut other = fanout.subscribe("/b/");
        drop(dropped);
        fanout.publish(&put("/a/1", 2));
        assert_eq!(fanout.len(), 2, "the dropped watcher is gone");
        fanout.publish(&put("/a/2", 3));
        assert_eq!(fanout.len(), 1, "the full watcher is gone");
        assert_eq!(slow.try_recv().map(|e| e.revision()), Ok(2));
        assert!(slow.try_recv().is_err());
        assert!(slow.is_closed());
        assert!(other.try_recv().is_err());
        assert!(!other.is_closed());
    }
}
