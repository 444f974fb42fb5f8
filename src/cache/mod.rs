//! The click cache: the seam between counting a view (cheap, in memory or Redis) and the database (the
//! truth). Holds deltas, each labelled with the batch it belongs to, and the displayed totals seeded from the
//! database (README "Click counting"; docs/ARCHITECTURE.md "Cached totals" proves them right).

mod memory;
mod reader_sketches;
mod redis;

use std::collections::HashMap;

pub use memory::MemoryClickCache;
pub use reader_sketches::ReaderSketches;
pub use redis::{RedisClickCache, RedisEndpoint, RedisRateStore, RedisSettings};

/// Posts are spread over this many shards; each shard has its own pending and in-flight batch, and in
/// Redis its keys share one hash tag, so every script touches a single slot.
pub const SHARDS: u16 = 16;

/// The shard a post's clicks live in.
#[expect(
    clippy::cast_possible_truncation,
    reason = "rem_euclid keeps the value in 0..SHARDS for any id"
)]
pub fn shard_of(post_id: i64) -> u16 {
    post_id.rem_euclid(i64::from(SHARDS)) as u16
}

/// Clicks of one post not yet known to be in the database: at most one delta per batch (the shard's
/// pending batch and its in-flight one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingClicks {
    pub deltas: Vec<(String, i64)>,
}

impl PendingClicks {
    pub fn batch_ids(&self) -> impl Iterator<Item = &str> {
        self.deltas.iter().map(|(batch, _)| batch.as_str())
    }
}

/// The id a click carries to the cache. The cache counts an id once (Redis remembers it for
/// `CLICK_ID_TTL_MS`), so a click whose call may or may not have run is sent again with the same id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClickId(String);

impl ClickId {
    /// A fresh, random id (128 bits).
    pub fn new() -> Self {
        ClickId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// An id read back from where it was parked.
    pub fn from_stored(id: String) -> Self {
        ClickId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ClickId {
    fn default() -> Self {
        Self::new()
    }
}

/// A click to send to the cache again, with the id it was first sent with and the hour it was made in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedClick {
    pub click_id: ClickId,
    pub post_id: i64,
    pub hour: i64,
}

/// What a script saw of a shard when it found a post's total missing: what seeding that total needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedTicket {
    /// The shard's generation: moved by every drain and every set-aside (and lost with a flush), so a seed
    /// made across one is refused.
    pub generation: String,
    /// The shard's pending batch, and the post's delta in it (0 without one).
    pub pending_batch: Option<String>,
    pub pending_delta: i64,
}

/// A post's count as the cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Total {
    /// The displayed count, kept by the cache: nothing to ask the database.
    Held(i64),
    /// Not kept: every delta the cache holds for the post (pending, in flight, set aside) with its batch, to
    /// add to the database's count where the ledger does not hold the batch, and the ticket to seed with.
    Missing(PendingClicks, SeedTicket),
}

/// A total to seed: the displayed count read from the database (and the deltas) after `ticket` was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub post_id: i64,
    pub total: i64,
    pub ticket: SeedTicket,
}

/// What one record call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The post's count, this click included.
    pub total: Total,
    /// Whether this call counted the click (false: its id had been counted before, or its client is over
    /// its limit).
    pub counted: bool,
    /// Set when the click was not counted because its client is over its limit: how long to wait.
    pub limited: Option<std::time::Duration>,
}

/// A client's per-minute allowance for one action, which a record call takes one from before it counts the
/// click (where the cache keeps shared limits: [`CacheBackend::limits_clients`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLimit {
    /// The action's name (`view`, `beacon`): each has its own allowance.
    pub action: &'static str,
    /// Who the client is (its limit key: an address or an IPv6 /64); the cache keeps only a salted hash.
    pub client: String,
    pub per_minute: u32,
}

/// Clicks of one post in one hour, in a batch not yet known to be in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingHour {
    pub batch_id: String,
    pub post_id: i64,
    pub hour: i64,
    pub clicks: i64,
}

/// One shard's in-flight batch, as handed to the sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainedBatch {
    pub shard: u16,
    pub batch_id: String,
    /// (post id, clicks), every delta positive.
    pub deltas: Vec<(i64, i64)>,
    /// The same clicks by the hour they were made in: (post id, hour, clicks), every delta positive. A
    /// post's hourly deltas add up to its delta above.
    pub hours: Vec<(i64, i64, i64)>,
    /// Left in flight by an earlier pass (which died or failed before acknowledging it). The shard's
    /// pending batch is still waiting behind it.
    pub resumed: bool,
    /// Set aside by the record script: a pending batch written by another Redis process (before a restart,
    /// or on the primary this one replaced), which may have been applied already. It took no click since;
    /// the ledger decides whether it is applied.
    pub aside: bool,
}

/// Why a cache call failed. The distinction matters for exactness: a click whose call never reached the
/// cache can safely be counted in the database instead.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Nothing was sent: no connection could be had, or the circuit breaker is open.
    #[error("click cache unavailable: {0}")]
    Unavailable(String),
    /// The call was sent, and failed or timed out before its reply came back: it may or may not have run
    /// (an ambiguous outcome; a click is then parked, never counted elsewhere as well).
    #[error("click cache call failed: {0}")]
    Failed(String),
    /// The cache refused the call with an error reply before running it (a demoted primary's `READONLY`,
    /// out of memory...): nothing ran, so a click can be counted elsewhere exactly.
    #[error("click cache refused the call: {0}")]
    Refused(String),
    /// The cache replied with something the scripts never return (a foreign writer, or a bug).
    #[error("click cache replied unexpectedly: {0}")]
    Protocol(String),
}

