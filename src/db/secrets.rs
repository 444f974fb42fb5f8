//! Secrets every instance on one database shares, made once by the first instance that needs them.

use diesel::prelude::*;

use super::schema::server_secrets;
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
