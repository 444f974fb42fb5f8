//! The content version (migration 6): database triggers bump it on every change to what reads serve, so
//! an instance that sees it move knows its content cache is stale, whoever made the change. On PostgreSQL
//! every bump is also announced on a channel (migration 7) that instances listen to. The click epoch
//! (migration 19) lives in the same row and is announced on the same channel.

use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use super::DbConnection;

/// What the database's version row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Versions {
    /// The content version: moves with every change to what reads serve.
    #[diesel(sql_type = BigInt)]
    pub content: i64,
    /// The click epoch (migration 19): moves with every change to a synced count made without the click
    /// cache.
    #[diesel(sql_type = BigInt)]
    pub click_epoch: i64,
}

/// The content version and the click epoch (one statement).
pub fn versions(conn: &mut DbConnection) -> QueryResult<Versions> {
    diesel::sql_query(
        "SELECT CAST(version AS BIGINT) AS content, CAST(click_epoch AS BIGINT) AS click_epoch \
         FROM content_version WHERE id = 1",
    )
    .get_result::<Versions>(conn)
}

/// The current content version (one statement).
pub fn version(conn: &mut DbConnection) -> QueryResult<i64> {
    versions(conn).map(|versions| versions.content)
}

/// Starts listening for the version's announcements on this connection: true on PostgreSQL, false on
/// SQLite (nothing is announced there; instances read the version instead).
pub fn listen(conn: &mut DbConnection) -> QueryResult<bool> {
    match conn {
        DbConnection::Pg(pg) => {
            pg.batch_execute("LISTEN blog_api_content")?;
            Ok(true)
        }
        DbConnection::Sqlite(_) => Ok(false),
    }
}

/// How many announcements arrived on a listening connection since the last call: a read of what its socket
/// holds, no statement. An error means the connection is gone.
pub fn announcements(conn: &mut DbConnection) -> QueryResult<u64> {
    match conn {
        DbConnection::Pg(pg) => pg
            .notifications_iter()
            .try_fold(0, |heard, notification| notification.map(|_| heard + 1)),
        DbConnection::Sqlite(_) => Ok(0),
    }
}
