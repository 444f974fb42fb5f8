//! `WebhookWorker`: runs a delivery pass ([`Deliverer::pass`]) on an interval (with a random phase, so
//! instances started together do not poll in step), one pass at a time; attempts run on their own tasks
//! and outlive the pass that started them. Failed passes back off like the click sync.

use std::time::{Duration, Instant};

use actix::prelude::*;

use crate::service::webhook_delivery::{Deliverer, PassReport};
use crate::telemetry::error_chain;

pub struct WebhookWorker {
    deliverer: Deliverer,
    interval: Duration,
    running: bool,
    failures: u32,
    paused_until: Option<Instant>,
}

impl WebhookWorker {
    pub fn new(deliverer: Deliverer, interval: Duration) -> Self {
        WebhookWorker {
            deliverer,
            interval,
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
        let deliverer = self.deliverer.clone();
        let pass = async move { deliverer.pass().await };
        ctx.spawn(pass.into_actor(self).map(|result, worker, _| {
            worker.running = false;
            worker.record(result);
        }));
    }

    fn record(&mut self, result: Result<PassReport, crate::db::DbError>) {
        match result {
            Ok(report) => {
                if self.failures > 0 {
                    tracing::info!(after_failures = self.failures, "webhook worker recovered");
                }
                self.failures = 0;
                self.paused_until = None;
                if report.announced > 0 {
                    tracing::info!(
                        posts = report.announced,
                        "scheduled posts announced as published"
                    );
                }
            }
            Err(error) => {
                self.failures += 1;
                let backoff = self
                    .interval
                    .saturating_mul(1 << self.failures.min(6))
                    .min(Duration::from_secs(60));
                self.paused_until = Some(Instant::now() + backoff);
                tracing::error!(
                    error = %error_chain(&error),
                    failures = self.failures,
                    retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    "webhook pass failed; pending deliveries stay in the outbox"
                );
            }
        }
    }
}

impl Actor for WebhookWorker {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let interval_ms = u64::try_from(self.interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let phase = Duration::from_millis(rand::random_range(0..interval_ms));
        ctx.run_later(phase, |worker, ctx| {
            worker.tick(ctx);
            ctx.run_interval(worker.interval, WebhookWorker::tick);
        });
    }
}
