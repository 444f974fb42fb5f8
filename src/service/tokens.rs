//! API tokens: creating, listing and revoking them (the CLI), and checking one (every request that sends
//! `Authorization: Bearer`).

use crate::db::{self, run_query, DbConnection, DbPool};
use crate::domain::clock::Clock;
use crate::domain::token::{self, TokenName};
use crate::error::ApiError;

/// Why a token command failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a live token named `{0}` exists already; revoke it first or pick another name")]
    NameTaken(String),
    #[error("no live token is named `{0}`")]
    NoSuchToken(String),
    #[error(transparent)]
    Database(#[from] db::DbError),
}

/// Creates a token and returns it: the only time it is ever seen. A command of the CLI: it happens at the
/// system clock.
pub fn create(conn: &mut DbConnection, name: &TokenName) -> Result<String, TokenError> {
    let secret = token::generate();
    let now = Clock::system().now();
    if !db::tokens::insert(conn, name.as_str(), &token::hash(&secret), now)
        .map_err(db::DbError::from)?
    {
        return Err(TokenError::NameTaken(name.as_str().to_owned()));
    }
    Ok(secret)
}

/// Revokes the live token named `name` (a command of the CLI, at the system clock).
pub fn revoke(conn: &mut DbConnection, name: &TokenName) -> Result<(), TokenError> {
    if db::tokens::revoke(conn, name.as_str(), Clock::system().now()).map_err(db::DbError::from)? {
        Ok(())
    } else {
        Err(TokenError::NoSuchToken(name.as_str().to_owned()))
    }
}

/// The tokens service: checks the tokens requests present.
pub struct Tokens {
    pool: DbPool,
    clock: Clock,
}

impl Tokens {
    pub fn new(pool: DbPool, clock: Clock) -> Self {
        Tokens { pool, clock }
    }

    /// Checks a presented token: its name for a live one (its use is noted), `Unauthorized` otherwise.
    pub async fn verify(&self, presented: &str) -> Result<String, ApiError> {
        let presented_hash = token::hash(presented);
        let now = self.clock.now();
        let found = run_query(&self.pool, move |conn| {
            let Some((id, stored, name)) = db::tokens::find_live(conn, &presented_hash)? else {
                return Ok(None);
            };
            if !token::hashes_match(&stored, &presented_hash) {
                return Ok(None);
            }
            db::tokens::touch(conn, id, now)?;
            Ok(Some(name))
        })
        .await?;
        if let Some(name) = found {
            Ok(name)
        } else {
            Err(ApiError::Unauthorized(
                "the token is not valid (unknown or revoked)",
            ))
        }
    }
}
