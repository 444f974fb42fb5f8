//! The `blog-api` command line: the commands and what each does. `main.rs` parses and calls [`run`].

mod import;
mod serve;
mod sync;
mod token;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;

/// JSON REST API backend for a headless blog. Configured by environment variables (and `.env`); see README.
#[derive(Parser)]
#[command(name = "blog-api", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Import a blog from a JSON file, in one transaction; importing the same file twice changes nothing.
    Import {
        /// The file, in the format of the README's "Import format" (examples/sample-blog.json is one).
        file: PathBuf,
    },
    /// Print the OpenAPI 3.1 document (what `GET /openapi.json` serves) and exit.
    Openapi,
    /// Move buffered clicks from the click cache (`REDIS_URL`) into the database once, and exit.
    Sync,
    /// Manage the API tokens editors write with.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
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

/// What a command failed with, shown to the user with its whole cause chain.
pub type CliResult = Result<(), Box<dyn std::error::Error>>;

/// Runs one command (`serve` when none is given). Every command but `openapi` reads the settings first.
pub fn run(command: Option<Command>) -> CliResult {
    let command = command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", crate::routes::openapi::document_json());
        return Ok(());
    }
    let settings = Settings::from_env()?;
    crate::telemetry::init(settings.log_format);
    match command {
        Command::Serve => serve::serve(settings),
        Command::Migrate => serve::migrate(&settings),
        Command::Import { file } => import::import_file(&settings, &file),
        Command::Openapi => Ok(()),
        Command::Sync => sync::sync(&settings),
        Command::Token { command } => token::token(&settings, command),
    }
}
