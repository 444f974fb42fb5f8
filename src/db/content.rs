//! The content version (migration 6): database triggers bump it on every change to what reads serve, so
//! an instance that sees it move knows its content cache is stale, whoever made the change. On PostgreSQL
//! every bump is also announced on a channel (migration 7) that instances listen to.

use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use super::DbConnection;

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = BigInt)]
    version: i64,
}

/// The current content version (one statement).
pub fn version(conn: &mut DbConnection) -> QueryResult<i64> {
    diesel::sql_query("SELECT CAST(version AS BIGINT) AS version FROM content_version WHERE id = 1")
        .get_result::<Version>(conn)
        .map(|row| row.version)
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
