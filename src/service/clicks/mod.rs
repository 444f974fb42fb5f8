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

/// Whether a read of a post records a click or only looks at the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    /// The read is a view: record it, and show the count including it. With the reader's daily hash
    /// (see [`Visitors`]), the reader joins the post's unique readers.
    Record(Option<String>),
    /// Show the fresh count without adding to it.
    Peek,
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

    /// Reads today's salt now (at start-up), so that the first views of the day do not wait for it.
    pub async fn prepare(&self) {
        self.visitors.prepare(day_of(self.clock.now())).await;
    }

    /// Whether this request counts as a view of a post, decided once: the policy (no HEAD, editor, bot,
    /// prefetch or empty User-Agent; reads only with `CLICKS_ON_GET`), then the client's limit. Over
    /// `RATE_LIMIT_VIEWS_PER_MINUTE` a read is served without counting; over
    /// `RATE_LIMIT_CLICKS_PER_MINUTE` a beacon is refused (`RateLimited`). A view carries the reader's hash
    /// for today, for the unique-reader counts.
    pub async fn decide(&self, client: &Client, source: ViewSource) -> Result<Count, ApiError> {
        if !self.policy.counts(&client.signals, source) {
            return Ok(Count::Peek);
        }
        if let Some(address) = client.address {
            let action = match source {
                ViewSource::Read => Action::View,
                ViewSource::Beacon => Action::Beacon,
            };
            match self.limiter.check(address, action).await {
                Ok(()) => {}
                Err(_) if source == ViewSource::Read => return Ok(Count::Peek),
                Err(refused) => return Err(refused),
            }
        }
        Ok(Count::Record(self.reader(client).await))
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
