//! `ClickSyncActor`: runs [`sync_pass`] on an interval (with a random phase, so instances started together
//! do not sync in step), one pass at a time, backing off after failures; a final pass on shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::pacing::{millis, Pacing};
use super::sync::sync_pass;
use super::{forget_old_reader_salts, roll_up_old_clicks, SyncError, SyncReport};
use crate::cache::CacheBackend;
use crate::db::DbPool;
use crate::domain::clock::Clocks;
use crate::metrics::{self, Metrics};
use crate::telemetry::error_chain;

/// When the sync runs, how long a pass may take, and how long applied batch ids are kept.
#[derive(Debug, Clone, Copy)]
pub struct SyncSchedule {
    pub interval: Duration,
    /// A pass still running after this is abandoned (as if its process died: nothing is lost), so that a
    /// hung database or cache cannot stop later passes.
    pub deadline: Duration,
    pub retention: Duration,
    /// How long clicks stay by the hour before a pass rolls them up into days.
    pub stats_retention: Duration,
}

/// Schedules the click sync. Holds no state of its own beyond the schedule.
pub struct ClickSyncActor {
    db: DbPool,
    cache: Arc<dyn CacheBackend>,
    metrics: Arc<Metrics>,
    pacing: Pacing,
    deadline: Duration,
    retention: Duration,
    stats_retention: Duration,
    /// "Now": for rolling hours up and forgetting readers' salts (the requests clock), for the ledger (real).
    clocks: Clocks,
}

impl ClickSyncActor {
    pub fn new(
        db: DbPool,
        cache: Arc<dyn CacheBackend>,
        metrics: Arc<Metrics>,
        schedule: SyncSchedule,
        clocks: Clocks,
    ) -> Self {
        ClickSyncActor {
            db,
            cache,
            metrics,
            clocks,
            pacing: Pacing::new(schedule.interval),
            deadline: schedule.deadline,
            retention: schedule.retention,
            stats_retention: schedule.stats_retention,
        }
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if !self.pacing.start() {
            return;
        }
        let pass = self.pass();
        let started = Instant::now();
        ctx.spawn(pass.into_actor(self).map(move |result, actor, _| {
            actor.pacing.finished();
            actor
                .metrics
                .observe_sync(started.elapsed(), result.is_ok(), started);
            actor.record(&result);
        }));
    }

    /// One pass, abandoned at the deadline.
    fn pass(&self) -> impl std::future::Future<Output = Result<SyncReport, SyncError>> + 'static {
        let (db, cache, retention, stats_retention, deadline, clocks) = (
            self.db.clone(),
            self.cache.clone(),
            self.retention,
            self.stats_retention,
            self.deadline,
            self.clocks.clone(),
        );
        async move {
            let pass = async {
                let never = Arc::new(|_| false);
                let report = sync_pass(&db, cache.as_ref(), retention, never, &clocks.real).await?;
                let now = clocks.requests.now();
                roll_up_old_clicks(&db, stats_retention, now).await?;
                forget_old_reader_salts(&db, now).await?;
                Ok(report)
            };
            tokio::time::timeout(deadline, pass)
                .await
                .unwrap_or(Err(SyncError::Deadline(deadline)))
        }
    }

    fn record(&mut self, result: &Result<SyncReport, SyncError>) {
        match result {
            Ok(report) => {
                metrics::add(&self.metrics.sync_passes, 1);
                metrics::add(&self.metrics.batches_applied, report.applied as u64);
                metrics::add(
                    &self.metrics.batches_already_applied,
                    report.already_applied as u64,
                );
                metrics::add(&self.metrics.batches_resurrected, report.resurrected as u64);
                metrics::add(
                    &self.metrics.parked_clicks_counted,
                    report.parked_counted as u64,
                );
                metrics::add(
                    &self.metrics.parked_clicks_already_counted,
                    report.parked_sent.saturating_sub(report.parked_counted) as u64,
                );
                metrics::add(
                    &self.metrics.clicks_synced,
                    u64::try_from(report.clicks).unwrap_or(0),
                );
                let failures = self.pacing.succeeded();
                if failures > 0 {
                    tracing::info!(after_failures = failures, "click sync recovered");
                }
                if report.drained > 0 {
                    tracing::debug!(?report, "click sync");
                }
            }
            Err(error) => {
                metrics::add(&self.metrics.sync_failures, 1);
                let (failures, pause) = self.pacing.failed();
                tracing::error!(
                    error = %error_chain(error),
                    failures,
                    retry_in_ms = millis(pause),
                    "click sync failed; the clicks stay in the cache and the next pass retries them"
                );
            }
        }
    }
}

impl Actor for ClickSyncActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_later(self.pacing.phase(), |actor, ctx| {
            actor.tick(ctx);
            ctx.run_interval(actor.pacing.interval(), ClickSyncActor::tick);
        });
    }
}

/// Runs one pass now, beside any pass under way (passes are safe side by side). Sent at shutdown as soon as
/// the listener stops accepting, before requests under way have finished.
#[derive(Message)]
#[rtype(result = "Result<SyncReport, SyncError>")]
pub struct SyncNow;

impl Handler<SyncNow> for ClickSyncActor {
    type Result = ResponseActFuture<Self, Result<SyncReport, SyncError>>;

    fn handle(&mut self, _: SyncNow, _: &mut Context<Self>) -> Self::Result {
        let pass = self.pass();
        Box::pin(pass.into_actor(self).map(|result, actor, _| {
            actor.record(&result);
            result
        }))
    }
}

/// Runs one last pass and stops the actor. Send after the server has stopped accepting requests.
#[derive(Message)]
#[rtype(result = "Result<SyncReport, SyncError>")]
pub struct FinalSync;

impl Handler<FinalSync> for ClickSyncActor {
    type Result = ResponseActFuture<Self, Result<SyncReport, SyncError>>;

    fn handle(&mut self, _: FinalSync, _: &mut Context<Self>) -> Self::Result {
        let pass = self.pass();
        Box::pin(pass.into_actor(self).map(|result, actor, ctx| {
            actor.record(&result);
            ctx.stop();
            result
        }))
    }
}
