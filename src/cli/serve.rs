//! `blog-api serve` (the default) and `blog-api migrate`.

use super::CliResult;
use crate::config::Settings;
use crate::db;
use crate::startup::Application;

pub fn serve(settings: Settings) -> CliResult {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings.clone()).await?;
        tracing::info!(database = %settings.database_url, "serving at {}", app.url());
        println!("blog-api serving at {}", app.url());
        app.run_until_stopped().await?;
        Ok(())
    })
}

pub fn migrate(settings: &Settings) -> CliResult {
    let pool_size = 1;
    db::connect_and_migrate(
        &settings.database_url,
        pool_size,
        settings.database_statement_timeout,
    )?;
    println!("{}: migrations are up to date", settings.database_url);
    Ok(())
}
