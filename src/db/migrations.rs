//! The embedded migrations of both backends, applied at start-up and by `blog-api migrate`.

use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An arbitrary constant: the PostgreSQL advisory lock that serialises instances migrating at once.
const MIGRATION_LOCK: i64 = 0x0062_6c6f_6761_7069;

pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration, then fills in what a migration added but only Rust can derive (the
/// reading time of older posts), and returns the versions it applied (empty when up to date).
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, MigrationError> {
    let applied = match conn {
        DbConnection::Pg(pg) => {
            // Several instances may start together against one database: one migrates, the others wait.
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let result = pg
                .run_pending_migrations(POSTGRES)
                .map(|applied| versions(&applied))
                .and_then(|applied| backfill(conn).map(|_| applied));
            conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            result?
        }
        DbConnection::Sqlite(sqlite) => {
            let applied = sqlite
                .run_pending_migrations(SQLITE)
                .map(|applied| versions(&applied))?;
            backfill(conn)?;
            applied
        }
    };
    Ok(applied)
}

fn backfill(conn: &mut DbConnection) -> Result<usize, MigrationError> {
    let linked = super::authors::link_unlinked(conn)?;
    if linked > 0 {
        tracing::info!(
            posts = linked,
            "linked posts written before authors existed to one author per name"
        );
    }
    let filled = super::reading::backfill(conn)?;
    if filled > 0 {
        tracing::info!(
            posts = filled,
            "filled in the reading time of posts written before it was derived"
        );
    }
    Ok(filled)
}

fn versions(applied: &[diesel::migration::MigrationVersion<'_>]) -> Vec<String> {
    applied.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn versions_in(folder: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let postgres = versions_in("migrations/postgres");
        assert!(!postgres.is_empty(), "no migrations found");
        assert_eq!(postgres, versions_in("migrations/sqlite"));
    }
}
