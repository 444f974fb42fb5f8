//! The `blog-api` command: parses the command line and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use blog_api::config::Settings;
use blog_api::startup::Application;
use blog_api::{db, error::error_chain, import, telemetry};
use clap::{Parser, Subcommand};

/// JSON REST API backend for a headless blog. Configured by environment variables (and `.env`); see README.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import a blog from a JSON file, in one transaction; importing the same file twice changes nothing.
    Import {
        /// The file, in the format of shared/data/README.md.
        file: PathBuf,
    },
    /// Print the OpenAPI 3.1 document (what `GET /openapi.json` serves) and exit.
    Openapi,
    /// Move buffered clicks from the click cache (REDIS_URL) into the database once, and exit.
    Sync,
    /// Manage the API tokens editors write with.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; it is printed once, alone on the last line, and stored only as a hash.
    Create {
        /// A name to recognise it by (letters, digits, '-', '_', '.').
        name: String,
    },
    /// List tokens (names and dates; the secrets are not stored).
    List,
    /// Revoke the live token with this name.
    Revoke { name: String },
}

fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", blog_api::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => return fail(&error),
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::Import { file } => import_file(&settings, &file),
        Command::Openapi => Ok(()),
        Command::Sync => sync(&settings),
        Command::Token { command } => token(&settings, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error.as_ref()),
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn fail(error: &dyn std::error::Error) -> ExitCode {
    eprintln!("error: {}", error_chain(error));
    ExitCode::FAILURE
}

fn serve(settings: Settings) -> CliResult {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings.clone()).await?;
        tracing::info!(database = %settings.database_url, "serving at {}", app.url());
        println!("blog-api serving at {}", app.url());
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn migrate(settings: &Settings) -> CliResult {
    let pool_size = 1;
    db::connect_and_migrate(&settings.database_url, pool_size)?;
    println!("{}: migrations are up to date", settings.database_url);
    Ok(())
}

fn import_file(settings: &Settings, file: &std::path::Path) -> CliResult {
    let plan = import::read_plan(file)?;
    let (pool, _) = db::connect_and_migrate(&settings.database_url, 1)?;
    let mut conn = pool.get()?;
    let report = db::import::apply(&mut conn, &plan, chrono::Utc::now().naive_utc())?;
    println!(
        "imported {} into {}: {report}",
        file.display(),
        settings.database_url
    );
    Ok(())
}

fn sync(settings: &Settings) -> CliResult {
    let Some(redis) = &settings.redis else {
        println!("REDIS_URL is not set: the in-process click cache lives in the server, which syncs it itself");
        return Ok(());
    };
    let (pool, _) = db::connect_and_migrate(&settings.database_url, 2)?;
    let cache = blog_api::cache::RedisClickCache::new(redis)?;
    let report = actix_web::rt::System::new().block_on(blog_api::jobs::sync_once(
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

fn token(settings: &Settings, command: TokenCommand) -> CliResult {
    use blog_api::domain::token::TokenName;
    use blog_api::service::tokens;
    let (pool, _) = db::connect_and_migrate(&settings.database_url, 1)?;
    let mut conn = pool.get()?;
    match command {
        TokenCommand::Create { name } => {
            let name = TokenName::parse(&name)?;
            let secret = tokens::create(&mut conn, &name)?;
            println!("Created token `{}`. It is shown this once; send it as `Authorization: Bearer <token>`:", name.as_str());
            println!("{secret}");
        }
        TokenCommand::List => {
            let records = db::tokens::list(&mut conn)?;
            if records.is_empty() {
                println!("no tokens; create one with `blog-api token create NAME`");
            }
            for record in records {
                let used = record
                    .last_used_at
                    .map_or(String::from("never used"), |at| format!("last used {at}"));
                let state = record
                    .revoked_at
                    .map_or(String::from("live"), |at| format!("revoked {at}"));
                println!(
                    "{}\tcreated {}\t{used}\t{state}",
                    record.name, record.created_at
                );
            }
        }
        TokenCommand::Revoke { name } => {
            let name = TokenName::parse(&name)?;
            tokens::revoke(&mut conn, &name)?;
            println!("revoked `{}`", name.as_str());
        }
    }
    Ok(())
}
