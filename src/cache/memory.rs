//! The in-process click cache: the embedded default when `REDIS_URL` is unset. The same contract as
//! Redis; its pending clicks (at most one sync interval's worth) die with the process on `kill -9`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::{
    shard_of, CacheBackend, CacheError, ClickId, ClientLimit, DrainedBatch, ParkedClick,
    PendingClicks, PendingHour, ReaderSketches, Recorded, Seed, SeedTicket, Total, SHARDS,
};

#[derive(Debug, Clone)]
struct Batch {
    id: String,
    deltas: HashMap<i64, i64>,
    /// (post id, hour) -> clicks.
    hours: HashMap<(i64, i64), i64>,
}

#[derive(Debug, Default)]
struct Shard {
    pending: Option<Batch>,
    in_flight: Option<Batch>,
    /// Displayed totals, seeded from the database, held under `epoch`.
    totals: HashMap<i64, i64>,
    epoch: i64,
    /// Moved by every drain: a seed whose ticket carries another is refused.
    generation: u64,
}

impl Shard {
    /// Drops the totals held under an epoch older than `epoch`.
    fn check_epoch(&mut self, epoch: i64) {
        if epoch > self.epoch {
            self.totals.clear();
            self.epoch = epoch;
        }
    }

    /// The post's total, or what seeding it needs.
    fn total_of(&self, post_id: i64) -> Total {
        match self.totals.get(&post_id) {
            Some(total) => Total::Held(*total),
            None => Total::Missing(
                self.pending_of(post_id),
                SeedTicket {
                    generation: self.generation.to_string(),
                    pending_batch: self.pending.as_ref().map(|batch| batch.id.clone()),
                    pending_delta: self.pending_delta(post_id),
                },
            ),
        }
    }

    fn pending_delta(&self, post_id: i64) -> i64 {
        self.pending
            .as_ref()
            .and_then(|batch| batch.deltas.get(&post_id).copied())
            .unwrap_or(0)
    }

    /// Keeps a seed read under `epoch` unless its ticket is out of date, the epoch older than the totals',
    /// or a total is held.
    fn seed(&mut self, epoch: i64, seed: &Seed) -> Option<i64> {
        if epoch < self.epoch || seed.ticket.generation != self.generation.to_string() {
            return None;
        }
        let pending_batch = self.pending.as_ref().map(|batch| batch.id.as_str());
        if seed.ticket.pending_batch.is_some()
            && seed.ticket.pending_batch.as_deref() != pending_batch
        {
            return None;
        }
        self.check_epoch(epoch);
        let since_ticket = self.pending_delta(seed.post_id) - seed.ticket.pending_delta;
        Some(
            *self
                .totals
                .entry(seed.post_id)
                .or_insert(seed.total + since_ticket),
        )
    }

    fn pending_of(&self, post_id: i64) -> PendingClicks {
        let deltas = [&self.pending, &self.in_flight]
            .into_iter()
            .flatten()
            .filter_map(|batch| {
                batch
                    .deltas
                    .get(&post_id)
                    .map(|delta| (batch.id.clone(), *delta))
            })
            .collect();
        PendingClicks { deltas }
    }
}

/// Click deltas held in this process, and each post's readers per UTC day.
pub struct MemoryClickCache {
    shards: Vec<Mutex<Shard>>,
    readers: ReaderSketches,
    round_trips: AtomicU64,
}

impl std::fmt::Debug for MemoryClickCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryClickCache").finish_non_exhaustive()
    }
}

impl Default for MemoryClickCache {
    /// Readers kept 400 days, `CLICK_STATS_RETENTION`'s default.
    fn default() -> Self {
        MemoryClickCache::new(std::time::Duration::from_secs(400 * 86_400))
    }
}

impl MemoryClickCache {
    /// An empty cache whose readers by day are kept `readers_retention` (`CLICK_STATS_RETENTION`).
    pub fn new(readers_retention: std::time::Duration) -> Self {
        MemoryClickCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            readers: ReaderSketches::new(readers_retention),
            round_trips: AtomicU64::new(0),
        }
    }

    fn shard(&self, index: u16) -> Result<std::sync::MutexGuard<'_, Shard>, CacheError> {
        self.shards
            .get(usize::from(index))
            .ok_or_else(|| CacheError::Protocol(format!("no shard {index}")))?
            .lock()
            .map_err(|_| CacheError::Failed(String::from("a shard lock was poisoned")))
    }

    fn count_round_trip(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds one click to the post's shard's pending batch (born with a fresh id when there is none), and to
    /// its total if one is held.
    fn add(&self, post_id: i64, hour: i64, epoch: i64) -> Result<Recorded, CacheError> {
        let mut shard = self.shard(shard_of(post_id))?;
        shard.check_epoch(epoch);
        if let Some(total) = shard.totals.get_mut(&post_id) {
            *total += 1;
        }
        let pending = shard.pending.get_or_insert_with(|| Batch {
            id: uuid::Uuid::new_v4().to_string(),
            deltas: HashMap::new(),
            hours: HashMap::new(),
        });
        *pending.deltas.entry(post_id).or_insert(0) += 1;
        *pending.hours.entry((post_id, hour)).or_insert(0) += 1;
        Ok(Recorded {
            total: shard.total_of(post_id),
            counted: true,
            limited: None,
        })
    }
}

