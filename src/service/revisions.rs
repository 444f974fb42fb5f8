//! Revisions of a post (README "Revisions"): listed newest first, read one by one, restored.

use super::posts::Posts;
use crate::db::{self, run_query};
use crate::domain::cursor::After;
use crate::domain::revision::{Revision, RevisionSummary};
use crate::domain::{InvalidValue, Page, PageRequest, PostDetail, ResourceId};
use crate::error::ApiError;

impl Posts {
    /// A page of post `id`'s revisions, newest first; with `cursor` (a `meta.next_cursor` of this list) the
    /// page starts after the revision it names.
    pub async fn revisions(
        &self,
        id: ResourceId,
        page: PageRequest,
        cursor: Option<&str>,
    ) -> Result<Page<RevisionSummary>, ApiError> {
        let binding = format!("revisions\n{}", id.get());
        let before = match cursor
            .map(|raw| self.cursors.open(&binding, raw))
            .transpose()?
        {
            None => None,
            Some(After::Created(_, number)) => Some(number),
            Some(_) => return Err(InvalidValue::new("cursor", "made for another list").into()),
        };
        // Numbered pages count back from the newest; a cursor says where its page starts.
        let (revisions, more, total) = run_query(&self.pool, move |conn| {
            let skip = before.is_none().then(|| page.offset());
            db::revisions::list(conn, id.get(), before, page.limit(), skip)
        })
        .await?
        .ok_or(ApiError::NotFound("post"))?;
        let next_cursor = revisions.last().filter(|_| more).map(|last| {
            let after = After::Created(last.created_at.naive_utc(), last.number);
            self.cursors.seal(&binding, &after)
        });
        Ok(Page::new(revisions, page, total)
            .by_cursor(before.is_some())
            .with_next_cursor(next_cursor))
    }

    /// Revision `number` of post `id`.
    pub async fn revision(&self, id: ResourceId, number: ResourceId) -> Result<Revision, ApiError> {
        let post = id.get();
        let found = run_query(&self.pool, move |conn| {
            db::revisions::find(conn, post, number.get())
        })
        .await?;
        found.ok_or(ApiError::NotFound("revision"))
    }

    /// Brings back every editable field of revision `number` (honouring `If-Match` like a patch), as a new
    /// revision made by the token named `by`; returns the post.
    pub async fn restore(
        &self,
        id: ResourceId,
        number: ResourceId,
        if_match: Option<String>,
        by: &str,
    ) -> Result<PostDetail, ApiError> {
        let revision = self.revision(id, number).await?;
        let changes = revision.post.as_changes()?;
        self.update(id, changes, if_match, by).await
    }
}
