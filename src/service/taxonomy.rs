//! Reading and writing categories and tags.

use crate::db::taxonomy_writes;
use crate::db::{self, run_blocking, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::term_input::TermChanges;
use crate::domain::{Page, PageRequest, ResourceId, Taxonomy, TaxonomyItem};
use crate::error::ApiError;

/// A page of categories or tags, by name, each with its number of published posts.
pub async fn list(
    pool: &DbPool,
    clock: &Clock,
    taxonomy: Taxonomy,
    page: PageRequest,
) -> Result<Page<TaxonomyItem>, ApiError> {
    let now = clock.now();
    let (items, total) = run_query(pool, move |conn| match taxonomy {
        Taxonomy::Categories => db::taxonomy::list_categories(conn, page, now),
        Taxonomy::Tags => db::taxonomy::list_tags(conn, page, now),
    })
    .await?;
    Ok(Page::new(items, page, total))
}

/// One category or tag with its published post count.
pub async fn get(
    pool: &DbPool,
    clock: &Clock,
    taxonomy: Taxonomy,
    id: ResourceId,
) -> Result<TaxonomyItem, ApiError> {
    let now = clock.now();
    run_query(pool, move |conn| match taxonomy {
        Taxonomy::Categories => db::taxonomy::category(conn, id.get(), now),
        Taxonomy::Tags => db::taxonomy::tag(conn, id.get(), now),
    })
    .await?
    .ok_or(ApiError::NotFound(taxonomy.noun()))
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
    get(pool, clock, taxonomy, ResourceId::new(id)?).await
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
    get(pool, clock, taxonomy, id).await
}

pub async fn delete(pool: &DbPool, taxonomy: Taxonomy, id: ResourceId) -> Result<(), ApiError> {
    run_blocking(pool, move |conn| {
        taxonomy_writes::delete(conn, taxonomy, id.get()).map_err(ApiError::from)
    })
    .await
}
