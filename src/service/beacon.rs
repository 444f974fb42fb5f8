//! The click beacon: a click recorded without reading the post.

use super::clicks::{ClickCounter, Count};
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::ResourceId;
use crate::error::ApiError;

/// The beacon: records a click on a published post without reading it (with [`Count::Record`]) or only
/// reads its count, and returns the fresh count.
pub async fn beacon(
    pool: &DbPool,
    clicks: &ClickCounter,
    clock: &Clock,
    post_id: ResourceId,
    count: Count,
) -> Result<i64, ApiError> {
    let now = clock.now();
    match count {
        Count::Peek => clicks.click_count(post_id.get(), now).await,
        Count::Record(reader) => {
            let published = run_query(pool, move |conn| {
                db::posts::is_published(conn, post_id.get(), now)
            })
            .await?;
            if !published {
                return Err(ApiError::NotFound("post"));
            }
            clicks.record(post_id.get(), now, reader.as_deref()).await
        }
    }
}
