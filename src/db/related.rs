//! Related posts: ranked by the tags they share with a post, then its category, then recency.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::posts::{
    feature_images, is_published, public_at, refs_of, summary, summary_columns, Refs, SummaryRow,
};
use super::schema::{categories, post_counters, posts};
use super::DbConnection;
use crate::domain::fields::{FieldSet, POST_SUMMARY_FIELDS};
use crate::domain::PostSummary;

/// Published posts related to published post `post_id`, best first: most tags shared with it, then in its
/// category, then newest (then highest id); never the post itself. One statement ranks them, one more
/// reads their tags. `None` when `post_id` is not a published post.
pub fn related(
    conn: &mut DbConnection,
    post_id: i64,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<Vec<PostSummary>>> {
    if !is_published(conn, post_id, now)? {
        return Ok(None);
    }
    let shared_tags = sql::<BigInt>(
        "(SELECT COUNT(*) FROM post_tags AS shared \
          WHERE shared.post_id = posts.id AND shared.tag_id IN \
          (SELECT own.tag_id FROM post_tags AS own WHERE own.post_id = ",
    )
    .bind::<BigInt, _>(post_id)
    .sql("))");
    let same_category = sql::<BigInt>(
        "(CASE WHEN posts.category_id = (SELECT own.category_id FROM posts AS own WHERE own.id = ",
    )
    .bind::<BigInt, _>(post_id)
    .sql(") THEN 1 ELSE 0 END)");
    let rows: Vec<SummaryRow> = posts::table
        .left_join(categories::table)
        .left_join(post_counters::table)
        .select(summary_columns(&FieldSet::all(POST_SUMMARY_FIELDS)))
        .filter(posts::id.ne(post_id))
        .filter(public_at(now))
        .order((
            shared_tags.desc(),
            same_category.desc(),
            posts::published_at.desc(),
            posts::id.desc(),
        ))
        .limit(limit)
        .load(conn)?;
    let mut refs = refs_of(conn, rows.iter().map(|row| row.id).collect(), Refs::ALL)?;
    let images = feature_images(conn, &rows)?;
    Ok(Some(
        rows.into_iter()
            .map(|row| summary(row, &mut refs, &images))
            .collect(),
    ))
}
