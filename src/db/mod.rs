//! Everything that speaks SQL: the connection and pool, migrations, the schema and the queries per table.

pub mod authors;
pub mod comments;
mod connection;
pub mod content;
pub mod counters;
pub mod error;
pub mod feeds;
pub mod import;
pub mod media;
pub mod migrations;
pub mod parked_clicks;
pub mod post_writes;
pub mod posts;
pub mod preview_links;
pub mod rankings;
pub mod reading;
pub mod related;
pub mod revisions;
pub mod schema;
pub mod search;
pub mod secrets;
pub mod stats;
pub mod sync;
pub mod taxonomy;
pub mod taxonomy_writes;
pub mod tokens;
pub mod webhooks;

pub use connection::{
    build_pool, init_tls, redact, Backend, ConnectionManager, DatabaseUrl, DbBackend, DbConnection,
    DbPool, InvalidDatabaseUrl, QueryCounter,
};

pub use error::{DbError, WriteError};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::{Connection, QueryResult};

/// Runs blocking database work on the runtime's blocking thread pool, with a pooled connection, inside the
/// caller's tracing span. Every diesel call made on behalf of a request or the sync goes through here (or
/// through [`run_query`]); a missing connection or a lost task becomes `E` through [`DbError`].
pub async fn run_blocking<T, E, F>(pool: &DbPool, job: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    run_blocking_within(pool, pool.statement_timeout(), job).await
}

/// [`run_blocking`], waiting at most `limit` for the whole call (connection included): past it the caller
/// gets [`DbError::Timeout`]. The blocking call itself goes on until the database or the statement timeout
/// ends it; its connection is busy meanwhile.
pub async fn run_blocking_within<T, E, F>(pool: &DbPool, limit: Duration, job: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::Span::current();
    let task = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut conn = pool.get().map_err(DbError::from)?;
        job(&mut conn)
    });
    match tokio::time::timeout(limit, task).await {
        Ok(done) => done.map_err(|error| E::from(DbError::Join(error.into())))?,
        Err(_elapsed) => Err(E::from(DbError::Timeout(limit))),
    }
}

/// [`run_blocking`] for work that only queries: its diesel error becomes a [`DbError`].
pub async fn run_query<T, F>(pool: &DbPool, job: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    T: Send + 'static,
{
    run_blocking(pool, move |conn| job(conn).map_err(DbError::from)).await
}

/// One trivial statement: whether the database answers.
pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

/// Runs `work` in one transaction that takes the write lock up front: `BEGIN IMMEDIATE` on SQLite (a
/// read-then-write transaction otherwise fails with "database is locked" under load), `BEGIN` on PostgreSQL.
/// Commits on `Ok`, rolls back on `Err`.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if let DbConnection::Pg(_) = conn {
        return conn.transaction(work);
    }
    if let DbConnection::Sqlite(sqlite) = conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    }
    let result = work(conn);
    if let DbConnection::Sqlite(sqlite) = conn {
        match &result {
            Ok(_) => AnsiTransactionManager::commit_transaction(sqlite)?,
            Err(_) => {
                if let Err(error) = AnsiTransactionManager::rollback_transaction(sqlite) {
                    tracing::error!(%error, "rollback failed");
                }
            }
        }
    }
    result
}

/// A write to content readers see: `work` runs in one write transaction ([`write_transaction`]) and lists
/// the webhook events it causes in its second argument; they are written to the outbox
/// ([`webhooks::emit`]) in the same transaction, just before it commits. Every write of posts, comments
/// and taxonomy commits here, so an event exists exactly when its change does. Its deliveries are due at
/// `due` (the write's instant on the real clock).
pub fn content_write<T, E, F>(conn: &mut DbConnection, due: NaiveDateTime, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection, &mut Vec<crate::domain::webhook::Event>) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    write_transaction(conn, |conn| {
        let mut events = Vec::new();
        let value = work(conn, &mut events)?;
        webhooks::emit(conn, &events, due)?;
        Ok(value)
    })
}

/// Why the database could not be made ready at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        source: diesel::ConnectionError,
    },
    #[error("migrating {url} failed: {source}")]
    Migrate {
        url: String,
        source: migrations::MigrationError,
    },
}

/// Opens one connection (so a bad URL or a down server is reported with its real cause), applies pending
/// migrations on it, and builds the pool. Blocking: call from a blocking context.
pub fn connect_and_migrate(
    url: &DatabaseUrl,
    pool_size: u32,
    statement_timeout: Duration,
) -> Result<(DbPool, QueryCounter), ConnectError> {
    // No statement timeout here: a migration may rewrite a large table.
    let mut conn = url
        .establish(None)
        .map_err(|source| ConnectError::Connect {
            url: url.to_string(),
            source,
        })?;
    let applied = migrations::run_pending(&mut conn).map_err(|source| ConnectError::Migrate {
        url: url.to_string(),
        source,
    })?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied database migrations");
    }
    let queries = QueryCounter::default();
    Ok((
        build_pool(url, pool_size, statement_timeout, queries.clone()),
        queries,
    ))
}
