//! Reading and writing categories and tags.

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::content::{self, ContentCache, ListPage, TermsKey};
use crate::db::taxonomy_writes;
use crate::db::{self, run_blocking, run_query, DbPool};
use crate::domain::clock::Clocks;
use crate::domain::term_input::TermChanges;
use crate::domain::{Page, PageRequest, ResourceId, Taxonomy, TaxonomyItem};
use crate::error::ApiError;

/// The categories and tags service, read through this instance's content cache.
pub struct Terms {
    pool: DbPool,
    content: Arc<ContentCache>,
    clocks: Clocks,
}

impl Terms {
    pub fn new(pool: DbPool, content: Arc<ContentCache>, clocks: Clocks) -> Self {
        Terms {
            pool,
            content,
            clocks,
        }
    }

    /// A page of categories or tags, by name, each with its number of published posts: from the content cache
    /// when it holds the page, else three statements (the page, the count, the next scheduled publication).
    pub async fn list(
        &self,
        taxonomy: Taxonomy,
        page: PageRequest,
    ) -> Result<Page<TaxonomyItem>, ApiError> {
        let now = self.clocks.requests.now();
        let key = content::terms_page_key(taxonomy, page);
        let terms = self
            .cached(&key, now, TermsRead::Page(taxonomy, page))
            .await?;
        Ok(Page::new(terms.items.clone(), page, terms.total))
    }

    /// One category or tag with its published post count.
    pub async fn get(&self, taxonomy: Taxonomy, id: ResourceId) -> Result<TaxonomyItem, ApiError> {
        let now = self.clocks.requests.now();
        let key = content::term_key(taxonomy, id);
        let terms = self.cached(&key, now, TermsRead::One(taxonomy, id)).await?;
        terms
            .items
            .first()
            .cloned()
            .ok_or(ApiError::NotFound(taxonomy.noun()))
    }

    /// A category or tag just written, read from the database (the content cache may still hold it as it was).
    async fn written(&self, taxonomy: Taxonomy, id: ResourceId) -> Result<TaxonomyItem, ApiError> {
        let now = self.clocks.requests.now();
        run_query(&self.pool, move |conn| {
            db::taxonomy::term(conn, taxonomy, id.get(), now)
        })
        .await?
        .ok_or(ApiError::NotFound(taxonomy.noun()))
    }

    /// What `key` holds in the content cache, else what `read` gives (kept, with the instant the post counts
    /// stop holding). A miss (an unknown id) is kept too: it also ends with the next write.
    async fn cached(
        &self,
        key: &TermsKey,
        now: NaiveDateTime,
        read: TermsRead,
    ) -> Result<Arc<ListPage<TaxonomyItem>>, ApiError> {
        if let Some(terms) = self.content.terms(key, now) {
            return Ok(terms);
        }
        let ticket = self.content.ticket();
        let ((items, total), valid_until) = run_query(&self.pool, move |conn| {
            db::posts::until_next_publication(conn, now, |conn| match read {
                TermsRead::Page(Taxonomy::Categories, page) => {
                    db::taxonomy::list_categories(conn, page, now)
                }
                TermsRead::Page(Taxonomy::Tags, page) => db::taxonomy::list_tags(conn, page, now),
                TermsRead::One(taxonomy, id) => db::taxonomy::term(conn, taxonomy, id.get(), now)
                    .map(|item| (item.into_iter().collect(), 1)),
            })
        })
        .await?;
        let terms = Arc::new(ListPage::new(items, total, false, valid_until, None));
        self.content.keep_terms(ticket, key, terms.clone());
        Ok(terms)
    }

    /// Creates a category or tag; this instance's content cache is dropped once it is committed.
    pub async fn create(
        &self,
        taxonomy: Taxonomy,
        changes: TermChanges,
    ) -> Result<TaxonomyItem, ApiError> {
        let time = self.clocks.write_time();
        let id = run_blocking(&self.pool, move |conn| {
            taxonomy_writes::create(conn, taxonomy, &changes, time).map_err(ApiError::from)
        })
        .await?;
        self.content.invalidate();
        self.written(taxonomy, ResourceId::new(id)?).await
    }

    /// Renames or re-slugs a category or tag; this instance's content cache is dropped once it is committed.
    pub async fn update(
        &self,
        taxonomy: Taxonomy,
        id: ResourceId,
        changes: TermChanges,
    ) -> Result<TaxonomyItem, ApiError> {
        let time = self.clocks.write_time();
        run_blocking(&self.pool, move |conn| {
            taxonomy_writes::update(conn, taxonomy, id.get(), &changes, time)
                .map_err(ApiError::from)
        })
        .await?;
        self.content.invalidate();
        self.written(taxonomy, id).await
    }

    /// Deletes a category or tag; this instance's content cache is dropped once it is committed.
    pub async fn delete(&self, taxonomy: Taxonomy, id: ResourceId) -> Result<(), ApiError> {
        let time = self.clocks.write_time();
        run_blocking(&self.pool, move |conn| {
            taxonomy_writes::delete(conn, taxonomy, id.get(), time).map_err(ApiError::from)
        })
        .await?;
        self.content.invalidate();
        Ok(())
    }
}

/// Which categories or tags a read wants: a page of a list, or one by id.
#[derive(Debug, Clone, Copy)]
enum TermsRead {
    Page(Taxonomy, PageRequest),
    One(Taxonomy, ResourceId),
}
