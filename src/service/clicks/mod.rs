//! The click counter in one place: what counts as a view ([`ViewPolicy`], a pure rule over the request's
//! [`ViewSignals`]), the one decision per request that applies it with the per-client limits and the
//! reader's hash ([`Clicks::decide`]), how a view is recorded and counts are read fresh ([`ClickCounter`],
//! through the `CacheBackend` and the database), and the rule that turns synced counts plus pending deltas
//! into the count a reader sees ([`displayed`]). README "Click counting" states the guarantees.

mod beacon;
mod counter;
pub mod displayed;
mod policy;
mod visitor;

use std::sync::Arc;

pub use counter::ClickCounter;
pub use policy::{Client, ViewPolicy, ViewSignals, ViewSource};
pub use visitor::Visitors;

use super::rate_limits::{Action, Limiter};
use crate::db::DbPool;
use crate::domain::clock::{day_of, Clock};
use crate::error::ApiError;
use chrono::NaiveDateTime;

/// Whether a read of a post records a click or only looks at the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    /// The read is a view: record it (with [`Clicks::record`]), and show the count including it.
    Record(Recording),
    /// Show the fresh count without adding to it.
    Peek,
}

/// A click to record: with the reader's daily hash (see [`Visitors`]), the reader joins the post's unique
/// readers; with a limit, the record call itself takes one from the client's allowance (the click cache
/// keeps shared limits), and the click is not counted past it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    reader: Option<String>,
    limit: Option<RecordLimit>,
}

/// Whose limit, for which action, the record call takes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RecordLimit {
    address: std::net::IpAddr,
    action: Action,
}

/// What recording a click came to.
#[derive(Debug)]
pub enum Viewed {
    /// Counted: the post's count, this click included.
    Counted(i64),
    /// Not counted, the client being over its limit (`refusal`, a `RateLimited`); the post's count when
    /// the cache gave it.
    Limited {
        count: Option<i64>,
        refusal: ApiError,
    },
}

/// The clicks service: decides whether a request counts, records it, reads counts fresh.
pub struct Clicks {
    counter: ClickCounter,
    policy: ViewPolicy,
    limiter: Arc<Limiter>,
    visitors: Visitors,
    pool: DbPool,
    clock: Clock,
}

impl Clicks {
    pub fn new(
        counter: ClickCounter,
        policy: ViewPolicy,
        limiter: Arc<Limiter>,
        visitors: Visitors,
        pool: DbPool,
        clock: Clock,
    ) -> Self {
        Clicks {
            counter,
            policy,
            limiter,
            visitors,
            pool,
            clock,
        }
    }

    /// Records clicks and reads counts through the click cache.
    pub fn counter(&self) -> &ClickCounter {
        &self.counter
    }

    /// Reads today's salt and connects to the click cache now (at start-up), so that the first views do
    /// not wait for either.
    pub async fn prepare(&self) {
        self.visitors.prepare(day_of(self.clock.now())).await;
        if let Err(error) = self.counter.cache().prepare().await {
            tracing::warn!(%error, "click cache not reachable at start-up; the first calls connect");
        }
    }

    /// Whether this request counts as a view of a post, decided once: the policy (no HEAD, editor, bot,
    /// prefetch or empty User-Agent; reads only with `CLICKS_ON_GET`), then the client's limit. Over
    /// `RATE_LIMIT_VIEWS_PER_MINUTE` a read is served without counting; over
    /// `RATE_LIMIT_CLICKS_PER_MINUTE` a beacon is refused (`RateLimited`). Where the click cache keeps
    /// shared limits (one Redis server), the limit is left to the record call ([`Clicks::record`]), so a
    /// counted view or beacon is one command. A view carries the reader's hash for today, for the
    /// unique-reader counts.
    pub async fn decide(&self, client: &Client, source: ViewSource) -> Result<Count, ApiError> {
        if !self.policy.counts(&client.signals, source) {
            return Ok(Count::Peek);
        }
        let mut limit = None;
        if let Some(address) = client.address {
            let action = match source {
                ViewSource::Read => Action::View,
                ViewSource::Beacon => Action::Beacon,
            };
            let cache = self.counter.cache();
            if cache.limits_clients() && cache.is_available() {
                limit = Some(RecordLimit { address, action });
            } else {
                match self.limiter.check(address, action).await {
                    Ok(()) => {}
                    Err(_) if source == ViewSource::Read => return Ok(Count::Peek),
                    Err(refused) => return Err(refused),
                }
            }
        }
        Ok(Count::Record(Recording {
            reader: self.reader(client).await,
            limit,
        }))
    }

    /// Records a click decided by [`Clicks::decide`] on a post known to exist (see
    /// [`ClickCounter::record`]); a limit it carries is taken by the cache call, or here when the call never
    /// reached the cache.
    pub async fn record(
        &self,
        post_id: i64,
        now: NaiveDateTime,
        recording: &Recording,
    ) -> Result<Viewed, ApiError> {
        let reader = recording.reader.as_deref();
        let Some(RecordLimit { address, action }) = recording.limit else {
            return self
                .counter
                .record_limited(post_id, now, reader, None)
                .await;
        };
        let limit = self.limiter.client_limit(address, action);
        let here = || self.limiter.check_here(address, action);
        self.counter
            .record_limited(post_id, now, reader, Some((&limit, &here)))
            .await
    }

    /// The reader's hash for today (address and User-Agent), for unique readers.
    async fn reader(&self, client: &Client) -> Option<String> {
        let address = client.address?;
        let day = day_of(self.clock.now());
        self.visitors
            .hash(address, &client.signals.user_agent, day)
            .await
    }
}
