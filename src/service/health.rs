//! Readiness: whether the database answers, and the click cache's state.

use crate::db::{self, run_query, DbPool};
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

/// Ok when the database answers one statement; `DatabaseUnavailable` (503) when it does not.
pub async fn readiness(pool: &DbPool, clicks: &ClickCounter) -> Result<ReadinessReport, ApiError> {
    run_query(pool, db::ping).await?;
    let cache = clicks.cache();
    Ok(ReadinessReport {
        cache_backend: cache.name(),
        cache_available: cache.is_available(),
    })
}
