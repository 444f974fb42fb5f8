//! `ClickSyncActor`: runs [`sync_once`] on an interval (with a random phase, so instances started together
//! do not sync in step), one pass at a time, backing off after failures; a final pass on shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::{roll_up_old_clicks, sync_once, SyncError, SyncReport};
use crate::cache::CacheBackend;
use crate::db::DbPool;
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
    interval: Duration,
    deadline: Duration,
    retention: Duration,
    stats_retention: Duration,
    running: bool,
    failures: u32,
    paused_until: Option<Instant>,
}

impl ClickSyncActor {
    pub fn new(
        db: DbPool,
        cache: Arc<dyn CacheBackend>,
        metrics: Arc<Metrics>,
        schedule: SyncSchedule,
    ) -> Self {
        ClickSyncActor {
            db,
            cache,
            metrics,
            interval: schedule.interval,
            deadline: schedule.deadline,
            retention: schedule.retention,
            stats_retention: schedule.stats_retention,
            running: false,
            failures: 0,
            paused_until: None,
        }
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if self.running
            || self
                .paused_until
                .is_some_and(|until| Instant::now() < until)
        {
            return;
        }
        self.running = true;
        let pass = self.pass();
        let started = Instant::now();
        ctx.spawn(pass.into_actor(self).map(move |result, actor, _| {
            actor.running = false;
            actor
                .metrics
                .observe_sync(started.elapsed(), result.is_ok(), started);
            actor.record(&result);
        }));
    }

    /// One pass, abandoned at the deadline.
    fn pass(&self) -> impl std::future::Future<Output = Result<SyncReport, SyncError>> + 'static {
        let (db, cache, retention, stats_retention, deadline) = (
            self.db.clone(),
            self.cache.clone(),
            self.retention,
            self.stats_retention,
            self.deadline,
        );
        async move {
            let pass = async {
                let report = sync_once(&db, cache.as_ref(), retention).await?;
                roll_up_old_clicks(&db, stats_retention, crate::domain::clock::now()).await?;
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
                if self.failures > 0 {
                    tracing::info!(after_failures = self.failures, "click sync recovered");
                }
                self.failures = 0;
                self.paused_until = None;
                if report.drained > 0 {
                    tracing::debug!(?report, "click sync");
                }
            }
            Err(error) => {
                metrics::add(&self.metrics.sync_failures, 1);
                self.failures += 1;
                let backoff = self
                    .interval
                    .saturating_mul(1 << self.failures.min(6))
                    .min(Duration::from_secs(60));
                self.paused_until = Some(Instant::now() + backoff);
                tracing::error!(
                    error = %error_chain(error),
                    failures = self.failures,
                    retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    "click sync failed; the clicks stay in the cache and the next pass retries them"
                );
            }
        }
    }
}

impl Actor for ClickSyncActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let interval_ms = u64::try_from(self.interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let phase = Duration::from_millis(rand::random_range(0..interval_ms));
        ctx.run_later(phase, |actor, ctx| {
            actor.tick(ctx);
            ctx.run_interval(actor.interval, ClickSyncActor::tick);
        });
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
