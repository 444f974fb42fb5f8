//! Reading posts and their comments, as anonymous readers see them.

use std::collections::HashMap;

use super::clicks::ClickCounter;
use crate::db::{self, run_blocking, DbPool};
use crate::domain::{Page, PostDetail, PostKey, PostListQuery, PostSummary, ResourceId};
use crate::error::ApiError;

/// A page of published posts with fresh click counts: the page's statements, then one cache round trip
/// and one statement for the counts, whatever the page size.
pub async fn list_posts(
    pool: &DbPool,
    clicks: &ClickCounter,
    query: PostListQuery,
) -> Result<Page<PostSummary>, ApiError> {
    let now = super::now();
    let page = query.page;
    let (mut posts, total) =
        run_blocking(pool, move |conn| db::posts::list(conn, &query, now)).await?;
    let synced: HashMap<i64, i64> = posts.iter().map(|post| (post.id, post.clicks)).collect();
    let fresh = clicks.counts(&synced).await?;
    for post in &mut posts {
        post.clicks = fresh.get(&post.id).copied().unwrap_or(post.clicks);
    }
    Ok(Page::new(posts, page, total))
}

/// One post: published ones for anyone, every one for editors; `NotFound` for drafts, scheduled posts and
/// unknown keys alike otherwise. With `count`, this read is recorded as a click, and the count shown
/// includes it.
pub async fn get_post(
    pool: &DbPool,
    clicks: &ClickCounter,
    key: PostKey,
    count: bool,
    editor: bool,
) -> Result<PostDetail, ApiError> {
    let now = super::now();
    let mut post = run_blocking(pool, move |conn| db::posts::find(conn, &key, !editor, now))
        .await?
        .ok_or(ApiError::NotFound("post"))?;
    let id = post.summary.id;
    post.summary.clicks = if count {
        clicks.record(id).await?
    } else {
        let fresh = clicks
            .counts(&HashMap::from([(id, post.summary.clicks)]))
            .await?;
        fresh.get(&id).copied().unwrap_or(post.summary.clicks)
    };
    Ok(post)
}

/// Records a click on a published post without reading it (the beacon) and returns its fresh count.
pub async fn record_click(
    pool: &DbPool,
    clicks: &ClickCounter,
    post_id: ResourceId,
) -> Result<i64, ApiError> {
    let now = super::now();
    let published = run_blocking(pool, move |conn| {
        db::posts::is_published(conn, post_id.get(), now)
    })
    .await?;
    if !published {
        return Err(ApiError::NotFound("post"));
    }
    clicks.record(post_id.get()).await
}
