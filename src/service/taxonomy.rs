//! Reading categories and tags.

use crate::db::{self, run_blocking, DbPool};
use crate::domain::{Page, PageRequest, TaxonomyItem};
use crate::error::ApiError;

/// A page of categories, by name, each with its number of published posts.
pub async fn list_categories(
    pool: &DbPool,
    page: PageRequest,
) -> Result<Page<TaxonomyItem>, ApiError> {
    let now = super::now();
    let (items, total) = run_blocking(pool, move |conn| {
        db::taxonomy::list_categories(conn, page, now)
    })
    .await?;
    Ok(Page::new(items, page, total))
}

/// A page of tags, by name, each with its number of published posts.
pub async fn list_tags(pool: &DbPool, page: PageRequest) -> Result<Page<TaxonomyItem>, ApiError> {
    let now = super::now();
    let (items, total) =
        run_blocking(pool, move |conn| db::taxonomy::list_tags(conn, page, now)).await?;
    Ok(Page::new(items, page, total))
}

use crate::db::post_writes::WriteError;
use crate::db::taxonomy_writes::{self, Taxonomy};
use crate::domain::term_input::TermChanges;
use crate::domain::ResourceId;

/// One category or tag with its published post count.
pub async fn get(
    pool: &DbPool,
    taxonomy: Taxonomy,
    id: ResourceId,
) -> Result<TaxonomyItem, ApiError> {
    let now = super::now();
    run_blocking(pool, move |conn| match taxonomy {
        Taxonomy::Categories => db::taxonomy::category(conn, id.get(), now),
        Taxonomy::Tags => db::taxonomy::tag(conn, id.get(), now),
    })
    .await?
    .ok_or(ApiError::NotFound(taxonomy.noun()))
}

fn write_error(taxonomy: Taxonomy) -> impl Fn(WriteError) -> ApiError {
    move |error| match error {
        WriteError::NotFound => ApiError::NotFound(taxonomy.noun()),
        other => other.into(),
    }
}

pub async fn create(
    pool: &DbPool,
    taxonomy: Taxonomy,
    changes: TermChanges,
) -> Result<TaxonomyItem, ApiError> {
    let id = run_blocking(pool, move |conn| {
        taxonomy_writes::create(conn, taxonomy, &changes).map_err(write_error(taxonomy))
    })
    .await?;
    get(pool, taxonomy, ResourceId::parse("id", &id.to_string())?).await
}

pub async fn update(
    pool: &DbPool,
    taxonomy: Taxonomy,
    id: ResourceId,
    changes: TermChanges,
) -> Result<TaxonomyItem, ApiError> {
    run_blocking(pool, move |conn| {
        taxonomy_writes::update(conn, taxonomy, id.get(), &changes).map_err(write_error(taxonomy))
    })
    .await?;
    get(pool, taxonomy, id).await
}

pub async fn delete(pool: &DbPool, taxonomy: Taxonomy, id: ResourceId) -> Result<(), ApiError> {
    run_blocking(pool, move |conn| {
        taxonomy_writes::delete(conn, taxonomy, id.get()).map_err(write_error(taxonomy))
    })
    .await
}
