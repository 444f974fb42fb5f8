//! Editors' writes to posts. Every write goes through here (the one place later webhooks hang off).

use super::content::ContentCache;
use std::collections::HashMap;

use super::clicks::ClickCounter;
use crate::db::{self, run_blocking, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::input::FieldErrors;
use crate::domain::post_input::{NewPost, PostChanges};
use crate::domain::{PostDetail, PostKey, ResourceId};
use crate::error::ApiError;

/// The 422 for a post body with invalid fields: those, and the category and tag slugs it names that no row
/// has, all in one answer.
pub async fn invalid_body(pool: &DbPool, body: &[u8], mut errors: FieldErrors) -> ApiError {
    let (category, tags) = PostChanges::references(body);
    let unknown = run_query(pool, move |conn| {
        db::post_writes::unknown_references(conn, &category, tags.as_ref())
    })
    .await;
    match unknown {
        Ok(unknown) => {
            crate::domain::post_rules::add_unknown_references(&mut errors, unknown);
            ApiError::Validation(errors)
        }
        Err(error) => error.into(),
    }
}

/// Creates a post and returns it as an editor reads it. Once it is committed, this instance's content cache
/// is dropped (the others drop theirs when the content version moves).
pub async fn create(
    pool: &DbPool,
    content: &ContentCache,
    clock: &Clock,
    post: NewPost,
) -> Result<PostDetail, ApiError> {
    let now = clock.now();
    let id = run_blocking(pool, move |conn| {
        db::post_writes::create(conn, &post, now).map_err(ApiError::from)
    })
    .await?;
    content.invalidate();
    let id = ResourceId::new(id)?;
    run_blocking(pool, move |conn| {
        db::posts::find(conn, &PostKey::Id(id), false, now)?.ok_or(ApiError::NotFound("post"))
    })
    .await
}

/// Applies a partial update (honouring `If-Match`) and returns the post with its fresh click count.
pub async fn update(
    pool: &DbPool,
    content: &ContentCache,
    clicks: &ClickCounter,
    clock: &Clock,
    id: ResourceId,
    changes: PostChanges,
    if_match: Option<String>,
) -> Result<PostDetail, ApiError> {
    let now = clock.now();
    run_blocking(pool, move |conn| {
        db::post_writes::update(conn, id.get(), &changes, if_match.as_deref(), now)
            .map_err(ApiError::from)
    })
    .await?;
    content.invalidate();
    let mut post = run_blocking(pool, move |conn| {
        db::posts::find(conn, &PostKey::Id(id), false, now)?.ok_or(ApiError::NotFound("post"))
    })
    .await?;
    let fresh = clicks
        .counts(&HashMap::from([(id.get(), post.summary.clicks)]))
        .await?;
    post.summary.clicks = fresh.get(&id.get()).copied().unwrap_or(post.summary.clicks);
    Ok(post)
}

/// Deletes a post (honouring `If-Match`). Its clicks still buffered in the cache are dropped by the sync.
pub async fn delete(
    pool: &DbPool,
    content: &ContentCache,
    clock: &Clock,
    id: ResourceId,
    if_match: Option<String>,
) -> Result<(), ApiError> {
    let now = clock.now();
    run_blocking(pool, move |conn| {
        db::post_writes::delete(conn, id.get(), if_match.as_deref(), now).map_err(ApiError::from)
    })
    .await?;
    content.invalidate();
    Ok(())
}
