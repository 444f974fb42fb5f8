//! `WebhookWorker`: runs a delivery pass ([`Deliverer::pass`]) on an interval (with a random phase, so
//! instances started together do not poll in step), one pass at a time; attempts run on their own tasks
//! and outlive the pass that started them. Failed passes back off like the click sync ([`Pacing`]).

use std::time::Duration;

use actix::prelude::*;

use super::pacing::{millis, Pacing};
use super::webhook_delivery::{Deliverer, PassReport};
use crate::telemetry::error_chain;

pub struct WebhookWorker {
    deliverer: Deliverer,
    pacing: Pacing,
}

impl WebhookWorker {
    pub fn new(deliverer: Deliverer, interval: Duration) -> Self {
        WebhookWorker {
            deliverer,
            pacing: Pacing::new(interval),
        }
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if !self.pacing.start() {
            return;
        }
        let deliverer = self.deliverer.clone();
        let pass = async move { deliverer.pass().await };
        ctx.spawn(pass.into_actor(self).map(|result, worker, _| {
            worker.pacing.finished();
            worker.record(result);
        }));
    }

    fn record(&mut self, result: Result<PassReport, crate::db::DbError>) {
        match result {
            Ok(report) => {
                let failures = self.pacing.succeeded();
                if failures > 0 {
                    tracing::info!(after_failures = failures, "webhook worker recovered");
                }
                if report.announced > 0 {
                    tracing::info!(
                        posts = report.announced,
                        "scheduled posts announced as published"
                    );
                }
            }
            Err(error) => {
                let (failures, pause) = self.pacing.failed();
                tracing::error!(
                    error = %error_chain(&error),
                    failures,
                    retry_in_ms = millis(pause),
                    "webhook pass failed; pending deliveries stay in the outbox"
                );
            }
        }
    }
}

impl Actor for WebhookWorker {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_later(self.pacing.phase(), |worker, ctx| {
            worker.tick(ctx);
            ctx.run_interval(worker.pacing.interval(), WebhookWorker::tick);
        });
    }
}
