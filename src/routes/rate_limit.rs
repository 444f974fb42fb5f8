//! Per-client-IP limits on anonymous writes (posting comments, the click beacon), answered with 429 and
//! `Retry-After`. Kept in each instance's memory: behind N instances a client gets up to N times the rate.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Comment,
    Beacon,
}

/// The limiters of one instance.
pub struct RateLimits {
    comments: DefaultKeyedRateLimiter<IpAddr>,
    beacon: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

impl RateLimits {
    pub fn new(comments_per_minute: NonZeroU32, beacon_per_minute: NonZeroU32) -> Self {
        RateLimits {
            comments: RateLimiter::keyed(Quota::per_minute(comments_per_minute)),
            beacon: RateLimiter::keyed(Quota::per_minute(beacon_per_minute)),
            checks: AtomicU64::new(0),
        }
    }

    /// `Ok` if the request's client may do `action` now, else `RateLimited` with the seconds to wait.
    pub fn check(&self, request: &HttpRequest, action: Action) -> Result<(), ApiError> {
        let Some(ip) = request.peer_addr().map(|address| address.ip()) else {
            return Ok(());
        };
        let limiter = match action {
            Action::Comment => &self.comments,
            Action::Beacon => &self.beacon,
        };
        // Forget idle clients now and then, so the table does not grow without end.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.comments.retain_recent();
            self.beacon.retain_recent();
        }
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }
}
