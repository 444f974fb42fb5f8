//! Recording views and reading fresh counts (README "Click counting": the record and read steps, and the
//! degraded modes).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;

use super::displayed::unapplied;
use super::Viewed;
use crate::cache::{CacheBackend, CacheError, ClickId, ClientLimit, Seed, Total};
use crate::db::{self, run_query, DbPool};
use crate::domain::click_epoch::ClickEpoch;
use crate::domain::clock;
use crate::error::ApiError;
use crate::metrics::{self, Metrics};
use crate::service::rate_limits;
use crate::telemetry::LogEvery;

/// A client's limit checked in this instance's memory (when a record call that would take it in the cache
/// does not reach it).
pub type LocalCheck<'a> = dyn Fn() -> Result<(), ApiError> + Sync + 'a;

/// Records clicks through the cache and reads counts that include every click recorded so far.
#[derive(Clone)]
pub struct ClickCounter {
    db: DbPool,
    cache: Arc<dyn CacheBackend>,
    /// The click epoch this instance knows: every cache call carries it.
    epoch: Arc<ClickEpoch>,
    metrics: Arc<Metrics>,
    parked_log: Arc<LogEvery>,
    fallback_log: Arc<LogEvery>,
}

impl ClickCounter {
    pub fn new(
        db: DbPool,
        cache: Arc<dyn CacheBackend>,
        epoch: Arc<ClickEpoch>,
        metrics: Arc<Metrics>,
    ) -> Self {
        ClickCounter {
            db,
            cache,
            epoch,
            metrics,
            parked_log: Arc::new(LogEvery::new(std::time::Duration::from_secs(10))),
            fallback_log: Arc::new(LogEvery::new(std::time::Duration::from_secs(10))),
        }
    }

    pub fn cache(&self) -> &Arc<dyn CacheBackend> {
        &self.cache
    }

    /// Records one click for a post known to exist and returns its count including this click: one cache
    /// round trip when the cache holds the post's total, else a statement and a second round trip to seed
    /// it. The click carries a fresh id. When the call never reached the cache
    /// (no connection, the breaker open, an error reply), the click is added to the database directly
    /// (exact). When the call was sent but its outcome is unknown (a time-out, a broken connection), the
    /// click is parked with its id: the sync sends it again and the cache counts the id once.
    /// The click counts in the hour of `now` wherever it ends up; `reader` (the reader's daily hash) joins
    /// the post's unique readers of that day when the click goes through the cache.
    pub async fn record(
        &self,
        post_id: i64,
        now: NaiveDateTime,
        reader: Option<&str>,
    ) -> Result<i64, ApiError> {
        match self.record_limited(post_id, now, reader, None).await? {
            Viewed::Counted(count) => Ok(count),
            Viewed::Limited { refusal, .. } => Err(refusal),
        }
    }

