//! The bounded, in-order log of recent events that lets a watch start in the past.

use std::collections::VecDeque;

use crate::event::Event;
use crate::kv::Revision;

/// The last `limit` events, contiguous in revision (every revision is exactly one event).
#[derive(Debug)]
pub(crate) struct History {
    events: VecDeque<Event>,
    limit: usize,
    /// Highest revision whose event is no longer retained; a watch may start at any
    /// `from >= compacted`.
    compacted: Revision,
}

impl History {
    /// A history holding `events` (oldest first, already contiguous) with everything up to
    /// `compacted` forgotten. Keeps only the newest `limit` events.
    pub(crate) fn new(events: Vec<Event>, compacted: Revision, limit: usize) -> Self {
        let mut history = History {
            events: VecDeque::with_capacity(events.len().min(limit)),
            limit,
            compacted,
        };
        for event in events {
            history.push(event);
        }
        history
    }

    pub(crate) fn push(&mut self, event: Event) {
        self.events.push_back(event);
        while self.events.len() > self.limit {
            if let Some(dropped) = self.events.pop_front() {
                self.compacted = dropped.revision();
            }
        }
    }

    #[cfg(test)]
    fn compacted(&self) -> Revision {
        self.compacted
    }

    /// Retained events on keys starting with `prefix` with revision greater than `from`, or
    /// `Err(compacted)` when some of those events are no longer retained.
    pub(crate) fn since(&self, from: Revision, prefix: &str) -> Result<VecDeque<Event>, Revision> {
        if from < self.compacted {
            return Err(self.compacted);
        }
        let start = self
            .events
            .partition_point(|event| event.revision() <= from);
        Ok(self
            .events
            .range(start..)
            .filter(|event| event.key().starts_with(prefix))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::KeyValue;

    fn put(key: &str, revision: Revision) -> Event {
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

    fn revisions(events: &VecDeque<Event>) -> Vec<Revision> {
        events.iter().map(Event::revision).collect()
    }

    #[test]
    fn since_respects_window_and_prefix() {
        let mut history = History::new(Vec::new(), 1, 3);
        for (revision, key) in [(2, "/a/1"), (3, "/b/1"), (4, "/a/2"), (5, "/a/3")] {
            history.push(put(key, revision));
        }
        // Revision 2 fell out of the window of 3 events.
        assert_eq!(history.compacted(), 2);
        type Case = (Revision, &'static str, Result<Vec<Revision>, Revision>);
        let cases: &[Case] = &[
            (1, "", Err(2)),
            (2, "", Ok(vec![3, 4, 5])),
            (2, "/a/", Ok(vec![4, 5])),
            (4, "/a/", Ok(vec![5])),
            (5, "", Ok(vec![])),
            (9, "", Ok(vec![])),
        ];
        for (from, prefix, expected) in cases {
            let got = history
                .since(*from, prefix)
                .map(|events| revisions(&events));
            assert_eq!(&got, expected, "since({from}, {prefix:?})");
        }
    }

    #[test]
    fn new_trims_to_limit() {
        let events = (2..=6).map(|revision| put("/k", revision)).collect();
        let history = History::new(events, 1, 2);
        assert_eq!(history.compacted(), 4);
        assert_eq!(revisions(&history.since(4, "").unwrap()), vec![5, 6]);
    }
}
