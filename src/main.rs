//! The `blog-api` command: parses the command line and calls the library (`blog_api::cli`).

use std::process::ExitCode;

use blog_api::cli::{self, Cli};
use blog_api::telemetry::error_chain;
use clap::Parser;

/// mimalloc instead of the system allocator: per-thread free lists for the many small buffers a request
/// makes and frees (glibc's malloc took about a tenth of a counted view's time, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}
