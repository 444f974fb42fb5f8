//! The circuit breaker in front of Redis: a dead Redis costs requests nothing but one failed call per
//! back-off.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Closed while Redis answers. After a failure it opens for a back-off (250 ms, doubling to 2 s) during
/// which calls fail at once without waiting on a dead server; then one call tries again. A refusal (an error
/// reply, such as a demoted primary's `READONLY`) costs no waiting, so it opens the breaker for 250 ms only:
/// a promoted primary is back in use within that.
///
/// The back-off is short because a Redis that comes back (a restart, a promoted replica, a cluster that
/// elected a new primary) should carry clicks again within a couple of seconds; while it is down, one call
/// per back-off waits up to `REDIS_TIMEOUT_MS`.
#[derive(Debug, Default)]
pub(super) struct CircuitBreaker {
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
}

/// The longest the breaker stays open after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

impl CircuitBreaker {
    pub(super) fn allows(&self) -> bool {
        match self.open_until.lock() {
            Ok(open_until) => open_until.is_none_or(|until| Instant::now() >= until),
            Err(_) => true,
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.failures.load(Ordering::Relaxed) == 0
    }

    pub(super) fn failure(&self) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        let backoff = Duration::from_millis(250)
            .saturating_mul(1 << failures.saturating_sub(1).min(3))
            .min(MAX_BACKOFF);
        self.open_for(failures, backoff);
    }

    pub(super) fn refusal(&self) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        self.open_for(failures, Duration::from_millis(250));
    }

    fn open_for(&self, failures: u32, backoff: Duration) {
        if let Ok(mut open_until) = self.open_until.lock() {
            *open_until = Some(Instant::now() + backoff);
        }
        if failures == 1 {
            tracing::warn!(
                "redis is not answering: clicks go straight to the database until it is back"
            );
        }
    }

    pub(super) fn success(&self) {
        if self.failures.swap(0, Ordering::Relaxed) > 0 {
            tracing::info!("redis answers again: clicks go through the cache");
        }
        if let Ok(mut open_until) = self.open_until.lock() {
            *open_until = None;
        }
    }
}
