//! Comments: reading a post's comments, posting one (pending), moderating.

use crate::domain::clock::WriteTime;
use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamp};

use super::schema::comments;
use super::{content_write, DbConnection};
use crate::domain::markdown::comment_html;
use crate::domain::webhook::{CommentEventData, Event, EventType};
use crate::domain::{CommentView, PageRequest};

/// The value of `comments.status` for comments readers may see.
pub const APPROVED: &str = "approved";

type Row = (i64, i64, String, String, String, String, NaiveDateTime);

fn columns() -> (
    comments::id,
    comments::post_id,
    comments::author_name,
    comments::body,
    comments::body_html,
    comments::status,
    comments::created_at,
) {
    (
        comments::id,
        comments::post_id,
        comments::author_name,
        comments::body,
        comments::body_html,
        comments::status,
        comments::created_at,
    )
}

fn view(
    (id, post_id, author_name, body, body_html, status, created_at): Row,
    with_status: bool,
) -> CommentView {
    CommentView {
        id,
        post_id,
        author_name,
        body_html: comment_html(&body, body_html),
        body,
        status: with_status.then_some(status),
        created_at: created_at.and_utc(),
    }
}

/// One page of a post's comments in `statuses`, oldest first, how many there are, and whether more follow:
/// two statements. `with_status` shows each comment's status (for editors). With `after` (a cursor's
/// position: when the last comment shown was written, and its id) the page starts after that comment.
pub fn list(
    conn: &mut DbConnection,
    post_id: i64,
    statuses: &[&str],
    with_status: bool,
    page: PageRequest,
    after: Option<(NaiveDateTime, i64)>,
) -> QueryResult<(Vec<CommentView>, u64, bool)> {
    let statuses: Vec<String> = statuses.iter().map(|status| (*status).to_owned()).collect();
    let total: i64 = comments::table
        .filter(comments::post_id.eq(post_id))
        .filter(comments::status.eq_any(&statuses))
        .count()
        .get_result(conn)?;
    let mut query = comments::table
        .filter(comments::post_id.eq(post_id))
        .filter(comments::status.eq_any(&statuses))
        .select(columns())
        .order((comments::created_at.asc(), comments::id.asc()))
        .limit(page.limit() + 1)
        .into_boxed();
    query = match after {
        None => query.offset(page.offset()),
        Some((created_at, id)) => query.filter(
            sql::<Bool>("(comments.created_at, comments.id) > (")
                .bind::<Timestamp, _>(created_at)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        ),
    };
    let mut rows: Vec<Row> = query.load(conn)?;
    let size = usize::try_from(page.limit()).unwrap_or(usize::MAX);
    let more = rows.len() > size;
    rows.truncate(size);
    let comments = rows.into_iter().map(|row| view(row, with_status)).collect();
    Ok((comments, u64::try_from(total).unwrap_or(0), more))
}

/// What a comment event says about `comment`.
fn event(event_type: EventType, comment: &CommentView, at: NaiveDateTime) -> Event {
    let data = CommentEventData {
        id: comment.id,
        post_id: comment.post_id,
        author_name: comment.author_name.clone(),
        body: comment.body.clone(),
        status: comment.status.clone().unwrap_or_default(),
        created_at: comment.created_at,
    };
    Event::new(event_type, &data, at)
}

/// Stores a new comment (rendered by the caller) as pending and emits `comment.created`; returns it.
pub fn create(
    conn: &mut DbConnection,
    post_id: i64,
    author_name: &str,
    body: &str,
    body_html: &str,
    time: WriteTime,
) -> QueryResult<CommentView> {
    let now = time.at;
    content_write(conn, time.real, |conn, events| {
        let comment = insert(conn, post_id, author_name, body, body_html, now)?;
        events.push(event(EventType::CommentCreated, &comment, now));
        Ok(comment)
    })
}

fn insert(
    conn: &mut DbConnection,
    post_id: i64,
    author_name: &str,
    body: &str,
    body_html: &str,
    now: NaiveDateTime,
) -> QueryResult<CommentView> {
    let id: i64 = diesel::insert_into(comments::table)
        .values((
            comments::post_id.eq(post_id),
            comments::author_name.eq(author_name),
            comments::body.eq(body),
            comments::body_html.eq(body_html),
            comments::status.eq("pending"),
            comments::created_at.eq(now),
        ))
        .returning(comments::id)
        .get_result(conn)?;
    find(conn, id).and_then(|found| found.ok_or(diesel::result::Error::NotFound))
}

/// A comment with its status, or `None`.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CommentView>> {
    let row: Option<Row> = comments::table
        .find(id)
        .select(columns())
        .first(conn)
        .optional()?;
    Ok(row.map(|row| view(row, true)))
}

/// Sets a comment's status (emitting `comment.approved` when it becomes approved); `None` when there is
/// no such comment.
pub fn set_status(
    conn: &mut DbConnection,
    id: i64,
    status: &str,
    time: WriteTime,
) -> QueryResult<Option<CommentView>> {
    let now = time.at;
    content_write(conn, time.real, |conn, events| {
        let before: Option<String> = comments::table
            .find(id)
            .select(comments::status)
            .first(conn)
            .optional()?;
        let Some(before) = before else {
            return Ok(None);
        };
        diesel::update(comments::table.find(id))
            .set(comments::status.eq(status))
            .execute(conn)?;
        let comment = find(conn, id)?;
        if let Some(comment) = &comment {
            if status == APPROVED && before != APPROVED {
                events.push(event(EventType::CommentApproved, comment, now));
            }
        }
        Ok(comment)
    })
}

/// Deletes a comment; whether it existed.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(comments::table.find(id)).execute(conn)? > 0)
}
