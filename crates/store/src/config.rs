//! Tuning knobs shared by every backend.

/// How much history a store retains and how far a watcher may fall behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Number of most recent events kept for watches that start in the past. Values below 1
    /// are raised to 1, so the latest revision is always known.
    pub history_limit: usize,
    /// Events buffered per watcher for live delivery. A watcher whose buffer is full when a new
    /// event arrives is ended (its stream returns `None` after draining what it already has).
    /// Values below 1 are raised to 1.
    pub watch_buffer: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            history_limit: 10_000,
            watch_buffer: 1024,
        }
    }
}

impl Config {
    pub(crate) fn history_limit(&self) -> usize {
        self.history_limit.max(1)
    }

    pub(crate) fn watch_buffer(&self) -> usize {
        self.watch_buffer.max(1)
    }
}
