//! Integration tests: each runs against SQLite and against PostgreSQL, on a database of its own.
#![expect(
    clippy::expect_used,
    reason = "a test stops loudly at its first broken assumption"
)]

mod architecture;
mod click_load;
mod clicks;
mod comments;
mod errors;
mod fixture;
mod fuzz;
mod helpers;
mod http;
mod import;
mod openapi;
mod other_writes;
mod outages;
mod post_writes;
mod posts;
mod query_counts;
mod resilience;
mod shutdown;
mod taxonomy;
mod tokens;
