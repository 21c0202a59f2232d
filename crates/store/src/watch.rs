//! The stream a watcher consumes: replayed history first, then live events.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::mpsc;

use crate::event::Event;
use crate::kv::Revision;

/// A [`futures::Stream`] of [`Event`]s in strictly increasing revision order without gaps
/// (for the watched prefix).
///
/// Consume it with `futures::StreamExt::next`. The stream ends (`None`) when the consumer
/// fell further behind than the store's `watch_buffer` allows, or when the store is dropped;
/// in both cases the events it did yield are exact, and the consumer must re-list (or re-watch
/// from the revision of the last event it saw). Dropping the stream unregisters the watcher.
#[derive(Debug)]
pub struct WatchStream {
    replay: VecDeque<Event>,
    live: mpsc::Receiver<Event>,
    /// Live events at or below this revision were already replayed (or precede a watch that
    /// started in the future) and are skipped.
    after: Revision,
}

impl WatchStream {
    pub(crate) fn new(
        replay: VecDeque<Event>,
        live: mpsc::Receiver<Event>,
        after: Revision,
    ) -> Self {
        WatchStream {
            replay,
            live,
            after,
        }
    }
}

impl Stream for WatchStream {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let this = self.get_mut();
        if let Some(event) = this.replay.pop_front() {
            return Poll::Ready(Some(event));
        }
        loop {
            match this.live.poll_recv(cx) {
                Poll::Ready(Some(event)) if event.revision() <= this.after => continue,
                other => return other,
            }
        }
    }
}
