//! Slots for the heavy reads (searches, rankings by recent clicks): how many run at once, and waiting for
//! one.

use crate::db;
use crate::error::ApiError;

/// How many search requests may run at once: half the database pool and half the machine's cores (at
/// least one), so that reads of single posts and lists always find a connection, and a core, while
/// common-word searches pile up (waiting for a slot costs nothing). A search served from memory is all
/// CPU: on two cores, two at once left a post read beside ten searching connections 2.4x its idle p99.
#[derive(Debug, Clone)]
pub struct SearchSlots(std::sync::Arc<tokio::sync::Semaphore>);

impl SearchSlots {
    pub fn for_pool(pool_size: u32) -> Self {
        let cores = crate::config::cores();
        let slots = usize::try_from(pool_size / 2)
            .unwrap_or(1)
            .min(cores / 2)
            .max(1);
        SearchSlots(std::sync::Arc::new(tokio::sync::Semaphore::new(slots)))
    }

    /// A slot, waiting at most `patience` (then 503, like a database call that timed out).
    pub(super) async fn take(
        &self,
        patience: std::time::Duration,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(patience, self.0.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(ApiError::from(db::DbError::Timeout(patience))),
        }
    }
}
