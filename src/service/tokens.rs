//! API tokens: creating, listing and revoking them (the CLI), and checking one (every request that sends
//! `Authorization: Bearer`).

use crate::db::{self, run_query, DbConnection, DbPool};
use crate::domain::clock;
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

/// Creates a token and returns it: the only time it is ever seen.
pub fn create(conn: &mut DbConnection, name: &TokenName) -> Result<String, TokenError> {
    let secret = token::generate();
    if !db::tokens::insert(conn, name.as_str(), &token::hash(&secret), clock::now())
        .map_err(db::DbError::from)?
    {
        return Err(TokenError::NameTaken(name.as_str().to_owned()));
    }
    Ok(secret)
}

pub fn revoke(conn: &mut DbConnection, name: &TokenName) -> Result<(), TokenError> {
    if db::tokens::revoke(conn, name.as_str(), clock::now()).map_err(db::DbError::from)? {
        Ok(())
    } else {
        Err(TokenError::NoSuchToken(name.as_str().to_owned()))
    }
}

/// Checks a presented token: `Ok(())` for a live one (its use is noted), `Unauthorized` otherwise.
pub async fn verify(pool: &DbPool, presented: &str) -> Result<(), ApiError> {
    let presented_hash = token::hash(presented);
    let found = run_query(pool, move |conn| {
        let Some((id, stored)) = db::tokens::find_live(conn, &presented_hash)? else {
            return Ok(false);
        };
        if !token::hashes_match(&stored, &presented_hash) {
            return Ok(false);
        }
        db::tokens::touch(conn, id, clock::now())?;
        Ok(true)
    })
    .await?;
    if found {
        Ok(())
    } else {
        Err(ApiError::Unauthorized(
            "the token is not valid (unknown or revoked)",
        ))
    }
}
