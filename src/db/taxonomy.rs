//! Reading categories and tags, each with the number of published posts it holds.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::schema::{categories, tags};
use super::DbConnection;
use crate::domain::{PageRequest, TaxonomyItem};

/// One page of categories by name, and how many there are: two statements.
pub fn list_categories(
    conn: &mut DbConnection,
    page: PageRequest,
    now: NaiveDateTime,
) -> QueryResult<(Vec<TaxonomyItem>, u64)> {
    let total: i64 = categories::table.count().get_result(conn)?;
    let post_count = sql::<BigInt>(
        "(SELECT COUNT(*) FROM posts \
          WHERE posts.category_id = categories.id AND posts.published_at <= ",
    )
    .bind::<Timestamp, _>(now)
    .sql(")");
    let rows: Vec<(i64, String, String, i64)> = categories::table
        .select((
            categories::id,
            categories::slug,
            categories::name,
            post_count,
        ))
        .order((categories::name.asc(), categories::id.asc()))
        .limit(page.limit())
        .offset(page.offset())
        .load(conn)?;
    Ok((items(rows), u64::try_from(total).unwrap_or(0)))
}

/// One page of tags by name, and how many there are: two statements.
pub fn list_tags(
    conn: &mut DbConnection,
    page: PageRequest,
    now: NaiveDateTime,
) -> QueryResult<(Vec<TaxonomyItem>, u64)> {
    let total: i64 = tags::table.count().get_result(conn)?;
    let post_count = sql::<BigInt>(
        "(SELECT COUNT(*) FROM post_tags JOIN posts ON posts.id = post_tags.post_id \
          WHERE post_tags.tag_id = tags.id AND posts.published_at <= ",
    )
    .bind::<Timestamp, _>(now)
    .sql(")");
    let rows: Vec<(i64, String, String, i64)> = tags::table
        .select((tags::id, tags::slug, tags::name, post_count))
        .order((tags::name.asc(), tags::id.asc()))
        .limit(page.limit())
        .offset(page.offset())
        .load(conn)?;
    Ok((items(rows), u64::try_from(total).unwrap_or(0)))
}

fn items(rows: Vec<(i64, String, String, i64)>) -> Vec<TaxonomyItem> {
    rows.into_iter()
        .map(|(id, slug, name, post_count)| TaxonomyItem {
            id,
            slug,
            name,
            post_count,
        })
        .collect()
}
