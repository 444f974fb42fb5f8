//! Reading posts as readers and editors see them, and the click beacon.

use std::collections::HashMap;

use super::clicks::{ClickCounter, Count};
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::{Page, PostDetail, PostKey, PostListQuery, PostSummary, ResourceId, Viewer};
use crate::error::ApiError;

/// A page of posts with fresh click counts: the page's statements, then one cache round trip and one
/// statement for the counts, whatever the page size.
pub async fn list_posts(
    pool: &DbPool,
    clicks: &ClickCounter,
    clock: &Clock,
    searches: &SearchSlots,
    query: PostListQuery,
) -> Result<Page<PostSummary>, ApiError> {
    let now = clock.now();
    let page = query.page;
    // A search waits for a slot (half the pool), so searches alone can never hold every connection.
    let searching = query.filter.search.is_some();
    let _slot = if searching {
        Some(searches.take(pool.statement_timeout()).await?)
    } else {
        None
    };
    let (mut posts, total) =
        run_query(pool, move |conn| db::posts::list(conn, &query, now)).await?;
    let synced: HashMap<i64, i64> = posts.iter().map(|post| (post.id, post.clicks)).collect();
    let fresh = clicks.counts(&synced).await?;
    for post in &mut posts {
        post.clicks = fresh.get(&post.id).copied().unwrap_or(post.clicks);
    }
    Ok(if searching {
        Page::counted_up_to(posts, page, total, db::posts::SEARCH_COUNT_CAP)
    } else {
        Page::new(posts, page, total)
    })
}

/// How many searches may run at once: half the database pool (at least one), so that reads of single
/// posts and lists always find a connection while common-word searches pile up.
#[derive(Debug, Clone)]
pub struct SearchSlots(std::sync::Arc<tokio::sync::Semaphore>);

impl SearchSlots {
    pub fn for_pool(pool_size: u32) -> Self {
        let slots = usize::try_from((pool_size / 2).max(1)).unwrap_or(1);
        SearchSlots(std::sync::Arc::new(tokio::sync::Semaphore::new(slots)))
    }

    /// A slot, waiting at most `patience` (then 503, like a database call that timed out).
    async fn take(
        &self,
        patience: std::time::Duration,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(patience, self.0.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(ApiError::from(db::DbError::Timeout(patience))),
        }
    }
}

/// One post: published ones for anyone, every one for editors; `NotFound` for drafts, scheduled posts and
/// unknown keys alike otherwise. With [`Count::Record`] this read is a click, and the count shown includes it.
pub async fn get_post(
    pool: &DbPool,
    clicks: &ClickCounter,
    clock: &Clock,
    key: PostKey,
    viewer: Viewer,
    count: Count,
) -> Result<PostDetail, ApiError> {
    let now = clock.now();
    let published_only = viewer == Viewer::Anonymous;
    let mut post = run_query(pool, move |conn| {
        db::posts::find(conn, &key, published_only, now)
    })
    .await?
    .ok_or(ApiError::NotFound("post"))?;
    let id = post.summary.id;
    post.summary.clicks = match count {
        Count::Record => clicks.record(id).await?,
        Count::Peek => {
            let fresh = clicks
                .counts(&HashMap::from([(id, post.summary.clicks)]))
                .await?;
            fresh.get(&id).copied().unwrap_or(post.summary.clicks)
        }
    };
    Ok(post)
}

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
        Count::Record => {
            let published = run_query(pool, move |conn| {
                db::posts::is_published(conn, post_id.get(), now)
            })
            .await?;
            if !published {
                return Err(ApiError::NotFound("post"));
            }
            clicks.record(post_id.get()).await
        }
    }
}
