//! A token bucket: kubelet's client-side limit on Event writes (`eventRecordQPS` 50,
//! `eventBurst` 100). Over the limit a write waits; none is dropped.

use std::time::Duration;

use tokio::time::Instant;

/// Events per second kubelet writes at most, and the burst it allows.
pub(crate) const EVENT_QPS: f64 = 50.0;
pub(crate) const EVENT_BURST: f64 = 100.0;

/// Tokens refilled at `qps` up to `burst`; one per write.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    qps: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub(crate) fn new(qps: f64, burst: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            qps,
            burst,
            tokens: burst,
            at: now,
        }
    }

    /// Takes a token at `now`; returns how long to wait before the write it pays for.
    pub(crate) fn take(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.qps).min(self.burst) - 1.0;
        self.at = now;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.qps)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_free_then_writes_are_spaced_at_the_rate() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(50.0, 100.0, t0);
        for _ in 0..100 {
            assert_eq!(bucket.take(t0), Duration::ZERO);
        }
        // The 101st waits one interval, the 110th ten.
        assert_eq!(bucket.take(t0), Duration::from_millis(20));
        for _ in 0..8 {
            bucket.take(t0);
        }
        let wait = bucket.take(t0);
        assert!((wait.as_secs_f64() - 0.2).abs() < 1e-9, "{wait:?}");
        // Long enough later, the bucket is full again.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(bucket.take(later), Duration::ZERO);
        assert_eq!(bucket.tokens, 99.0);
    }
}
