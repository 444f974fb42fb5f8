//! Comments: readers see and post them; editors moderate.

use crate::db::{self, run_blocking, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::comment_input::{Moderation, NewComment};
use crate::domain::markdown::render_comment_html;
use crate::domain::{CommentView, Page, PageRequest, PostKey, ResourceId, Viewer};
use crate::error::ApiError;

/// A page of a post's comments, oldest first. Readers: approved comments of a published post. Editors:
/// the comments in `statuses` of any post, each with its status.
pub async fn list(
    pool: &DbPool,
    clock: &Clock,
    post_id: ResourceId,
    statuses: Vec<&'static str>,
    viewer: Viewer,
    page: PageRequest,
) -> Result<Page<CommentView>, ApiError> {
    let now = clock.now();
    let editor = viewer == Viewer::Editor;
    let found = run_query(pool, move |conn| {
        let visible = if editor {
            db::posts::find(conn, &PostKey::Id(post_id), false, now)?.is_some()
        } else {
            db::posts::is_published(conn, post_id.get(), now)?
        };
        if !visible {
            return Ok(None);
        }
        db::comments::list(conn, post_id.get(), &statuses, editor, page).map(Some)
    })
    .await?;
    let (comments, total) = found.ok_or(ApiError::NotFound("post"))?;
    Ok(Page::new(comments, page, total))
}

/// Stores a reader's comment on a published post, pending moderation, rendered once here.
pub async fn create(
    pool: &DbPool,
    clock: &Clock,
    post_id: ResourceId,
    comment: NewComment,
) -> Result<CommentView, ApiError> {
    let now = clock.now();
    let body_html = render_comment_html(&comment.body);
    run_blocking(pool, move |conn| {
        if !db::posts::is_published(conn, post_id.get(), now)? {
            return Err(ApiError::NotFound("post"));
        }
        Ok(db::comments::create(
            conn,
            post_id.get(),
            &comment.author_name,
            &comment.body,
            &body_html,
            now,
        )?)
    })
    .await
}

pub async fn moderate(
    pool: &DbPool,
    id: ResourceId,
    moderation: Moderation,
) -> Result<CommentView, ApiError> {
    run_query(pool, move |conn| {
        db::comments::set_status(conn, id.get(), moderation.status)
    })
    .await?
    .ok_or(ApiError::NotFound("comment"))
}

pub async fn delete(pool: &DbPool, id: ResourceId) -> Result<(), ApiError> {
    if run_query(pool, move |conn| db::comments::delete(conn, id.get())).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound("comment"))
    }
}
