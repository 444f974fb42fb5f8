//! Reading and writing categories and tags.

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::content::{self, ListPage, TermsKey};
use super::posts::Reads;
use crate::db::taxonomy_writes;
use crate::db::{self, run_blocking, run_query, DbConnection, DbPool};
use crate::domain::clock::Clock;
use crate::domain::term_input::TermChanges;
use crate::domain::{Page, PageRequest, ResourceId, Taxonomy, TaxonomyItem};
use crate::error::ApiError;

/// A page of categories or tags, by name, each with its number of published posts: from the content cache
/// when it holds the page, else three statements (the page, the count, the next scheduled publication).
pub async fn list(
    reads: &Reads,
    clock: &Clock,
    taxonomy: Taxonomy,
    page: PageRequest,
) -> Result<Page<TaxonomyItem>, ApiError> {
    let now = clock.now();
    let key = content::terms_page_key(taxonomy, page);
    let terms = cached(reads, &key, now, move |conn| match taxonomy {
        Taxonomy::Categories => db::taxonomy::list_categories(conn, page, now),
        Taxonomy::Tags => db::taxonomy::list_tags(conn, page, now),
    })
    .await?;
    Ok(Page::new(terms.items.clone(), page, terms.total))
}

/// One category or tag with its published post count.
pub async fn get(
    reads: &Reads,
    clock: &Clock,
    taxonomy: Taxonomy,
    id: ResourceId,
) -> Result<TaxonomyItem, ApiError> {
    let now = clock.now();
    let key = content::term_key(taxonomy, id);
    let terms = cached(reads, &key, now, move |conn| {
        let item = term(conn, taxonomy, id, now)?;
        Ok((item.into_iter().collect(), 1))
    })
    .await?;
    terms
        .items
        .first()
        .cloned()
        .ok_or(ApiError::NotFound(taxonomy.noun()))
}

/// A category or tag just written, read from the database (the content cache may still hold it as it was).
async fn written(
    pool: &DbPool,
    clock: &Clock,
    taxonomy: Taxonomy,
    id: ResourceId,
) -> Result<TaxonomyItem, ApiError> {
    let now = clock.now();
    run_query(pool, move |conn| term(conn, taxonomy, id, now))
        .await?
        .ok_or(ApiError::NotFound(taxonomy.noun()))
}

/// One category or tag with its published post count at `now`.
fn term(
    conn: &mut DbConnection,
    taxonomy: Taxonomy,
    id: ResourceId,
    now: NaiveDateTime,
) -> QueryResult<Option<TaxonomyItem>> {
    match taxonomy {
        Taxonomy::Categories => db::taxonomy::category(conn, id.get(), now),
        Taxonomy::Tags => db::taxonomy::tag(conn, id.get(), now),
    }
}

/// What `key` holds in the content cache, else what `read` gives (kept, with the instant the post counts
/// stop holding). A miss (an unknown id) is kept too: it also ends with the next write.
async fn cached(
    reads: &Reads,
    key: &TermsKey,
    now: NaiveDateTime,
    read: impl FnOnce(&mut DbConnection) -> QueryResult<(Vec<TaxonomyItem>, u64)> + Send + 'static,
) -> Result<Arc<ListPage<TaxonomyItem>>, ApiError> {
    if let Some(terms) = reads.content.terms(key, now) {
        return Ok(terms);
    }
    let ticket = reads.content.ticket();
    let terms = run_query(&reads.pool, move |conn| {
        let (items, total) = read(conn)?;
        let valid_until = db::posts::next_publication(conn, now)?;
        Ok::<_, diesel::result::Error>(ListPage {
            items,
            total,
            more: false,
            valid_until,
            expires: None,
        })
    })
    .await?;
    let terms = Arc::new(terms);
    reads.content.keep_terms(ticket, key, terms.clone());
    Ok(terms)
}

pub async fn create(
    pool: &DbPool,
    clock: &Clock,
    taxonomy: Taxonomy,
    changes: TermChanges,
) -> Result<TaxonomyItem, ApiError> {
    let id = run_blocking(pool, move |conn| {
        taxonomy_writes::create(conn, taxonomy, &changes).map_err(ApiError::from)
    })
    .await?;
    written(pool, clock, taxonomy, ResourceId::new(id)?).await
}

pub async fn update(
    pool: &DbPool,
    clock: &Clock,
    taxonomy: Taxonomy,
    id: ResourceId,
    changes: TermChanges,
) -> Result<TaxonomyItem, ApiError> {
    run_blocking(pool, move |conn| {
        taxonomy_writes::update(conn, taxonomy, id.get(), &changes).map_err(ApiError::from)
    })
    .await?;
    written(pool, clock, taxonomy, id).await
}

pub async fn delete(pool: &DbPool, taxonomy: Taxonomy, id: ResourceId) -> Result<(), ApiError> {
    run_blocking(pool, move |conn| {
        taxonomy_writes::delete(conn, taxonomy, id.get()).map_err(ApiError::from)
    })
    .await
}
