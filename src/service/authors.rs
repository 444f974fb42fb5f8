//! The authors service (README "Authors"): editors write authors; anyone reads them with their published
//! post counts.

use std::sync::Arc;

use super::content::ContentCache;
use crate::db::{self, run_blocking, run_query, DbPool};
use crate::domain::author::{Author, AuthorChanges};
use crate::domain::clock::Clocks;
use crate::domain::{Page, PageRequest, Slug};
use crate::error::ApiError;

pub struct Authors {
    pool: DbPool,
    content: Arc<ContentCache>,
    clocks: Clocks,
}

impl Authors {
    pub fn new(pool: DbPool, content: Arc<ContentCache>, clocks: Clocks) -> Self {
        Authors {
            pool,
            content,
            clocks,
        }
    }

    /// A page of authors by name, each with its published post count.
    pub async fn list(&self, page: PageRequest) -> Result<Page<Author>, ApiError> {
        let now = self.clocks.requests.now();
        let (authors, total) =
            run_query(&self.pool, move |conn| db::authors::list(conn, page, now)).await?;
        Ok(Page::new(authors, page, total))
    }

    /// The author with this slug.
    pub async fn get(&self, slug: &Slug) -> Result<Author, ApiError> {
        let now = self.clocks.requests.now();
        let slug = slug.as_str().to_owned();
        run_query(&self.pool, move |conn| db::authors::find(conn, &slug, now))
            .await?
            .ok_or(ApiError::NotFound("author"))
    }

    /// Creates an author and returns it.
    pub async fn create(&self, changes: AuthorChanges) -> Result<Author, ApiError> {
        let time = self.clocks.write_time();
        let slug = run_blocking(&self.pool, move |conn| {
            db::authors::create(conn, &changes, time).map_err(ApiError::from)
        })
        .await?;
        self.written(slug).await
    }

    /// Changes the fields sent; a new name is shown on the posts it is the primary author of (this
    /// instance's content cache is dropped once it is committed).
    pub async fn update(&self, slug: &Slug, changes: AuthorChanges) -> Result<Author, ApiError> {
        let time = self.clocks.write_time();
        let slug = slug.as_str().to_owned();
        let slug = run_blocking(&self.pool, move |conn| {
            db::authors::update(conn, &slug, &changes, time).map_err(ApiError::from)
        })
        .await?;
        self.content.invalidate();
        self.written(slug).await
    }

    /// Deletes an author no post names (409 otherwise).
    pub async fn delete(&self, slug: &Slug) -> Result<(), ApiError> {
        let time = self.clocks.write_time();
        let slug = slug.as_str().to_owned();
        run_blocking(&self.pool, move |conn| {
            db::authors::delete(conn, &slug, time).map_err(ApiError::from)
        })
        .await
    }

    async fn written(&self, slug: String) -> Result<Author, ApiError> {
        let now = self.clocks.requests.now();
        run_query(&self.pool, move |conn| db::authors::find(conn, &slug, now))
            .await?
            .ok_or(ApiError::NotFound("author"))
    }
}
