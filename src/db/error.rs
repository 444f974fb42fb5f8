//! What storage can fail with, in storage terms. `crate::error` maps these to HTTP; nothing here names a
//! status code.

use crate::domain::post_rules::{SlugTaken, UnknownReference};

/// A database call that did not complete: no connection, a failed statement, or a lost blocking task.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No pooled connection could be had in time.
    #[error("no database connection could be had")]
    Pool(#[from] r2d2::Error),
    /// A statement failed (or the row it needed was not there: `diesel::result::Error::NotFound`).
    #[error("a database statement failed")]
    Query(#[from] diesel::result::Error),
    /// The database did not answer within the statement timeout (a hung server or network).
    #[error("the database did not answer within {} ms", .0.as_millis())]
    Timeout(std::time::Duration),
    /// The blocking task running the statements panicked or was cancelled.
    #[error("the database task did not complete")]
    Join(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl DbError {
    /// Whether the database itself is unreachable (rather than a statement being wrong): the pool gave no
    /// connection, or the connection broke under the statement.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        if let DbError::Query(Error::DatabaseError(_, info)) = self {
            // PostgreSQL's statement_timeout: the server gave up waiting (SQLSTATE 57014).
            if info.message().contains("statement timeout") {
                return true;
            }
        }
        matches!(
            self,
            DbError::Pool(_)
                | DbError::Timeout(_)
                | DbError::Query(
                    Error::DatabaseError(
                        DatabaseErrorKind::ClosedConnection
                            | DatabaseErrorKind::UnableToSendCommand,
                        _,
                    ) | Error::BrokenTransactionManager,
                )
        )
    }
}

/// Why a write was refused. Shared by every table that editors write.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Fields name things that do not exist (a category or tag slug no row has).
    #[error("unknown references: {0:?}")]
    UnknownReferences(Vec<UnknownReference>),
    /// The slug is in use by another row of the same table.
    #[error("{0}")]
    SlugTaken(SlugTaken),
    /// No row has this id.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The row is still in use (an author a post names): the message says by what.
    #[error("{0}")]
    InUse(String),
    /// `If-Match` did not name the current version, or the row changed under the write.
    #[error("stale version")]
    Stale,
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for WriteError {
    fn from(error: diesel::result::Error) -> Self {
        WriteError::Database(DbError::Query(error))
    }
}
