//! When a periodic background job (the click sync, the webhook worker) runs: every `interval` from a random
//! phase (so instances started together do not run in step), one pass at a time, pausing after failures
//! (the interval doubled per failure in a row, at most a minute).

use std::time::{Duration, Instant};

#[derive(Debug)]
pub(super) struct Pacing {
    interval: Duration,
    running: bool,
    failures: u32,
    paused_until: Option<Instant>,
}

impl Pacing {
    pub(super) fn new(interval: Duration) -> Self {
        Pacing {
            interval,
            running: false,
            failures: 0,
            paused_until: None,
        }
    }

    pub(super) fn interval(&self) -> Duration {
        self.interval
    }

    /// How long to wait before the first pass: a random part of the interval.
    pub(super) fn phase(&self) -> Duration {
        let interval_ms = u64::try_from(self.interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        Duration::from_millis(rand::random_range(0..interval_ms))
    }

    /// Whether a pass may start now (none running, no pause); if so, it counts as running.
    pub(super) fn start(&mut self) -> bool {
        if self.running
            || self
                .paused_until
                .is_some_and(|until| Instant::now() < until)
        {
            return false;
        }
        self.running = true;
        true
    }

    /// The pass started by [`Pacing::start`] ended.
    pub(super) fn finished(&mut self) {
        self.running = false;
    }

    /// A pass succeeded: the pause ends. Returns how many passes had failed in a row before it.
    pub(super) fn succeeded(&mut self) -> u32 {
        self.paused_until = None;
        std::mem::take(&mut self.failures)
    }

    /// A pass failed: returns how many have failed in a row, and how long passes now pause.
    pub(super) fn failed(&mut self) -> (u32, Duration) {
        self.failures += 1;
        let pause = self
            .interval
            .saturating_mul(1 << self.failures.min(6))
            .min(Duration::from_secs(60));
        self.paused_until = Some(Instant::now() + pause);
        (self.failures, pause)
    }
}

/// Milliseconds, for log fields.
pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
