//! Editors' writes to posts. Every write goes through here (the one place later webhooks hang off); each
//! drops this instance's content cache once it is committed (the others drop theirs when the content
//! version moves).

use super::posts::Posts;
use crate::db::{self, run_blocking, run_query};
use crate::domain::input::FieldErrors;
use crate::domain::post_input::{InputError, NewPost, PostChanges};
use crate::domain::revision::RevisionStamp;
use crate::domain::{PostDetail, PostKey, ResourceId};
use crate::error::ApiError;

impl Posts {
    /// A post body read by `parse`; when fields are invalid, the 422 also names the category and tag slugs
    /// it names that no row has, all in one answer.
    pub async fn parse_body<T>(
        &self,
        body: &[u8],
        parse: impl FnOnce(&[u8]) -> Result<T, InputError>,
    ) -> Result<T, ApiError> {
        match parse(body) {
            Err(InputError::Invalid(errors)) => Err(self.invalid_body(body, errors).await),
            parsed => Ok(parsed?),
        }
    }

    async fn invalid_body(&self, body: &[u8], mut errors: FieldErrors) -> ApiError {
        let references = PostChanges::references(body);
        let unknown = run_query(&self.pool, move |conn| {
            db::post_writes::unknown_references(conn, &references)
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

    /// The revision stamp of a write by the token named `by`.
    pub(super) fn stamp(&self, by: &str) -> RevisionStamp {
        RevisionStamp {
            token_name: Some(by.to_owned()),
            keep: self.settings.revisions_keep,
        }
    }

    /// Creates a post (its first revision made by the token named `by`) and returns it as an editor reads it.
    pub async fn create(&self, post: NewPost, by: &str) -> Result<PostDetail, ApiError> {
        let time = self.clocks.write_time();
        let now = time.at;
        let stamp = self.stamp(by);
        let id = run_blocking(&self.pool, move |conn| {
            db::post_writes::create(conn, &post, time, &stamp).map_err(ApiError::from)
        })
        .await?;
        self.content.invalidate();
        let id = ResourceId::new(id)?;
        let mut post = run_blocking(&self.pool, move |conn| {
            db::posts::find(conn, &PostKey::Id(id), false, now)?.ok_or(ApiError::NotFound("post"))
        })
        .await?;
        self.settings.pages.place_images(&mut post.summary);
        post.json_ld = self.settings.pages.json_ld(&post);
        Ok(post)
    }

    /// Applies a partial update (honouring `If-Match`; a revision made by the token named `by`) and returns
    /// the post with its fresh click count.
    pub async fn update(
        &self,
        id: ResourceId,
        changes: PostChanges,
        if_match: Option<String>,
        by: &str,
    ) -> Result<PostDetail, ApiError> {
        let time = self.clocks.write_time();
        let now = time.at;
        let stamp = self.stamp(by);
        run_blocking(&self.pool, move |conn| {
            db::post_writes::update(conn, id.get(), &changes, if_match.as_deref(), time, &stamp)
                .map_err(ApiError::from)
        })
        .await?;
        self.content.invalidate();
        let mut post = run_blocking(&self.pool, move |conn| {
            db::posts::find(conn, &PostKey::Id(id), false, now)?.ok_or(ApiError::NotFound("post"))
        })
        .await?;
        post.summary.clicks = self
            .clicks
            .counter()
            .fresh_count(id.get(), post.summary.clicks)
            .await?;
        self.settings.pages.place_images(&mut post.summary);
        post.json_ld = self.settings.pages.json_ld(&post);
        Ok(post)
    }

    /// Deletes a post (honouring `If-Match`). Its clicks still buffered in the cache are dropped by the sync.
    pub async fn delete(&self, id: ResourceId, if_match: Option<String>) -> Result<(), ApiError> {
        let time = self.clocks.write_time();
        run_blocking(&self.pool, move |conn| {
            db::post_writes::delete(conn, id.get(), if_match.as_deref(), time)
                .map_err(ApiError::from)
        })
        .await?;
        self.content.invalidate();
        Ok(())
    }
}
