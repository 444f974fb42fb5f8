//! Reading categories and tags, each with the number of published posts it holds.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::schema::{categories, tags};
use super::DbConnection;
use crate::domain::{PageRequest, TaxonomyItem};

type Row = (i64, String, String, i64);

/// Expands to the `post_count` column of a category (published posts in it).
macro_rules! category_post_count {
    ($now:expr) => {
        sql::<BigInt>(&format!(
            "(SELECT COUNT(*) FROM posts WHERE posts.category_id = categories.id AND {}",
            super::posts::PUBLIC_AT_SQL
        ))
        .bind::<Timestamp, _>($now)
        .sql(")")
    };
}

/// Expands to the `post_count` column of a tag (published posts carrying it).
macro_rules! tag_post_count {
    ($now:expr) => {
        sql::<BigInt>(&format!(
            "(SELECT COUNT(*) FROM post_tags JOIN posts ON posts.id = post_tags.post_id \
              WHERE post_tags.tag_id = tags.id AND {}",
            super::posts::PUBLIC_AT_SQL
        ))
        .bind::<Timestamp, _>($now)
        .sql(")")
    };
}

/// One page of categories by name, and how many there are: two statements.
pub fn list_categories(
    conn: &mut DbConnection,
    page: PageRequest,
    now: NaiveDateTime,
) -> QueryResult<(Vec<TaxonomyItem>, u64)> {
    let total: i64 = categories::table.count().get_result(conn)?;
    let rows: Vec<Row> = categories::table
        .select((
            categories::id,
            categories::slug,
            categories::name,
            category_post_count!(now),
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
    let rows: Vec<Row> = tags::table
        .select((tags::id, tags::slug, tags::name, tag_post_count!(now)))
        .order((tags::name.asc(), tags::id.asc()))
        .limit(page.limit())
        .offset(page.offset())
        .load(conn)?;
    Ok((items(rows), u64::try_from(total).unwrap_or(0)))
}

/// One category with its published post count.
pub fn category(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<TaxonomyItem>> {
    let row: Option<Row> = categories::table
        .find(id)
        .select((
            categories::id,
            categories::slug,
            categories::name,
            category_post_count!(now),
        ))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|row| items(vec![row]).pop()))
}

/// One tag with its published post count.
pub fn tag(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<TaxonomyItem>> {
    let row: Option<Row> = tags::table
        .find(id)
        .select((tags::id, tags::slug, tags::name, tag_post_count!(now)))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|row| items(vec![row]).pop()))
}

/// The categories `ids` (those that exist) with their published post counts, by id.
pub fn categories_of(
    conn: &mut DbConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<Vec<TaxonomyItem>> {
    let rows: Vec<Row> = categories::table
        .filter(categories::id.eq_any(ids))
        .select((
            categories::id,
            categories::slug,
            categories::name,
            category_post_count!(now),
        ))
        .order(categories::id)
        .load(conn)?;
    Ok(items(rows))
}

/// The tags `ids` (those that exist) with their published post counts, by id.
pub fn tags_of(
    conn: &mut DbConnection,
    ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<Vec<TaxonomyItem>> {
    let rows: Vec<Row> = tags::table
        .filter(tags::id.eq_any(ids))
        .select((tags::id, tags::slug, tags::name, tag_post_count!(now)))
        .order(tags::id)
        .load(conn)?;
    Ok(items(rows))
}

fn items(rows: Vec<Row>) -> Vec<TaxonomyItem> {
    rows.into_iter()
        .map(|(id, slug, name, post_count)| TaxonomyItem {
            id,
            slug,
            name,
            post_count,
        })
        .collect()
}

/// One category or tag with its published post count at `now`.
pub fn term(
    conn: &mut DbConnection,
    taxonomy: crate::domain::Taxonomy,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<TaxonomyItem>> {
    match taxonomy {
        crate::domain::Taxonomy::Categories => category(conn, id, now),
        crate::domain::Taxonomy::Tags => tag(conn, id, now),
    }
}
