//! Reading posts and their comments, as anonymous readers see them.

use crate::db::{self, run_blocking, DbPool};
use crate::domain::{
    CommentView, Page, PageRequest, PostDetail, PostKey, PostListQuery, PostSummary, ResourceId,
};
use crate::error::ApiError;

/// A page of published posts.
pub async fn list_posts(
    pool: &DbPool,
    query: PostListQuery,
) -> Result<Page<PostSummary>, ApiError> {
    let now = super::now();
    let page = query.page;
    let (posts, total) = run_blocking(pool, move |conn| {
        db::posts::list_published(conn, &query, now)
    })
    .await?;
    Ok(Page::new(posts, page, total))
}

/// One published post; `NotFound` for drafts, scheduled posts and unknown keys alike.
pub async fn get_post(pool: &DbPool, key: PostKey) -> Result<PostDetail, ApiError> {
    let now = super::now();
    run_blocking(pool, move |conn| db::posts::find_published(conn, &key, now))
        .await?
        .ok_or(ApiError::NotFound("post"))
}

/// A page of a published post's approved comments, oldest first.
pub async fn list_comments(
    pool: &DbPool,
    post_id: ResourceId,
    page: PageRequest,
) -> Result<Page<CommentView>, ApiError> {
    let now = super::now();
    let found = run_blocking(pool, move |conn| {
        if !db::posts::is_published(conn, post_id.get(), now)? {
            return Ok(None);
        }
        db::comments::list_approved(conn, post_id.get(), page).map(Some)
    })
    .await?;
    let (comments, total) = found.ok_or(ApiError::NotFound("post"))?;
    Ok(Page::new(comments, page, total))
}
