//! `blog-api sync`: one click sync pass, for operators (the server syncs by itself).

use super::CliResult;
use crate::cache::RedisClickCache;
use crate::config::Settings;
use crate::db;
use crate::jobs::{roll_up_old_clicks, sync_once};

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
    let (report, rolled_up) = actix_web::rt::System::new().block_on(async {
        let report = sync_once(&pool, &cache, settings.click_ledger_retention).await?;
        let rolled_up = roll_up_old_clicks(
            &pool,
            settings.click_stats_retention,
            crate::domain::clock::Clock::system().now(),
        )
        .await?;
        Ok::<_, crate::jobs::SyncError>((report, rolled_up))
    })?;
    println!(
        "synced {} clicks from {} batches ({} applied before); {} old ledger rows pruned; {} hourly click rows rolled up into days",
        report.clicks, report.drained, report.already_applied, report.pruned, rolled_up
    );
    Ok(())
}
