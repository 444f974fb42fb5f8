//! Integration tests: each runs against SQLite and against PostgreSQL, on a database of its own.
#![expect(
    clippy::expect_used,
    reason = "a test stops loudly at its first broken assumption"
)]
#![expect(
    clippy::indexing_slicing,
    reason = "tests index JSON documents, where a missing key reads as null and the assertion says so"
)]
#![expect(
    clippy::too_many_lines,
    clippy::items_after_statements,
    clippy::similar_names,
    clippy::cast_possible_wrap,
    clippy::unreadable_literal,
    reason = "a scenario reads best as one function, with its helpers beside the step that needs them"
)]

mod architecture;
mod authors;
mod cached_totals;
mod click_hours;
mod click_load;
mod clicks;
mod comments;
mod config_docs;
mod content_cache;
mod cursors;
mod errors;
mod feeds;
mod fields;
mod fixture;
mod fuzz;
mod helpers;
mod http;
mod import;
mod live;
mod media;
mod media_s3;
mod openapi;
mod other_writes;
mod outages;
mod post_writes;
mod posts;
mod previews;
mod query_counts;
mod rankings;
mod readers;
mod reading_time;
mod redis_cluster;
mod redis_commands;
mod redis_faults;
mod redis_server;
mod related;
mod resilience;
mod revisions;
mod search;
mod seo;
mod shutdown;
mod sync;
mod taxonomy;
mod tcp_proxy;
mod tokens;
mod webhooks;
