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
