//! API tokens: stored as hashes, revoked rather than deleted (so `token list` keeps their history).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::api_tokens;
use super::DbConnection;

/// A token as `token list` shows it (never the secret, which is not stored).
#[derive(Debug, Clone, Queryable)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a new live token. `Ok(false)` if a live token already has this name.
pub fn insert(
    conn: &mut DbConnection,
    name: &str,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let taken: bool = diesel::select(diesel::dsl::exists(
        api_tokens::table
            .filter(api_tokens::name.eq(name))
            .filter(api_tokens::revoked_at.is_null()),
    ))
    .get_result(conn)?;
    if taken {
        return Ok(false);
    }
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<TokenRecord>> {
    api_tokens::table
        .select((
            api_tokens::id,
            api_tokens::name,
            api_tokens::created_at,
            api_tokens::last_used_at,
            api_tokens::revoked_at,
        ))
        .order((api_tokens::created_at.asc(), api_tokens::id.asc()))
        .load(conn)
}

/// Revokes the live token with this name; `Ok(false)` if there is none.
pub fn revoke(conn: &mut DbConnection, name: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let revoked = diesel::update(
        api_tokens::table
            .filter(api_tokens::name.eq(name))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)?;
    Ok(revoked > 0)
}

pub fn count_live(conn: &mut DbConnection) -> QueryResult<i64> {
    api_tokens::table
        .filter(api_tokens::revoked_at.is_null())
        .count()
        .get_result(conn)
}

/// The live token with this hash, if any, as (id, stored hash, name). The caller compares the hashes in
/// constant time.
pub fn find_live(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<(i64, String, String)>> {
    api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .select((api_tokens::id, api_tokens::token_hash, api_tokens::name))
        .first(conn)
        .optional()
}

/// Notes a use, at most once a minute per token (a write per request would be wasteful).
pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    let stale = now - chrono::Duration::minutes(1);
    diesel::update(
        api_tokens::table.find(id).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.lt(stale)),
        ),
    )
    .set(api_tokens::last_used_at.eq(now))
    .execute(conn)?;
    Ok(())
}
