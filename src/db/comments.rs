//! Reading comments.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::comments;
use super::DbConnection;
use crate::domain::{CommentView, PageRequest};

/// The value of `comments.status` for comments readers may see.
pub const APPROVED: &str = "approved";

/// One page of a post's approved comments, oldest first, and how many there are: two statements.
pub fn list_approved(
    conn: &mut DbConnection,
    post_id: i64,
    page: PageRequest,
) -> QueryResult<(Vec<CommentView>, u64)> {
    let approved = comments::post_id
        .eq(post_id)
        .and(comments::status.eq(APPROVED));
    let total: i64 = comments::table.filter(approved).count().get_result(conn)?;
    let rows: Vec<(i64, i64, String, String, NaiveDateTime)> = comments::table
        .filter(approved)
        .select((
            comments::id,
            comments::post_id,
            comments::author_name,
            comments::body,
            comments::created_at,
        ))
        .order((comments::created_at.asc(), comments::id.asc()))
        .limit(page.limit())
        .offset(page.offset())
        .load(conn)?;
    let comments = rows
        .into_iter()
        .map(|(id, post_id, author_name, body, created_at)| CommentView {
            id,
            post_id,
            author_name,
            body,
            created_at: created_at.and_utc(),
        })
        .collect();
    Ok((comments, u64::try_from(total).unwrap_or(0)))
}
