//! Secrets every instance on one database shares, made once by the first instance that needs them.

use diesel::prelude::*;

use super::schema::{reader_salts, server_secrets};
use super::DbConnection;
use crate::on_backend;

/// The secret named `name`: the stored one, or `made` stored now when there is none yet (two instances
/// starting at once both read the one that won).
pub fn get_or_create(conn: &mut DbConnection, name: &str, made: &str) -> QueryResult<String> {
    let row = (
        server_secrets::name.eq(name),
        server_secrets::secret.eq(made),
    );
    on_backend!(conn, c => diesel::insert_into(server_secrets::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    server_secrets::table
        .find(name)
        .select(server_secrets::secret)
        .first(conn)
}

/// The salt readers of UTC day `day` are hashed under: the stored one, or `made` stored now (two instances
/// asking at once both read the one that won).
pub fn reader_salt(conn: &mut DbConnection, day: i64, made: &str) -> QueryResult<String> {
    let row = (reader_salts::day.eq(day), reader_salts::salt.eq(made));
    on_backend!(conn, c => diesel::insert_into(reader_salts::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    reader_salts::table
        .find(day)
        .select(reader_salts::salt)
        .first(conn)
}

/// Deletes the salts of the days before `day`; returns how many went.
pub fn forget_reader_salts_before(conn: &mut DbConnection, day: i64) -> QueryResult<usize> {
    diesel::delete(reader_salts::table.filter(reader_salts::day.lt(day))).execute(conn)
}