/// The contract every click cache keeps (README "Click counting"). Each method is one round trip to the cache.
#[async_trait::async_trait]
pub trait CacheBackend: Send + Sync + 'static {
    /// `memory` or `redis`, for logs and `/readyz`.
    fn name(&self) -> &'static str;

    /// Adds one click to the post's shard's pending batch (creating the batch, with a fresh id, if there is
    /// none), both to the post's delta and to its delta for `hour` (see [`crate::domain::clock::hour_of`]),
    /// and returns the post's pending clicks including this one. A `click_id` the cache has counted before is
    /// not counted again (the pending clicks are returned as they are).
    /// With `reader` (a reader's daily hash), the reader is also added to the post's unique readers of the
    /// hour's UTC day, in the same call. The post's total, if the cache holds it under `click_epoch` or a
    /// newer one, is raised with the click and returned; totals held under an older epoch are dropped first.
    async fn record_click(
        &self,
        post_id: i64,
        hour: i64,
        reader: Option<&str>,
        click_id: &ClickId,
        click_epoch: i64,
        limit: Option<&ClientLimit>,
    ) -> Result<Recorded, CacheError>;

    /// Connects and reads what later calls need (a server's run id, the salt of client keys), so that the
    /// first requests do not wait for it. A failure is only reported: calls connect on first use.
    async fn prepare(&self) -> Result<(), CacheError> {
        Ok(())
    }

    /// Whether a record call takes the client's allowance itself (`limit` above) in the same call, shared
    /// by every instance; when not, the caller limits clients before recording (and passes no limit).
    fn limits_clients(&self) -> bool {
        false
    }

    /// A post's unique readers over each group of UTC days (days since the Unix epoch): the estimated size
    /// of the union of the readers of its days, one per group, in one round trip.
    async fn unique_readers(
        &self,
        post_id: i64,
        groups: &[Vec<i64>],
    ) -> Result<Vec<u64>, CacheError>;

    /// Sends parked clicks again, each with its id, in one round trip: those the cache had counted already
    /// (their first call did run) are not counted again. One [`Recorded`] per click, in order.
    async fn settle(&self, clicks: &[ParkedClick]) -> Result<Vec<Recorded>, CacheError>;

    /// The counts of many posts, in one round trip: each one's total where the cache holds it (totals held
    /// under an epoch older than `click_epoch` are dropped first), else what seeding it needs. Every post
    /// asked about is in the answer.
    async fn totals(
        &self,
        post_ids: &[i64],
        click_epoch: i64,
    ) -> Result<HashMap<i64, Total>, CacheError>;

    /// Seeds totals read in one database snapshot whose click epoch was `click_epoch`, in one round trip:
    /// each is kept unless its ticket is out of date (a drain, a set-aside or a flush since), the totals
    /// already held are held under a newer epoch, or another seed came first. One answer per seed, in
    /// order: the total the cache now holds, `None` if it was refused.
    async fn seed(&self, click_epoch: i64, seeds: &[Seed]) -> Result<Vec<Option<i64>>, CacheError>;

    /// The clicks by hour, from `first_hour` on, of every pending and in-flight batch, in one round trip
    /// (one script per shard): what a ranking by recent clicks adds to the database's hours.
    /// With `post`: that post's only (one script, on its shard).
    async fn pending_hours(
        &self,
        first_hour: i64,
        post: Option<i64>,
    ) -> Result<Vec<PendingHour>, CacheError>;

    /// For every shard: its in-flight batch if one was left (by a crash or a failed sync), else its pending
    /// batch moved to in-flight. New clicks go to a new pending batch from then on.
    async fn drain(&self) -> Result<Vec<DrainedBatch>, CacheError>;

    /// Deletes each batch's in-flight copy, but only where it still carries that batch id. Returns how many
    /// were deleted.
    async fn acknowledge(&self, batches: &[DrainedBatch]) -> Result<usize, CacheError>;

    /// Round trips made so far (a test proves a list page costs one).
    fn round_trips(&self) -> u64;

    /// False while the cache is known to be down (the circuit breaker is open).
    fn is_available(&self) -> bool {
        true
    }
}

/// Per-client rate limits shared by every instance (kept in Redis when Redis is configured).
#[async_trait::async_trait]
pub trait RateStore: Send + Sync + 'static {
    /// Takes one from `client`'s allowance for `action` (`per_minute`, with a burst as large): `None` if it
    /// was allowed, else how long to wait. One round trip.
    async fn take(
        &self,
        action: &str,
        client: &str,
        per_minute: u32,
    ) -> Result<Option<std::time::Duration>, CacheError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_id() {
        assert_eq!(shard_of(0), 0);
        assert_eq!(shard_of(17), 1);
        assert!(shard_of(i64::MAX) < SHARDS);
        assert!(shard_of(-3) < SHARDS);
    }
}
