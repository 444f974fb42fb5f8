//! Preview links (README "Preview links"): editors make, list and revoke them; anyone holding one reads the
//! post as it is now, whatever its status, without counting a view.

use super::clicks::ClickCounter;
use crate::config::PreviewSettings;
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::input::FieldErrors;
use crate::domain::preview::{self, CreatedPreviewLink, PreviewLink, PreviewLinkRequest};
use crate::domain::seo::PostPages;
use crate::domain::{token, PostDetail, PostKey, ResourceId};
use crate::error::ApiError;

/// The preview links service.
pub struct Previews {
    pool: DbPool,
    counter: ClickCounter,
    settings: PreviewSettings,
    clock: Clock,
    /// Where a post's page is, for its JSON-LD.
    pages: PostPages,
}

impl Previews {
    pub fn new(
        pool: DbPool,
        counter: ClickCounter,
        settings: PreviewSettings,
        clock: Clock,
        pages: PostPages,
    ) -> Self {
        Previews {
            pool,
            counter,
            settings,
            clock,
            pages,
        }
    }

    /// Makes a link to post `post_id` (any status) that works until the time `request` asks for, at most
    /// `PREVIEW_LINK_TTL` away. `api_base` is this API's own base URL, for the link's `url` when
    /// `PREVIEW_URL_PATTERN` is not set.
    pub async fn create(
        &self,
        post_id: ResourceId,
        request: &PreviewLinkRequest,
        api_base: &str,
    ) -> Result<CreatedPreviewLink, ApiError> {
        let now = self.clock.now();
        let expires_at = request.expiry(now, self.settings.ttl).map_err(|message| {
            let mut errors = FieldErrors::new();
            errors.insert(String::from("expires_at"), vec![message]);
            ApiError::Validation(errors)
        })?;
        let secret = preview::new_token();
        let stored = token::hash(&secret);
        let id = run_query(&self.pool, move |conn| {
            db::preview_links::create(conn, post_id.get(), &stored, now, expires_at)
        })
        .await?
        .ok_or(ApiError::NotFound("post"))?;
        let url = match &self.settings.url_pattern {
            Some(pattern) => pattern.replace("{token}", &secret),
            None => format!("{api_base}/preview/{secret}"),
        };
        Ok(CreatedPreviewLink {
            id,
            url,
            token: secret,
            expires_at: expires_at.and_utc(),
        })
    }

    /// Post `post_id`'s links, newest first, without their secrets.
    pub async fn list(&self, post_id: ResourceId) -> Result<Vec<PreviewLink>, ApiError> {
        let now = self.clock.now();
        run_query(&self.pool, move |conn| {
            db::preview_links::list(conn, post_id.get(), now)
        })
        .await?
        .ok_or(ApiError::NotFound("post"))
    }

    /// Revokes link `link_id` of post `post_id`: it answers 404 from now on.
    pub async fn revoke(&self, post_id: ResourceId, link_id: ResourceId) -> Result<(), ApiError> {
        let revoked = run_query(&self.pool, move |conn| {
            db::preview_links::revoke(conn, post_id.get(), link_id.get())
        })
        .await?;
        if revoked {
            Ok(())
        } else {
            Err(ApiError::NotFound("preview link"))
        }
    }

    /// The post a live link shows, as it is now, with its fresh click count (reading it is not a view).
    /// `NotFound` alike for a secret that is unknown, expired or revoked.
    pub async fn read(&self, secret: &str) -> Result<PostDetail, ApiError> {
        let now = self.clock.now();
        let stored = token::hash(secret);
        let post = run_query(&self.pool, move |conn| {
            let post_id = db::preview_links::post_of(conn, &stored, now)?;
            match post_id.and_then(|id| ResourceId::new(id).ok()) {
                Some(id) => db::posts::find(conn, &PostKey::Id(id), false, now),
                None => Ok(None),
            }
        })
        .await?;
        let mut post = post.ok_or(ApiError::NotFound("preview link"))?;
        post.summary.clicks = self
            .counter
            .fresh_count(post.summary.id, post.summary.clicks)
            .await?;
        self.pages.place_images(&mut post.summary);
        post.json_ld = self.pages.json_ld(&post);
        Ok(post)
    }
}
