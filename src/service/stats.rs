//! A post's readership over time (README "Stats").

use super::clicks::ClickCounter;
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::stats::{PostStats, StatsRange};
use crate::domain::{PostKey, ResourceId, Viewer};
use crate::error::ApiError;

/// The series of a published post (any post, for editors): zero-filled buckets of its clicks, those not yet
/// synced included (read from the cache first; the statement leaves out the batches the ledger holds).
/// `NotFound` for drafts, scheduled posts and unknown ids otherwise.
pub async fn post_stats(
    pool: &DbPool,
    clicks: &ClickCounter,
    clock: &Clock,
    post_id: ResourceId,
    viewer: Viewer,
    range: StatsRange,
) -> Result<PostStats, ApiError> {
    let now = clock.now();
    let (hours, days) = (range.hours(), range.days());
    let pending = clicks.pending_by_hour(hours.0, Some(post_id.get())).await;
    let found = run_query(pool, move |conn| {
        let visible = match viewer {
            Viewer::Editor => db::posts::find(conn, &PostKey::Id(post_id), false, now)?.is_some(),
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
        Some(groups) => clicks.unique_readers(post_id.get(), &groups).await,
        None => None,
    };
    Ok(range.series(&by_hour, &by_day, readers))
}