#[async_trait::async_trait]
impl CacheBackend for MemoryClickCache {
    fn name(&self) -> &'static str {
        "memory"
    }

    /// A call in process always completes, so a click is never ambiguous here and its id is not kept.
    async fn record_click(
        &self,
        post_id: i64,
        hour: i64,
        reader: Option<&str>,
        _click_id: &ClickId,
        click_epoch: i64,
        _limit: Option<&ClientLimit>,
    ) -> Result<Recorded, CacheError> {
        self.count_round_trip();
        if let Some(reader) = reader {
            self.readers.add(post_id, hour.div_euclid(24), reader)?;
        }
        self.add(post_id, hour, click_epoch)
    }

    async fn unique_readers(
        &self,
        post_id: i64,
        groups: &[Vec<i64>],
    ) -> Result<Vec<u64>, CacheError> {
        self.count_round_trip();
        self.readers.count(post_id, groups)
    }

    /// Clicks parked by a Redis-backed instance of an earlier configuration: counted here, once each (their
    /// rows go once the sync has moved them here).
    async fn settle(&self, clicks: &[ParkedClick]) -> Result<Vec<Recorded>, CacheError> {
        self.count_round_trip();
        clicks
            .iter()
            .map(|click| self.add(click.post_id, click.hour, 0))
            .collect()
    }

    async fn totals(
        &self,
        post_ids: &[i64],
        click_epoch: i64,
    ) -> Result<HashMap<i64, Total>, CacheError> {
        self.count_round_trip();
        let mut found = HashMap::new();
        for &post_id in post_ids {
            let mut shard = self.shard(shard_of(post_id))?;
            shard.check_epoch(click_epoch);
            found.insert(post_id, shard.total_of(post_id));
        }
        Ok(found)
    }

    async fn seed(&self, click_epoch: i64, seeds: &[Seed]) -> Result<Vec<Option<i64>>, CacheError> {
        self.count_round_trip();
        seeds
            .iter()
            .map(|seed| Ok(self.shard(shard_of(seed.post_id))?.seed(click_epoch, seed)))
            .collect()
    }

    async fn pending_hours(
        &self,
        first_hour: i64,
        post: Option<i64>,
    ) -> Result<Vec<PendingHour>, CacheError> {
        self.count_round_trip();
        let mut found = Vec::new();
        for index in 0..SHARDS {
            let shard = self.shard(index)?;
            for batch in [&shard.pending, &shard.in_flight].into_iter().flatten() {
                found.extend(
                    batch
                        .hours
                        .iter()
                        .filter(|((of, hour), _)| {
                            *hour >= first_hour && post.is_none_or(|post| post == *of)
                        })
                        .map(|((post_id, hour), clicks)| PendingHour {
                            batch_id: batch.id.clone(),
                            post_id: *post_id,
                            hour: *hour,
                            clicks: *clicks,
                        }),
                );
            }
        }
        Ok(found)
    }

    async fn drain(&self) -> Result<Vec<DrainedBatch>, CacheError> {
        self.count_round_trip();
        let mut drained = Vec::new();
        for index in 0..SHARDS {
            let mut shard = self.shard(index)?;
            let resumed = shard.in_flight.is_some();
            if !resumed && shard.pending.is_some() {
                shard.in_flight = shard.pending.take();
                shard.generation += 1;
            }
            if let Some(batch) = &shard.in_flight {
                let mut deltas: Vec<(i64, i64)> =
                    batch.deltas.iter().map(|(p, d)| (*p, *d)).collect();
                deltas.sort_unstable();
                let mut hours: Vec<(i64, i64, i64)> = batch
                    .hours
                    .iter()
                    .map(|((post, hour), delta)| (*post, *hour, *delta))
                    .collect();
                hours.sort_unstable();
                drained.push(DrainedBatch {
                    shard: index,
                    batch_id: batch.id.clone(),
                    deltas,
                    hours,
                    resumed,
                    aside: false,
                });
            }
        }
        Ok(drained)
    }

    async fn acknowledge(&self, batches: &[DrainedBatch]) -> Result<usize, CacheError> {
        self.count_round_trip();
        let mut deleted = 0;
        for batch in batches {
            let mut shard = self.shard(batch.shard)?;
            if shard
                .in_flight
                .as_ref()
                .is_some_and(|b| b.id == batch.batch_id)
            {
                shard.in_flight = None;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }
}
