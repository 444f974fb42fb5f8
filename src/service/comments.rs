//! Comments: readers see and post them; editors moderate.

use std::net::IpAddr;
use std::sync::Arc;

use super::content::ContentCache;
use super::rate_limits::{Action, Limiter};
use crate::db::{self, run_blocking, run_query, DbPool};
use crate::domain::clock::Clocks;
use crate::domain::comment_input::{Moderation, NewComment};
use crate::domain::cursor::{After, CursorKey};
use crate::domain::markdown::render_comment_html;
use crate::domain::{CommentView, InvalidValue, Page, PageRequest, PostKey, ResourceId, Viewer};
use crate::error::ApiError;

/// The comments service.
pub struct Comments {
    pool: DbPool,
    content: Arc<ContentCache>,
    /// Seals and opens the cursors of comment lists.
    cursors: CursorKey,
    /// `RATE_LIMIT_COMMENTS_PER_MINUTE`.
    limiter: Arc<Limiter>,
    clocks: Clocks,
}

impl Comments {
    pub fn new(
        pool: DbPool,
        content: Arc<ContentCache>,
        cursors: CursorKey,
        limiter: Arc<Limiter>,
        clocks: Clocks,
    ) -> Self {
        Comments {
            pool,
            content,
            cursors,
            limiter,
            clocks,
        }
    }

    /// `Ok` when an anonymous client at `address` may post a comment now (`RATE_LIMIT_COMMENTS_PER_MINUTE`),
    /// else `RateLimited`. Checked before the body is read.
    pub async fn admit(&self, address: Option<IpAddr>) -> Result<(), ApiError> {
        match address {
            Some(address) => self.limiter.check(address, Action::Comment).await,
            None => Ok(()),
        }
    }

    /// A page of a post's comments, oldest first. Readers: approved comments of a published post. Editors:
    /// the comments in `statuses` of any post, each with its status. With `cursor` (a `meta.next_cursor` of
    /// this list) the page starts after the comment it names.
    pub async fn list(
        &self,
        post_id: ResourceId,
        statuses: Vec<&'static str>,
        viewer: Viewer,
        page: PageRequest,
        cursor: Option<&str>,
    ) -> Result<Page<CommentView>, ApiError> {
        let now = self.clocks.requests.now();
        let editor = viewer == Viewer::Editor;
        let binding = format!("comments\n{}\n{}", post_id.get(), statuses.join(","));
        let after = match cursor
            .map(|raw| self.cursors.open(&binding, raw))
            .transpose()?
        {
            None => None,
            Some(After::Created(at, id)) => Some((at, id)),
            Some(_) => return Err(InvalidValue::new("cursor", "made for another list").into()),
        };
        let found = run_query(&self.pool, move |conn| {
            let visible = if editor {
                db::posts::find(conn, &PostKey::Id(post_id), false, now)?.is_some()
            } else {
                db::posts::is_published(conn, post_id.get(), now)?
            };
            if !visible {
                return Ok(None);
            }
            db::comments::list(conn, post_id.get(), &statuses, editor, page, after).map(Some)
        })
        .await?;
        let (comments, total, more) = found.ok_or(ApiError::NotFound("post"))?;
        let next_cursor = comments.last().filter(|_| more).map(|last| {
            let after = After::Created(last.created_at.naive_utc(), last.id);
            self.cursors.seal(&binding, &after)
        });
        Ok(Page::new(comments, page, total)
            .by_cursor(after.is_some())
            .with_next_cursor(next_cursor))
    }

    /// Stores a reader's comment on a published post, pending moderation, rendered once here.
    pub async fn create(
        &self,
        post_id: ResourceId,
        comment: NewComment,
    ) -> Result<CommentView, ApiError> {
        let time = self.clocks.write_time();
        let now = time.at;
        let body_html = render_comment_html(&comment.body);
        run_blocking(&self.pool, move |conn| {
            if !db::posts::is_published(conn, post_id.get(), now)? {
                return Err(ApiError::NotFound("post"));
            }
            Ok(db::comments::create(
                conn,
                post_id.get(),
                &comment.author_name,
                &comment.body,
                &body_html,
                time,
            )?)
        })
        .await
    }

    /// Sets a comment's status; this instance's content cache is dropped once it is committed (approved
    /// comments are counted and listed).
    pub async fn moderate(
        &self,
        id: ResourceId,
        moderation: Moderation,
    ) -> Result<CommentView, ApiError> {
        let time = self.clocks.write_time();
        let moderated = run_query(&self.pool, move |conn| {
            db::comments::set_status(conn, id.get(), moderation.status, time)
        })
        .await?
        .ok_or(ApiError::NotFound("comment"))?;
        self.content.invalidate();
        Ok(moderated)
    }

    /// Deletes a comment; this instance's content cache is dropped once it is committed.
    pub async fn delete(&self, id: ResourceId) -> Result<(), ApiError> {
        if run_query(&self.pool, move |conn| db::comments::delete(conn, id.get())).await? {
            self.content.invalidate();
            Ok(())
        } else {
            Err(ApiError::NotFound("comment"))
        }
    }
}
