//! Per-client limits on anonymous writes (posting comments, the click beacon), answered with 429 and
//! `Retry-After`. The client is the TCP peer, or what trusted proxies say it is ([`super::client_ip`]); an
//! IPv6 client is limited per /64. Kept in each instance's memory: behind N instances a client gets up to
//! N times the rate.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use ipnet::IpNet;

use super::client_ip::{client_ip, limit_key};
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
    trusted_proxies: Vec<IpNet>,
}

impl RateLimits {
    pub fn new(
        comments_per_minute: NonZeroU32,
        beacon_per_minute: NonZeroU32,
        trusted_proxies: Vec<IpNet>,
    ) -> Self {
        RateLimits {
            comments: RateLimiter::keyed(Quota::per_minute(comments_per_minute)),
            beacon: RateLimiter::keyed(Quota::per_minute(beacon_per_minute)),
            checks: AtomicU64::new(0),
            trusted_proxies,
        }
    }

    /// `Ok` if the request's client may do `action` now, else `RateLimited` with the seconds to wait.
    pub fn check(&self, request: &HttpRequest, action: Action) -> Result<(), ApiError> {
        let Some(peer) = request.peer_addr().map(|address| address.ip()) else {
            return Ok(());
        };
        let ip = limit_key(client_ip(peer, request.headers(), &self.trusted_proxies));
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
