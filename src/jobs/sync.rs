//! One pass of the click sync (README "Click counting": the drain, apply, acknowledge and retention steps): drain every shard's batch from the cache, apply
//! them in one database transaction guarded by the ledger, acknowledge them, prune old ledger rows.
//! Safe to run from any number of instances at once, and to be killed at any point.

use std::sync::Arc;
use std::time::Duration;

use crate::cache::{CacheBackend, CacheError, ClickId, ParkedClick};
use crate::db::counters::BatchOutcome;
use crate::db::{self, run_query, DbError, DbPool};
use crate::domain::clock::{self, Clock};

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Batches taken from the cache (new ones, and in-flight ones resumed).
    pub drained: usize,
    /// Batches applied to the database by this pass.
    pub applied: usize,
    /// Batches the ledger showed as applied already (by an earlier pass that died before acknowledging,
    /// or by another instance); skipped.
    pub already_applied: usize,
    /// Batches the ledger held with other content: they came back from the past; skipped, and warned about.
    pub resurrected: usize,
    /// Clicks added to the database by this pass.
    pub clicks: i64,
    /// In-flight batches deleted from the cache.
    pub acknowledged: usize,
    /// Ledger rows older than the retention, deleted.
    pub pruned: usize,
    /// Parked clicks sent to the cache again, and how many of those it counted then (the others had been
    /// counted by their first, ambiguous, call).
    pub parked_sent: usize,
    pub parked_counted: usize,
}

/// Where a pass can be made to stop, as if its process died there (failpoints for the crash tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStage {
    /// The batches are in flight in the cache; nothing is in the database.
    AfterDrain,
    /// Inside the transaction, before its commit: it rolls back.
    BeforeCommit,
    /// Committed, not yet acknowledged in the cache.
    AfterCommit,
}

/// Why a pass did not complete. Nothing is lost in any case: unacknowledged batches stay in flight and the
/// next pass resumes them.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("applying clicks to the database failed")]
    Database(#[source] DbError),
    #[error("stopped at {0:?} by a failpoint")]
    Stopped(SyncStage),
    #[error("abandoned after {} ms (CLICK_SYNC_DEADLINE_MS)", .0.as_millis())]
    Deadline(Duration),
}

/// One pass.
pub async fn sync_once(
    db: &DbPool,
    cache: &dyn CacheBackend,
    retention: Duration,
) -> Result<SyncReport, SyncError> {
    sync_once_with(db, cache, retention, Arc::new(|_| false)).await
}

/// One pass, stopping where `stop_at` says (tests only need this form).
pub async fn sync_once_with(
    db: &DbPool,
    cache: &dyn CacheBackend,
    retention: Duration,
    stop_at: Arc<dyn Fn(SyncStage) -> bool + Send + Sync>,
) -> Result<SyncReport, SyncError> {
    sync_pass(db, cache, retention, stop_at, &Clock::system()).await
}

/// One pass, with the ledger's entries stamped and aged by `real` (the real clock of `Clocks`).
pub async fn sync_pass(
    db: &DbPool,
    cache: &dyn CacheBackend,
    retention: Duration,
    stop_at: Arc<dyn Fn(SyncStage) -> bool + Send + Sync>,
    real: &Clock,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    settle_parked(db, cache, &mut report).await?;
    // A resumed in-flight batch holds its shard's pending batch back: a second round takes that one, so a
    // pass (the final one at shutdown above all) leaves nothing behind that was there when it started.
    for _round in 0..2 {
        let resumed = move_one_round(db, cache, &stop_at, real, &mut report).await?;
        if !resumed {
            break;
        }
    }
    let cutoff =
        real.now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(7));
    report.pruned = run_query(db, move |conn| db::counters::prune_ledger(conn, cutoff))
        .await
        .map_err(SyncError::Database)?;
    Ok(report)
}

/// Rolls the clicks kept by the hour for longer than `retention` before `now` up into days (whole UTC days:
/// the day of the cut-off stays in hours until it has passed whole). Returns how many hour rows went.
pub async fn roll_up_old_clicks(
    db: &DbPool,
    retention: Duration,
    now: chrono::NaiveDateTime,
) -> Result<usize, SyncError> {
    let hours = i64::try_from(retention.as_secs() / 3600).unwrap_or(i64::MAX);
    let before = (clock::hour_of(now).saturating_sub(hours)).div_euclid(24) * 24;
    run_query(db, move |conn| db::counters::roll_up_hours(conn, before))
        .await
        .map_err(SyncError::Database)
}

