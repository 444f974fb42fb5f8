//! The time a request or a sync pass happens at. Rules take the instant as an argument; what asks for the
//! instant holds a [`Clock`], which tests can fix.

use std::sync::{Arc, Mutex};

use chrono::{NaiveDateTime, Timelike, Utc};

/// The system clock's instant as the database stores it (UTC, microseconds): the one place the wall clock is
/// read; everything else asks a [`Clock`].
fn system_now() -> NaiveDateTime {
    truncate(Utc::now().naive_utc())
}

fn truncate(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond((at.nanosecond() / 1_000) * 1_000)
        .unwrap_or(at)
}

/// The hour `at` falls in, as whole hours since 1970-01-01T00:00Z: the bucket a click made then is counted
/// in (README "Click counting").
pub fn hour_of(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp().div_euclid(3600)
}

/// The UTC day `at` falls in, as whole days since 1970-01-01: the day a reader is counted in and whose salt
/// hashes them.
pub fn day_of(at: NaiveDateTime) -> i64 {
    hour_of(at).div_euclid(24)
}

/// Where "now" comes from: the system clock, or an instant a test set.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<NaiveDateTime>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock::default()
    }

    /// A clock that stays at `at` until [`Clock::set`] moves it.
    pub fn fixed(at: NaiveDateTime) -> Self {
        Clock {
            fixed: Some(Arc::new(Mutex::new(truncate(at)))),
        }
    }

    /// Moves a fixed clock (a system clock ignores this).
    pub fn set(&self, at: NaiveDateTime) {
        if let Some(fixed) = &self.fixed {
            if let Ok(mut instant) = fixed.lock() {
                *instant = truncate(at);
            }
        }
    }

    pub fn now(&self) -> NaiveDateTime {
        match &self.fixed {
            Some(fixed) => fixed
                .lock()
                .map_or_else(|_| system_now(), |instant| *instant),
            None => system_now(),
        }
    }
}

/// The two clocks. `requests` says what is published and which hour a click falls in (tests fix it to see
/// scheduled posts appear); `real` stamps what is scheduled or aged against the time receivers, leases and
/// retention live in: webhook deliveries and their retries, the click ledger. In production both are the
/// system clock.
#[derive(Debug, Clone, Default)]
pub struct Clocks {
    pub requests: Clock,
    pub real: Clock,
}

impl Clocks {
    /// The instants of a write made now.
    pub fn write_time(&self) -> WriteTime {
        WriteTime {
            at: self.requests.now(),
            real: self.real.now(),
        }
    }
}

/// When a write happens: `at` on the requests clock (what it stamps on content), `real` on the real clock
/// (when the webhook deliveries it causes are due).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteTime {
    pub at: NaiveDateTime,
    pub real: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stays_where_it_is_set_in_whole_microseconds() {
        let start = chrono::DateTime::from_timestamp(1_700_000_000, 123_456_789)
            .unwrap_or_default()
            .naive_utc();
        let clock = Clock::fixed(start);
        assert_eq!(clock.now().nanosecond(), 123_456_000);
        clock.set(start + chrono::Duration::hours(1));
        assert_eq!(clock.now() - clock.now(), chrono::Duration::zero());
        assert_eq!(
            clock.now().hour(),
            (start + chrono::Duration::hours(1)).hour()
        );
    }

    #[test]
    fn the_system_clock_moves_and_drops_nanoseconds() {
        let clock = Clock::system();
        let first = clock.now();
        assert_eq!(first.nanosecond() % 1_000, 0);
        assert!(clock.now() >= first);
    }
}
