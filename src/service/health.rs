//! Readiness: whether the database answers, and the click cache's state.

use std::time::Duration;

use crate::db::{self, run_blocking_within, DbError, DbPool};
use crate::error::ApiError;

use super::clicks::ClickCounter;

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

/// Ok when the database answers one statement within [`READINESS_LIMIT`]; `DatabaseUnavailable` (503) when
/// it does not.
pub async fn readiness(pool: &DbPool, clicks: &ClickCounter) -> Result<ReadinessReport, ApiError> {
    let limit = READINESS_LIMIT.min(pool.statement_timeout());
    run_blocking_within(pool, limit, |conn| db::ping(conn).map_err(DbError::from)).await?;
    let cache = clicks.cache();
    Ok(ReadinessReport {
        cache_backend: cache.name(),
        cache_available: cache.is_available(),
    })
}
