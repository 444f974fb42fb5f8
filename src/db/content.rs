//! The content version (migration 6): database triggers bump it on every change to what reads serve, so
//! an instance that sees it move knows its content cache is stale, whoever made the change.

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
