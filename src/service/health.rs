//! Health: readiness (whether the database answers, and the click cache's state) and the metrics page.

use std::sync::Arc;
use std::time::Duration;

use crate::cache::CacheBackend;
use crate::db::{self, run_blocking_within, DbError, DbPool, QueryCounter};
use crate::domain::clock::Clock;
use crate::error::ApiError;
use crate::metrics::{Gauges, Metrics};

/// What `/readyz` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadinessReport {
    /// `memory` or `redis`.
    pub cache_backend: &'static str,
    /// False while Redis is unreachable and clicks go straight to the database.
    pub cache_available: bool,
}

/// How long readiness waits for the database: a load balancer's probe gets its answer within 2 s.
const READINESS_LIMIT: Duration = Duration::from_millis(1500);

/// The health service: what `/readyz` and `/metrics` report.
pub struct Health {
    pool: DbPool,
    queries: QueryCounter,
    cache: Arc<dyn CacheBackend>,
    metrics: Arc<Metrics>,
    /// The real clock (see `Clocks`): ages on the metrics page are measured by it.
    clock: Clock,
}

impl Health {
    pub fn new(
        pool: DbPool,
        queries: QueryCounter,
        cache: Arc<dyn CacheBackend>,
        metrics: Arc<Metrics>,
        clock: Clock,
    ) -> Self {
        Health {
            pool,
            queries,
            cache,
            metrics,
            clock,
        }
    }

    /// The service's counters, which the request middleware adds to.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Ok when the database answers one statement within [`READINESS_LIMIT`]; `DatabaseUnavailable` (503)
    /// when it does not.
    pub async fn readiness(&self) -> Result<ReadinessReport, ApiError> {
        let limit = READINESS_LIMIT.min(self.pool.statement_timeout());
        run_blocking_within(&self.pool, limit, |conn| {
            db::ping(conn).map_err(DbError::from)
        })
        .await?;
        Ok(ReadinessReport {
            cache_backend: self.cache.name(),
            cache_available: self.cache.is_available(),
        })
    }

    /// The metrics page, in Prometheus text format.
    pub fn render_metrics(&self) -> String {
        let pool = self.pool.state();
        let gauges = Gauges {
            at: self.clock.now(),
            cache_available: self.cache.is_available(),
            cache_round_trips: self.cache.round_trips(),
            db_statements: self.queries.get(),
            db_connections: pool.connections,
            db_idle_connections: pool.idle_connections,
            db_max_connections: self.pool.max_size(),
        };
        self.metrics.render(gauges, self.cache.name())
    }
}
