//! Unique readers are unlinkable after their day: each UTC day has a salt of its own, kept while that day's
//! sketches can still change (the day and the next) and then deleted by the click sync; no permanent salt
//! is kept.

use std::time::Duration;

use blog_api::domain::clock::Clock;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestBackend, TestOptions};

fn at(rfc3339: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("a date")
        .naive_utc()
}

/// (day, salt) rows, by day.
fn salts(app: &TestApp) -> Vec<(i64, String)> {
    use blog_api::db::schema::reader_salts;
    let mut conn = app.pool.get().expect("a connection");
    reader_salts::table
        .order(reader_salts::day)
        .load(&mut conn)
        .expect("the salts")
}

fn permanent_salts(app: &TestApp) -> i64 {
    use blog_api::db::schema::server_secrets;
    let mut conn = app.pool.get().expect("a connection");
    server_secrets::table
        .filter(server_secrets::name.eq("visitor"))
        .count()
        .get_result(&mut conn)
        .expect("a count")
}

async fn readers_are_hashed_under_a_salt_of_their_day_deleted_after_the_next(backend: TestBackend) {
    let clock = Clock::fixed(at("2026-06-01T10:00:00Z"));
    let options = TestOptions {
        clock: clock.clone(),
        sync_interval: Duration::from_millis(100),
        ..TestOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    app.import(&small_blog()).await;
    let first_day = 20_605; // 2026-06-01, in days since the Unix epoch
    assert_eq!(app.view("/posts/2").await.status(), 200);
    assert_eq!(permanent_salts(&app), 0, "no salt outlives its day");
    let day_one = salts(&app);
    assert_eq!(
        day_one.iter().map(|(day, _)| *day).collect::<Vec<_>>(),
        [first_day]
    );

    clock.set(at("2026-06-02T10:00:00Z"));
    assert_eq!(app.view("/posts/2").await.status(), 200);
    let two_days = salts(&app);
    assert_eq!(two_days.len(), 2, "yesterday's is kept a day: {two_days:?}");
    assert_ne!(
        two_days[0].1, two_days[1].1,
        "each day has a salt of its own"
    );

    // Two days on, the sync (every 100 ms here) deletes the first day's salt: its sketches are final.
    clock.set(at("2026-06-03T10:00:00Z"));
    assert_eq!(app.view("/posts/2").await.status(), 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while salts(&app).first().map(|(day, _)| *day) == Some(first_day) {
        assert!(
            std::time::Instant::now() < deadline,
            "the sync forgot the salt"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        salts(&app).iter().map(|(day, _)| *day).collect::<Vec<_>>(),
        [first_day + 1, first_day + 2]
    );
    // The readers counted under it stay counted.
    let stats = app
        .get_json("/posts/2/stats?from=2026-06-01&to=2026-06-04")
        .await;
    let readers: Vec<i64> = stats["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|bucket| bucket["unique_readers"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(readers, [1, 1, 1], "{stats}");
}

crate::with_each_backend!(readers_are_hashed_under_a_salt_of_their_day_deleted_after_the_next);
