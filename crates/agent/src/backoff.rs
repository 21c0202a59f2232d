//! kubelet's restart back-off (`flowcontrol.Backoff` with 10 s initial, 5 min maximum): the
//! first failure restarts at once and arms 10 s; each further failure inside the window waits,
//! doubles the delay up to 5 minutes; an entry idle for twice the maximum (10 minutes of the
//! container running fine) starts over. Pure: times are passed in.

use std::time::Duration;

use tokio::time::Instant;

/// First back-off delay.
pub const INITIAL: Duration = Duration::from_secs(10);
/// Largest back-off delay.
pub const MAX: Duration = Duration::from_secs(300);

/// One container's (or one image pull's) back-off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backoff {
    entry: Option<Entry>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    delay: Duration,
    last_update: Instant,
}

impl Backoff {
    /// Whether a restart must still wait at `now` after a failure at `failed_at`.
    pub fn waiting(&self, failed_at: Instant, now: Instant) -> bool {
        self.entry
            .is_some_and(|e| now.saturating_duration_since(failed_at) < e.delay)
    }

    /// The current delay (what the `back-off 10s restarting …` message shows).
    pub fn delay(&self) -> Duration {
        self.entry.map_or(INITIAL, |e| e.delay)
    }

    /// Records a restart at `now`: arms [`INITIAL`] the first time (or after a long quiet
    /// period), doubles the delay up to [`MAX`] otherwise.
    pub fn next(&mut self, now: Instant) {
        let delay = match self.entry {
            Some(e) if now.saturating_duration_since(e.last_update) <= 2 * MAX => {
                (e.delay * 2).min(MAX)
            }
            _ => INITIAL,
        };
        self.entry = Some(Entry {
            delay,
            last_update: now,
        });
    }
}

/// Go's `time.Duration.String()` for whole seconds and minutes, e.g. `10s`, `1m20s`, `5m0s`.
pub fn go_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m{}s", secs / 60, secs % 60)
    } else {
        format!("{}h{}m{}s", secs / 3600, secs / 60 % 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_and_reset() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut b = Backoff::default();
        assert!(!b.waiting(t0, t0), "the first failure restarts at once");
        b.next(t0);
        assert!(b.waiting(t0, t0 + s(9)));
        assert!(!b.waiting(t0, t0 + s(10)));
        let mut delays = Vec::new();
        for i in 1..8 {
            b.next(t0 + s(i));
            delays.push(go_duration(b.delay()));
        }
        assert_eq!(
            delays,
            ["20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s", "5m0s"]
        );
        b.next(t0 + s(8) + 2 * MAX + s(1));
        assert_eq!(b.delay(), INITIAL, "a quiet period resets the back-off");
    }
}
