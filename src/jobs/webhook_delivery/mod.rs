//! Delivering webhooks: one pass announces scheduled posts whose time has come, claims due deliveries and
//! starts an attempt for each (each on its own task, so a slow receiver delays nobody else); an attempt
//! signs the stored body (Standard Webhooks), posts it, and records what came of it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::config::WebhookSettings;
use crate::db::{self, run_query, DbError, DbPool};
use crate::domain::clock::Clocks;
use crate::domain::webhook::{
    retry_delay, AttemptRecord, AttemptResult, ClaimedDelivery, NextStep,
};
use crate::metrics::{self, Metrics};
use crate::telemetry::error_chain;

mod transport;

/// The most of a receiver's answer kept in the attempt log.
const BODY_KEPT: usize = 1024;
/// The most deliveries one instance attempts at once.
const MAX_IN_FLIGHT: usize = 64;
/// The most deliveries of one subscription attempted at once, by all instances together.
const PER_WEBHOOK: i64 = 4;
/// Finished events are kept this long for the delivery log.
const LOG_RETENTION: Duration = Duration::from_secs(30 * 86_400);

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Scheduled posts announced as published.
    pub announced: usize,
    /// Deliveries claimed and started.
    pub started: usize,
}

/// Delivers webhooks from one instance. Cheap to clone.
#[derive(Clone)]
pub struct Deliverer {
    pool: DbPool,
    client: reqwest::Client,
    settings: WebhookSettings,
    clocks: Clocks,
    metrics: Arc<Metrics>,
    in_flight: Arc<AtomicUsize>,
    /// Set by [`Deliverer::drain`]: passes claim nothing more.
    stopping: Arc<std::sync::atomic::AtomicBool>,
    last_prune: Arc<std::sync::Mutex<Option<Instant>>>,
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the webhook HTTP client cannot be built: {0}")]
pub struct ClientError(#[from] reqwest::Error);

impl Deliverer {
    /// A deliverer on `pool` (a pool of its own: its statements are not the requests').
    pub fn new(
        pool: DbPool,
        settings: WebhookSettings,
        clocks: Clocks,
        metrics: Arc<Metrics>,
    ) -> Result<Self, ClientError> {
        let client = transport::http_client(&settings)?;
        Ok(Deliverer {
            pool,
            client,
            settings,
            clocks,
            metrics,
            in_flight: Arc::new(AtomicUsize::new(0)),
            stopping: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            last_prune: Arc::new(std::sync::Mutex::new(None)),
        })
    }

    /// Attempts started by this instance and not yet recorded.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Stops claiming, and waits for the attempts under way to finish and be recorded (each ends within
    /// `WEBHOOK_TIMEOUT_MS`), at most that long and a second. Called at shutdown, so that a stop does not
    /// leave claims to run out and deliveries to be sent again. Returns how many were still open at the end.
    pub async fn drain(&self) -> usize {
        self.stopping.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + self.settings.timeout + Duration::from_secs(1);
        while self.in_flight() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.in_flight()
    }

    /// One pass: announce due scheduled posts, refresh the backlog gauges, claim what is due (up to this
    /// instance's free slots) and start an attempt for each. Returns once they are started, not finished.
    pub async fn pass(&self) -> Result<PassReport, DbError> {
        let time = self.clocks.write_time();
        let announced = run_query(&self.pool, move |conn| {
            db::post_writes::announce_due(conn, time)
        })
        .await?;
        self.prune_now_and_then().await?;
        let backlog = run_query(&self.pool, db::webhooks::backlog).await?;
        metrics::set(
            &self.metrics.webhook_backlog,
            u64::try_from(backlog.pending).unwrap_or(0),
        );
        metrics::set(
            &self.metrics.webhook_oldest_pending,
            backlog
                .oldest
                .and_then(|at| u64::try_from(at.and_utc().timestamp()).ok())
                .unwrap_or(0),
        );
        let free = MAX_IN_FLIGHT.saturating_sub(self.in_flight());
        if free == 0 || backlog.pending == 0 || self.stopping.load(Ordering::Relaxed) {
            return Ok(PassReport {
                announced,
                started: 0,
            });
        }
        let real_now = self.clocks.real.now();
        let limits = db::webhooks::ClaimLimits {
            batch: i64::try_from(free).unwrap_or(1),
            per_webhook: PER_WEBHOOK,
            until: real_now + self.settings.claim_lease(),
        };
        let claim = uuid::Uuid::new_v4().simple().to_string();
        let claimed = run_query(&self.pool, move |conn| {
            db::webhooks::claim_due(conn, real_now, limits, &claim)
        })
        .await?;
        let started = claimed.len();
        for delivery in claimed {
            self.in_flight.fetch_add(1, Ordering::Relaxed);
            let deliverer = self.clone();
            tokio::spawn(async move {
                deliverer.attempt(delivery).await;
                deliverer.in_flight.fetch_sub(1, Ordering::Relaxed);
            });
        }
        Ok(PassReport { announced, started })
    }

    /// Deletes old finished events, and delta sync's old tombstones, once an hour.
    async fn prune_now_and_then(&self) -> Result<(), DbError> {
        let due = self.last_prune.lock().is_ok_and(|mut last| {
            let due = last.is_none_or(|at| at.elapsed() > Duration::from_secs(3600));
            if due {
                *last = Some(Instant::now());
            }
            due
        });
        if due {
            let before = self.clocks.real.now()
                - chrono::Duration::from_std(LOG_RETENTION).unwrap_or_default();
            run_query(&self.pool, move |conn| db::webhooks::prune(conn, before)).await?;
            // Delta sync's tombstones are kept as long (README "Delta sync").
            run_query(&self.pool, move |conn| db::sync::prune(conn, before)).await?;
        }
        Ok(())
    }

    /// One attempt at `delivery`, recorded. A failure to record it (the database gone) leaves the claim to
    /// run out: the delivery is attempted again then (at least once, never lost).
    async fn attempt(&self, delivery: ClaimedDelivery) {
        let started_at = self.clocks.real.now().and_utc();
        let started = Instant::now();
        let (status, error, body, retry_after) = self.send(&delivery, started_at).await;
        let record = AttemptRecord {
            number: delivery.attempt,
            started_at,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            response_status: status.map(i64::from),
            error,
            response_body: body,
        };
        let now = self.clocks.real.now();
        let next = self.next_step(&delivery, status, retry_after, now);
        let counter = match next {
            NextStep::Delivered => &self.metrics.webhooks_delivered,
            NextStep::RetryAt(_) => &self.metrics.webhooks_retried,
            NextStep::GiveUp => &self.metrics.webhooks_failed,
        };
        metrics::add(counter, 1);
        tracing::debug!(
            delivery = delivery.id,
            webhook = delivery.webhook_id,
            attempt = delivery.attempt,
            status,
            error = record.error.as_deref(),
            ?next,
            "webhook attempt"
        );
        let recorded = run_query(&self.pool, move |conn| {
            db::webhooks::finish_attempt(conn, &delivery, &record, next, now)
        })
        .await;
        if let Err(error) = recorded {
            tracing::error!(
                error = %error_chain(&error),
                "recording a webhook attempt failed; the delivery is attempted again when its claim runs out"
            );
        }
    }

    /// What comes after an attempt that got `status` (or none).
    fn next_step(
        &self,
        delivery: &ClaimedDelivery,
        status: Option<u16>,
        retry_after: Option<Duration>,
        now: NaiveDateTime,
    ) -> NextStep {
        match AttemptResult::of(status) {
            AttemptResult::Delivered => NextStep::Delivered,
            AttemptResult::Refused => NextStep::GiveUp,
            AttemptResult::Retryable => {
                let failures = u32::try_from(delivery.attempt).unwrap_or(u32::MAX);
                let delay = retry_delay(
                    self.settings.retry_base,
                    failures,
                    rand::random::<f64>(),
                    retry_after,
                );
                let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                let give_up_at = delivery.retry_from
                    + chrono::Duration::from_std(self.settings.max_age).unwrap_or_default();
                if at > give_up_at {
                    NextStep::GiveUp
                } else {
                    NextStep::RetryAt(at)
                }
            }
        }
    }
}
