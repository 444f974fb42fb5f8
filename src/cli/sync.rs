//! `blog-api sync`: one click sync pass, for operators (the server syncs by itself).

use super::CliResult;
use crate::cache::RedisClickCache;
use crate::config::Settings;
use crate::db;
use crate::jobs::sync_once;

pub fn sync(settings: &Settings) -> CliResult {
    let Some(redis) = &settings.redis else {
        println!("REDIS_URL is not set: the in-process click cache lives in the server, which syncs it itself");
        return Ok(());
    };
    let (pool, _) = db::connect_and_migrate(
        &settings.database_url,
        2,
        settings.database_statement_timeout,
    )?;
    let cache = RedisClickCache::new(redis)?;
    let report = actix_web::rt::System::new().block_on(sync_once(
        &pool,
        &cache,
        settings.click_ledger_retention,
    ))?;
    println!(
        "synced {} clicks from {} batches ({} applied before); {} old ledger rows pruned",
        report.clicks, report.drained, report.already_applied, report.pruned
    );
    Ok(())
}
