//! A post's readership over time (README "Stats").

use super::clicks::ClickCounter;
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::stats::PostStats;
use crate::domain::stats::RangeParams;
use crate::domain::{PostKey, ResourceId, Viewer};
use crate::error::ApiError;

/// The stats service.
pub struct Stats {
    pool: DbPool,
    clicks: ClickCounter,
    clock: Clock,
}

impl Stats {
    pub fn new(pool: DbPool, clicks: ClickCounter, clock: Clock) -> Self {
        Stats {
            pool,
            clicks,
            clock,
        }
    }

    /// The series of a published post (any post, for editors): zero-filled buckets of its clicks, those not yet
    /// synced included (read from the cache first; the statement leaves out the batches the ledger holds).
    /// `NotFound` for drafts, scheduled posts and unknown ids otherwise.
    pub async fn post_stats(
        &self,
        post_id: ResourceId,
        viewer: Viewer,
        range: &RangeParams,
    ) -> Result<PostStats, ApiError> {
        let now = self.clock.now();
        let range = range.at(now)?;
        let (hours, days) = (range.hours(), range.days());
        let pending = self
            .clicks
            .pending_by_hour(hours.0, Some(post_id.get()))
            .await;
        let found = run_query(&self.pool, move |conn| {
            let visible = match viewer {
                Viewer::Editor => {
                    db::posts::find(conn, &PostKey::Id(post_id), false, now)?.is_some()
                }
                Viewer::Anonymous => db::posts::is_published(conn, post_id.get(), now)?,
            };
            if !visible {
                return Ok(None);
            }
            db::stats::clicks_of(conn, post_id.get(), hours, days, &pending).map(Some)
        })
        .await?;
        let (by_hour, by_day) = found.ok_or(ApiError::NotFound("post"))?;
        let readers = match range.reader_days() {
            Some(groups) => self.clicks.unique_readers(post_id.get(), &groups).await,
            None => None,
        };
        Ok(range.series(&by_hour, &by_day, readers))
    }
}
