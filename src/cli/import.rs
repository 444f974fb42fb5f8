//! `blog-api import FILE.json`.

use std::path::Path;

use super::CliResult;
use crate::config::Settings;
use crate::db::{self, DbError};
use crate::domain::clock;
use crate::service::import;

pub fn import_file(settings: &Settings, file: &Path) -> CliResult {
    let plan = import::read_plan(file)?;
    let (pool, _) = db::connect_and_migrate(
        &settings.database_url,
        1,
        settings.database_statement_timeout,
    )?;
    let mut conn = pool.get().map_err(DbError::from)?;
    let report = db::import::apply_keeping(
        &mut conn,
        &plan,
        clock::Clock::system().now(),
        settings.post_revisions_keep,
    )
    .map_err(import::ImportError::Database)?;
    println!(
        "imported {} into {}: {report}",
        file.display(),
        settings.database_url
    );
    Ok(())
}