/// Deletes the readers' salts of the days before yesterday (UTC, at `now`): their sketches can no longer
/// change (a view is hashed under its own day's salt; yesterday's is kept for requests that straddled
/// midnight and for instances' clocks a little apart). Returns how many went.
pub async fn forget_old_reader_salts(
    db: &DbPool,
    now: chrono::NaiveDateTime,
) -> Result<usize, SyncError> {
    let yesterday = clock::day_of(now) - 1;
    run_query(db, move |conn| {
        db::secrets::forget_reader_salts_before(conn, yesterday)
    })
    .await
    .map_err(SyncError::Database)
}

/// Parked clicks per round trip when they are sent again.
const SETTLE_CHUNK: usize = 1000;

/// Sends parked clicks to the cache again, each with the id its first, ambiguous, call carried (the cache
/// counts an id once), then unparks them. Runs first in a pass, so the pass applies them too.
async fn settle_parked(
    db: &DbPool,
    cache: &dyn CacheBackend,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let limit = i64::try_from(SETTLE_CHUNK).unwrap_or(i64::MAX);
    loop {
        let parked = run_query(db, move |conn| db::parked_clicks::oldest(conn, limit))
            .await
            .map_err(SyncError::Database)?;
        if parked.is_empty() {
            return Ok(());
        }
        let full = parked.len() == SETTLE_CHUNK;
        let clicks: Vec<ParkedClick> = parked
            .into_iter()
            .map(|(click_id, post_id, made_at)| ParkedClick {
                click_id: ClickId::from_stored(click_id),
                post_id,
                hour: clock::hour_of(made_at),
            })
            .collect();
        let recorded = cache.settle(&clicks).await?;
        report.parked_sent += clicks.len();
        report.parked_counted += recorded.iter().filter(|recorded| recorded.counted).count();
        let ids: Vec<String> = clicks
            .into_iter()
            .map(|click| click.click_id.as_str().to_owned())
            .collect();
        run_query(db, move |conn| db::parked_clicks::remove(conn, &ids))
            .await
            .map_err(SyncError::Database)?;
        if !full {
            return Ok(());
        }
    }
}

/// Drain, apply, acknowledge; returns whether any batch was a resumed one.
async fn move_one_round(
    db: &DbPool,
    cache: &dyn CacheBackend,
    stop_at: &Arc<dyn Fn(SyncStage) -> bool + Send + Sync>,
    real: &Clock,
    report: &mut SyncReport,
) -> Result<bool, SyncError> {
    let batches = cache.drain().await?;
    report.drained += batches.len();
    if stop_at(SyncStage::AfterDrain) {
        return Err(SyncError::Stopped(SyncStage::AfterDrain));
    }

    if !batches.is_empty() {
        let now = real.now();
        let to_apply = batches.clone();
        let stop_before_commit = stop_at(SyncStage::BeforeCommit);
        let applied = run_query(db, move |conn| {
            let batches: Vec<db::counters::Batch<'_>> = to_apply
                .iter()
                .map(|batch| db::counters::Batch {
                    id: &batch.batch_id,
                    deltas: &batch.deltas,
                    hours: &batch.hours,
                })
                .collect();
            db::counters::apply_batches(conn, &batches, now, || {
                if stop_before_commit {
                    Err(diesel::result::Error::RollbackTransaction)
                } else {
                    Ok(())
                }
            })
        })
        .await;
        let applied = match applied {
            Err(_) if stop_before_commit => {
                return Err(SyncError::Stopped(SyncStage::BeforeCommit))
            }
            other => other.map_err(SyncError::Database)?,
        };
        for (batch, outcome) in batches.iter().zip(applied) {
            // A batch set aside from another Redis process's pending hash was never drained there, unless
            // that state came back from the past: in the ledger, whatever its content, it is a resurrection.
            let outcome = match outcome {
                BatchOutcome::AlreadyApplied if batch.aside => BatchOutcome::Resurrected,
                other => other,
            };
            match outcome {
                BatchOutcome::Applied => {
                    report.applied += 1;
                    report.clicks += batch.deltas.iter().map(|(_, delta)| delta).sum::<i64>();
                }
                BatchOutcome::AlreadyApplied => report.already_applied += 1,
                BatchOutcome::Resurrected => {
                    report.resurrected += 1;
                    tracing::warn!(
                        batch = %batch.batch_id,
                        shard = batch.shard,
                        clicks = batch.deltas.iter().map(|(_, delta)| delta).sum::<i64>(),
                        "a click batch came back from the past (Redis restarted from an older state, or a \
                         replica was promoted): its id is in the ledger, so it is not applied again; no click \
                         joined it since"
                    );
                }
            }
        }
        if stop_at(SyncStage::AfterCommit) {
            return Err(SyncError::Stopped(SyncStage::AfterCommit));
        }
        report.acknowledged += cache.acknowledge(&batches).await?;
    }
    Ok(batches.iter().any(|batch| batch.resumed))
}
