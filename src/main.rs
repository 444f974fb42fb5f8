//! The `blog-api` command: parses the command line and calls the library (`blog_api::cli`).

use std::process::ExitCode;

use blog_api::cli::{self, Cli};
use blog_api::telemetry::error_chain;
use clap::Parser;

fn main() -> ExitCode {
    match cli::run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}
