//! What the API does, free of HTTP: handlers call one function here, which calls `db` (and later `cache`).

pub mod clicks;
pub mod comments;
pub mod post_writes;
pub mod posts;
pub mod taxonomy;
pub mod tokens;

use chrono::{NaiveDateTime, Timelike, Utc};

/// The instant a request is served at, as stored in the database (UTC, microseconds).
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond((now.nanosecond() / 1_000) * 1_000)
        .unwrap_or(now)
}
