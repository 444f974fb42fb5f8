//! Delta sync in the database (migration 21): the positions rows were last changed at, the tombstones of
//! deleted ones, and which rows of a kind changed since a point.

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Timestamp};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use super::counters::placeholder;
use super::DbConnection;
use crate::domain::sync::{SyncKind, SyncPoint};

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Positions {
    #[diesel(sql_type = BigInt)]
    version: i64,
    #[diesel(sql_type = BigInt)]
    horizon: i64,
}

/// The current position (the content version) and the horizon: the newest position whose tombstone was
/// pruned (a token from before it could miss a deletion).
pub fn positions(conn: &mut DbConnection) -> QueryResult<(i64, i64)> {
    let row: Positions = diesel::sql_query(
        "SELECT CAST(version AS BIGINT) AS version, CAST(sync_horizon AS BIGINT) AS horizon \
         FROM content_version WHERE id = 1",
    )
    .get_result(conn)?;
    Ok((row.version, row.horizon))
}

/// The table of a kind, and the statement that lists the ids of its rows a post published between two
/// instants may have changed (its post count), if any.
fn sources(kind: SyncKind, from: &str, to: &str) -> (&'static str, String) {
    match kind {
        SyncKind::Category => (
            "categories",
            format!(
                "SELECT category_id FROM posts WHERE published_at > {from} AND published_at <= {to} \
                 AND category_id IS NOT NULL"
            ),
        ),
        SyncKind::Tag => (
            "tags",
            format!(
                "SELECT post_tags.tag_id FROM post_tags JOIN posts ON posts.id = post_tags.post_id \
                 WHERE posts.published_at > {from} AND posts.published_at <= {to}"
            ),
        ),
        SyncKind::Author => (
            "authors",
            format!(
                "SELECT post_authors.author_id FROM post_authors \
                 JOIN posts ON posts.id = post_authors.post_id \
                 WHERE posts.published_at > {from} AND posts.published_at <= {to}"
            ),
        ),
        SyncKind::Post => (
            "posts",
            format!("SELECT id FROM posts WHERE published_at > {from} AND published_at <= {to}"),
        ),
    }
}

/// Up to `limit` ids of `kind` after `after`, in id order, that a sync from `since` to `round` serves: with
/// `since`, the rows changed or deleted after its position and those a publication between its instant
/// (less `slack`) and the round's touched; without, every row (every post published at the round's
/// instant). One statement. An id may belong to a row that is gone or not public now: the caller lists it
/// as deleted.
pub fn changed(
    conn: &mut DbConnection,
    kind: SyncKind,
    since: Option<SyncPoint>,
    round: SyncPoint,
    slack: chrono::TimeDelta,
    after: i64,
    limit: usize,
) -> QueryResult<Vec<i64>> {
    let backend = conn.backend();
    let at = |number| placeholder(backend, number);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<Id> = match since {
        Some(since) => {
            let (table, published) = sources(kind, &at(2), &at(3));
            diesel::sql_query(format!(
                "SELECT CAST(id AS BIGINT) AS id FROM ( \
                   SELECT id FROM {table} WHERE change_seq > {version} \
                   UNION SELECT row_id FROM sync_deletions WHERE kind = '{tombstone}' AND change_seq > {version} \
                   UNION {published} \
                 ) AS changed WHERE id > {after} ORDER BY id LIMIT {limit}",
                version = at(1),
                tombstone = kind.tombstone(),
                after = at(4),
                limit = at(5),
            ))
            .bind::<BigInt, _>(since.version)
            .bind::<Timestamp, _>(since.at - slack)
            .bind::<Timestamp, _>(round.at)
            .bind::<BigInt, _>(after)
            .bind::<BigInt, _>(limit)
            .load(conn)?
        }
        None if kind == SyncKind::Post => diesel::sql_query(format!(
            "SELECT CAST(id AS BIGINT) AS id FROM posts \
             WHERE published_at <= {round} AND id > {after} ORDER BY id LIMIT {limit}",
            round = at(1),
            after = at(2),
            limit = at(3),
        ))
        .bind::<Timestamp, _>(round.at)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit)
        .load(conn)?,
        None => {
            let (table, _) = sources(kind, "", "");
            diesel::sql_query(format!(
                "SELECT CAST(id AS BIGINT) AS id FROM {table} WHERE id > {after} ORDER BY id LIMIT {limit}",
                after = at(1),
                limit = at(2),
            ))
            .bind::<BigInt, _>(after)
            .bind::<BigInt, _>(limit)
            .load(conn)?
        }
    };
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Deletes the tombstones of deletions before `before`, moving the horizon to the newest of them: two
/// statements in one transaction. How many went.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let backend = conn.backend();
    let at = placeholder(backend, 1);
    super::write_transaction(conn, |conn| {
        diesel::sql_query(format!(
            "UPDATE content_version SET sync_horizon = COALESCE( \
               (SELECT MAX(change_seq) FROM sync_deletions \
                 WHERE deleted_at < {at} AND change_seq > content_version.sync_horizon), \
               sync_horizon) \
             WHERE id = 1"
        ))
        .bind::<Timestamp, _>(before)
        .execute(conn)?;
        diesel::sql_query(format!(
            "DELETE FROM sync_deletions WHERE deleted_at < {at}"
        ))
        .bind::<Timestamp, _>(before)
        .execute(conn)
    })
}
