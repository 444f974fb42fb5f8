//! Per-client limits on anonymous writes (posting comments, the click beacon), refused with
//! `ApiError::RateLimited`, and on counted views (past it a view is served, not counted). With Redis every
//! limit is shared by every instance (one script call per check, or none of its own where the click cache
//! takes the view and beacon limits in the record call: `Clicks::decide`); without it, and while Redis does
//! not answer, each instance limits in its own memory. Who the client is, is the HTTP layer's business
//! (`routes::client_ip`): it hands a key here.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::cache::{ClientLimit, RateStore};
use crate::error::ApiError;
use crate::telemetry::LogEvery;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Comment,
    Beacon,
    /// A counted view (over the limit it is served, not counted).
    View,
}

/// Per-minute rates of each action.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    pub comments: NonZeroU32,
    pub beacon: NonZeroU32,
    pub views: NonZeroU32,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Comment => "comment",
            Action::Beacon => "beacon",
            Action::View => "view",
        }
    }
}

/// The limiters: shared ones in Redis when configured, this instance's own otherwise (and as a fallback).
pub struct Limiter {
    rates: Rates,
    shared: Option<Arc<dyn RateStore>>,
    comments: DefaultKeyedRateLimiter<IpAddr>,
    beacon: DefaultKeyedRateLimiter<IpAddr>,
    views: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
    shared_failures: LogEvery,
}

impl Limiter {
    pub fn new(rates: Rates, shared: Option<Arc<dyn RateStore>>) -> Self {
        Limiter {
            rates,
            shared,
            comments: RateLimiter::keyed(Quota::per_minute(rates.comments)),
            beacon: RateLimiter::keyed(Quota::per_minute(rates.beacon)),
            views: RateLimiter::keyed(Quota::per_minute(rates.views)),
            checks: AtomicU64::new(0),
            shared_failures: LogEvery::new(std::time::Duration::from_secs(10)),
        }
    }

    /// `Ok` if the client at `address` (limited by [`limit_key`]: its /64 for IPv6) may do `action` now,
    /// else `RateLimited` with the seconds to wait.
    pub async fn check(&self, address: IpAddr, action: Action) -> Result<(), ApiError> {
        let ip = limit_key(address);
        if let Some(shared) = &self.shared {
            let per_minute = self.per_minute(action);
            match shared
                .take(action.name(), &ip.to_string(), per_minute.get())
                .await
            {
                Ok(None) => return Ok(()),
                Ok(Some(wait)) => return Err(too_many(wait)),
                Err(error) => {
                    if let Some(held_back) = self.shared_failures.due() {
                        tracing::warn!(
                            %error,
                            held_back,
                            "shared rate limits unavailable: each instance limits on its own meanwhile"
                        );
                    }
                }
            }
        }
        self.check_ip(ip, action)
    }

    /// The limit a record call takes for `action` by the client at `address`, where the click cache keeps
    /// shared limits (see `Clicks::decide`).
    pub fn client_limit(&self, address: IpAddr, action: Action) -> ClientLimit {
        ClientLimit {
            action: action.name(),
            client: limit_key(address).to_string(),
            per_minute: self.per_minute(action).get(),
        }
    }

    fn per_minute(&self, action: Action) -> NonZeroU32 {
        match action {
            Action::Comment => self.rates.comments,
            Action::Beacon => self.rates.beacon,
            Action::View => self.rates.views,
        }
    }

    /// The check in this instance's memory alone (`address` as given; limited by [`limit_key`]).
    pub fn check_here(&self, address: IpAddr, action: Action) -> Result<(), ApiError> {
        self.check_ip(limit_key(address), action)
    }

    fn check_ip(&self, ip: IpAddr, action: Action) -> Result<(), ApiError> {
        let limiter = match action {
            Action::Comment => &self.comments,
            Action::Beacon => &self.beacon,
            Action::View => &self.views,
        };
        // Forget idle clients now and then, so the table does not grow without end.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            self.comments.retain_recent();
            self.beacon.retain_recent();
            self.views.retain_recent();
        }
        // The limiter's own clock: a new `DefaultClock` calibrates itself (CPUID, costly in a VM), and a
        // client over its limit would pay that on every refused request.
        limiter
            .check_key(&ip)
            .map_err(|not_until| too_many(not_until.wait_time_from(limiter.clock().now())))
    }
}

/// 429 with the whole seconds to wait, rounded up.
pub fn too_many(wait: std::time::Duration) -> ApiError {
    ApiError::RateLimited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
}

/// The key a client is limited under: its IPv4 address, or its IPv6 /64 (one subscriber's whole network).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            IpAddr::V6(Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            ))
        }
    }
}