    /// [`ClickCounter::record`], with the client's `limit` taken by the same cache call; its check in this
    /// instance's memory runs when the call does not reach the cache (or its outcome is unknown). Past the
    /// limit the click is not counted.
    pub async fn record_limited(
        &self,
        post_id: i64,
        now: NaiveDateTime,
        reader: Option<&str>,
        limit: Option<(&ClientLimit, &LocalCheck<'_>)>,
    ) -> Result<Viewed, ApiError> {
        let click_id = ClickId::new();
        let hour = clock::hour_of(now);
        let result = self
            .cache
            .record_click(
                post_id,
                hour,
                reader,
                &click_id,
                self.epoch.get(),
                limit.map(|(limit, _)| limit),
            )
            .await;
        if let (Err(_), Some((_, here))) = (&result, limit) {
            if let Err(refusal) = here() {
                return Ok(Viewed::Limited {
                    count: None,
                    refusal,
                });
            }
        }
        match result {
            Ok(recorded) => {
                let limited = recorded.limited;
                if limited.is_none() {
                    metrics::add(&self.metrics.clicks_cached, 1);
                }
                let counts = self.resolve(vec![(post_id, recorded.total)]).await?;
                let count = counts.get(&post_id).copied().unwrap_or(0);
                Ok(match limited {
                    None => Viewed::Counted(count),
                    Some(wait) => Viewed::Limited {
                        count: Some(count),
                        refusal: rate_limits::too_many(wait),
                    },
                })
            }
            Err(CacheError::Protocol(error)) => {
                // The script may have run: counting in the database too could count twice.
                tracing::error!(%error, post_id, "click cache reply not understood; click not re-counted");
                let counts = self.synced(vec![post_id]).await?;
                Ok(Viewed::Counted(counts.get(&post_id).copied().unwrap_or(0)))
            }
            Err(CacheError::Failed(error)) => {
                metrics::add(&self.metrics.clicks_parked, 1);
                if let Some(held_back) = self.parked_log.due() {
                    tracing::warn!(
                        %error,
                        post_id,
                        held_back,
                        "click cache call ambiguous: click parked, the sync sends it again"
                    );
                }
                let count = run_query(&self.db, move |conn| {
                    db::parked_clicks::park(conn, click_id.as_str(), post_id, now)
                })
                .await?
                .ok_or(ApiError::NotFound("post"))?;
                Ok(Viewed::Counted(count))
            }
            Err(error @ (CacheError::Unavailable(_) | CacheError::Refused(_))) => {
                metrics::add(&self.metrics.clicks_fallback, 1);
                if let Some(held_back) = self.fallback_log.due() {
                    tracing::warn!(
                        %error,
                        post_id,
                        held_back,
                        "click cache unavailable: click counted in the database directly"
                    );
                }
                let (clicks, epoch) = run_query(&self.db, move |conn| {
                    db::counters::increment(conn, post_id, hour)
                })
                .await?
                .ok_or(ApiError::NotFound("post"))?;
                // Known here at once: the cache's totals lack this click, and the next call drops them.
                self.epoch.observe(epoch);
                Ok(Viewed::Counted(clicks))
            }
        }
    }

    /// The fresh count of a published post, without loading the post: its synced count, then one cache
    /// round trip and one statement. `NotFound` for drafts, scheduled posts and unknown ids.
    pub async fn click_count(&self, post_id: i64, now: NaiveDateTime) -> Result<i64, ApiError> {
        let synced = run_query(&self.db, move |conn| {
            db::counters::published_clicks(conn, post_id, now)
        })
        .await?
        .ok_or(ApiError::NotFound("post"))?;
        self.fresh_count(post_id, synced).await
    }

    /// One post's fresh count from the synced count the caller read ([`ClickCounter::counts`] for one).
    pub async fn fresh_count(&self, post_id: i64, synced: i64) -> Result<i64, ApiError> {
        let counts = self.counts(&HashMap::from([(post_id, synced)])).await?;
        Ok(counts.get(&post_id).copied().unwrap_or(synced))
    }

    /// Fresh counts for posts whose synced counts the caller read at some point (`synced`, perhaps from
    /// the content cache): one cache round trip for the totals it holds; for the others, one statement for
    /// counters and ledger together and a round trip to seed them. While the cache is down, the counts
    /// synced to the database now (one statement; `synced` if that fails too).
    pub async fn counts(&self, synced: &HashMap<i64, i64>) -> Result<HashMap<i64, i64>, ApiError> {
        if synced.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<i64> = synced.keys().copied().collect();
        match self.cache.totals(&ids, self.epoch.get()).await {
            Ok(totals) => self.resolve(totals.into_iter().collect()).await,
            Err(error) => {
                self.read_without_cache(&error);
                Ok(match self.synced(ids).await {
                    Ok(mut counts) => {
                        for (post, count) in synced {
                            counts.entry(*post).or_insert(*count);
                        }
                        counts
                    }
                    Err(_) => synced.clone(),
                })
            }
        }
    }

    /// The clicks by hour, from `first_hour` on, that the cache holds in batches the database may not have
    /// yet (of `post` only, when given), as (batch id, post id, hour, clicks): what a ranking by window adds (the ranking's statement leaves out
    /// those whose batch the ledger holds). While the cache is down: none (the database's hours alone).
    pub async fn pending_by_hour(
        &self,
        first_hour: i64,
        post: Option<i64>,
    ) -> Vec<(String, i64, i64, i64)> {
        match self.cache.pending_hours(first_hour, post).await {
            Ok(hours) => hours
                .into_iter()
                .map(|hour| (hour.batch_id, hour.post_id, hour.hour, hour.clicks))
                .collect(),
            Err(error) => {
                self.read_without_cache(&error);
                Vec::new()
            }
        }
    }

    /// A post's unique readers over each group of UTC days (see [`CacheBackend::unique_readers`]); `None`
    /// while the cache is down.
    pub async fn unique_readers(&self, post_id: i64, groups: &[Vec<i64>]) -> Option<Vec<u64>> {
        match self.cache.unique_readers(post_id, groups).await {
            Ok(counts) => Some(counts),
            Err(error) => {
                self.read_without_cache(&error);
                None
            }
        }
    }

    /// Counts a read answered from the database alone while the cache is down, and says so in the log (at
    /// most every 10 s).
    fn read_without_cache(&self, error: &CacheError) {
        metrics::add(&self.metrics.reads_from_synced_counts, 1);
        if let Some(held_back) = self.fallback_log.due() {
            tracing::warn!(
                %error,
                held_back,
                "click cache unavailable: showing the clicks synced to the database"
            );
        }
    }

    /// The counts synced to the database now (one statement); posts without a counter count 0.
    async fn synced(&self, ids: Vec<i64>) -> Result<HashMap<i64, i64>, ApiError> {
        let snapshot = run_query(&self.db, move |conn| {
            db::counters::counts_and_applied_batches(conn, &ids, &[])
        })
        .await?;
        self.epoch.observe(snapshot.click_epoch);
        Ok(snapshot.counts)
    }

    /// The counts of posts as the cache answered: totals it holds as they are; for the others, counters and
    /// ledger in one statement read *after* the cache was (the displayed-count rule: the synced count plus
    /// the deltas of the batches the ledger does not hold), then seeded into the cache in one round trip so
    /// the next read needs no statement. A seed the cache refuses (a drain moved its shard meanwhile) is not
    /// kept; the count read is still exact, and the next read seeds again.
    async fn resolve(&self, totals: Vec<(i64, Total)>) -> Result<HashMap<i64, i64>, ApiError> {
        let mut counts = HashMap::with_capacity(totals.len());
        let mut missing = Vec::new();
        for (post_id, total) in totals {
            match total {
                Total::Held(total) => {
                    counts.insert(post_id, total);
                }
                Total::Missing(pending, ticket) => missing.push((post_id, pending, ticket)),
            }
        }
        if missing.is_empty() {
            return Ok(counts);
        }
        let ids: Vec<i64> = missing.iter().map(|(post_id, ..)| *post_id).collect();
        let batch_ids: Vec<String> = missing
            .iter()
            .flat_map(|(_, pending, _)| pending.batch_ids().map(str::to_owned))
            .collect();
        let snapshot = run_query(&self.db, move |conn| {
            let batch_ids: Vec<&str> = batch_ids.iter().map(String::as_str).collect();
            db::counters::counts_and_applied_batches(conn, &ids, &batch_ids)
        })
        .await?;
        self.epoch.observe(snapshot.click_epoch);
        let seeds: Vec<Seed> = missing
            .into_iter()
            .map(|(post_id, pending, ticket)| Seed {
                post_id,
                total: snapshot.counts.get(&post_id).copied().unwrap_or(0)
                    + unapplied(&pending, &snapshot.applied),
                ticket,
            })
            .collect();
        match self.cache.seed(snapshot.click_epoch, &seeds).await {
            Ok(held) => {
                for (seed, held) in seeds.iter().zip(held) {
                    counts.insert(seed.post_id, held.unwrap_or(seed.total));
                }
            }
            Err(error) => {
                // The counts read are exact without the seeds: the next read tries again.
                tracing::debug!(%error, "totals not seeded");
                for seed in &seeds {
                    counts.insert(seed.post_id, seed.total);
                }
            }
        }
        Ok(counts)
    }
}
