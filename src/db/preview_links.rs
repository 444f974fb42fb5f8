//! Preview links: stored by the hash of their secret, one post each.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{posts, preview_links};
use super::DbConnection;
use crate::domain::preview::PreviewLink;

/// Stores a link to post `post_id`; `Ok(None)` when no such post exists.
pub fn create(
    conn: &mut DbConnection,
    post_id: i64,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    super::write_transaction(conn, |conn| {
        let exists: bool =
            diesel::select(diesel::dsl::exists(posts::table.find(post_id))).get_result(conn)?;
        if !exists {
            return Ok(None);
        }
        diesel::insert_into(preview_links::table)
            .values((
                preview_links::post_id.eq(post_id),
                preview_links::token_hash.eq(token_hash),
                preview_links::created_at.eq(now),
                preview_links::expires_at.eq(expires_at),
            ))
            .returning(preview_links::id)
            .get_result(conn)
            .map(Some)
    })
}

/// Post `post_id`'s links, newest first (expired ones marked); `Ok(None)` when no such post exists.
pub fn list(
    conn: &mut DbConnection,
    post_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<Vec<PreviewLink>>> {
    let exists: bool =
        diesel::select(diesel::dsl::exists(posts::table.find(post_id))).get_result(conn)?;
    if !exists {
        return Ok(None);
    }
    let rows: Vec<(i64, NaiveDateTime, NaiveDateTime)> = preview_links::table
        .filter(preview_links::post_id.eq(post_id))
        .select((
            preview_links::id,
            preview_links::created_at,
            preview_links::expires_at,
        ))
        .order(preview_links::id.desc())
        .load(conn)?;
    Ok(Some(
        rows.into_iter()
            .map(|(id, created_at, expires_at)| PreviewLink {
                id,
                created_at: created_at.and_utc(),
                expires_at: expires_at.and_utc(),
                expired: expires_at <= now,
            })
            .collect(),
    ))
}

/// Deletes link `link_id` of post `post_id`; `Ok(false)` when there is no such link.
pub fn revoke(conn: &mut DbConnection, post_id: i64, link_id: i64) -> QueryResult<bool> {
    let deleted = diesel::delete(
        preview_links::table
            .filter(preview_links::id.eq(link_id))
            .filter(preview_links::post_id.eq(post_id)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// The post a live link (one whose secret hashes to `token_hash` and that has not expired at `now`) shows.
pub fn post_of(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    preview_links::table
        .filter(preview_links::token_hash.eq(token_hash))
        .filter(preview_links::expires_at.gt(now))
        .select(preview_links::post_id)
        .first(conn)
        .optional()
}
