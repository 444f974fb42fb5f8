//! Clicks by the hour: each click lands in the hour it was made in (by the server's clock when it was
//! recorded, not when it was synced), in the same batch and the same transaction as the post's total, so
//! sync crashes lose or double no hour; old hours roll up into days; and every post's hours and days add up
//! to its total minus the clicks it was imported with.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use blog_api::domain::clock::{hour_of, Clock};
use blog_api::jobs::{roll_up_old_clicks, sync_once_with, SyncError, SyncStage};
use chrono::NaiveDateTime;

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestBackend, TestOptions};

fn at(rfc3339: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("a date")
        .naive_utc()
}

/// An app serving the small blog whose clock stands at `instant` until the test moves it.
async fn small_blog_at(backend: TestBackend, instant: &str) -> Option<(TestApp, Clock)> {
    let clock = Clock::fixed(at(instant));
    let options = TestOptions {
        clock: clock.clone(),
        ..TestOptions::default()
    };
    let app = TestApp::spawn_with(backend, options).await?;
    app.import(&small_blog()).await;
    Some((app, clock))
}

/// Imported with the small blog.
const IMPORTED: [(i64, i64); 2] = [(1, 10), (2, 50)];

/// (post, hour) -> clicks, as the database holds them.
fn hours_in_database(app: &TestApp) -> BTreeMap<(i64, i64), i64> {
    use blog_api::db::schema::post_click_hours;
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("a connection");
    let rows: Vec<(i64, i64, i64)> = post_click_hours::table
        .select((
            post_click_hours::post_id,
            post_click_hours::hour,
            post_click_hours::clicks,
        ))
        .load(&mut conn)
        .expect("hours");
    rows.into_iter()
        .map(|(post, hour, clicks)| ((post, hour), clicks))
        .collect()
}

/// (post, day) -> clicks.
fn days_in_database(app: &TestApp) -> BTreeMap<(i64, i64), i64> {
    use blog_api::db::schema::post_click_days;
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("a connection");
    let rows: Vec<(i64, i64, i64)> = post_click_days::table
        .select((
            post_click_days::post_id,
            post_click_days::day,
            post_click_days::clicks,
        ))
        .load(&mut conn)
        .expect("days");
    rows.into_iter()
        .map(|(post, day, clicks)| ((post, day), clicks))
        .collect()
}

/// Every post's hours and days add up to its synced total minus its imported clicks.
fn assert_buckets_add_up(app: &TestApp) {
    let (hours, days) = (hours_in_database(app), days_in_database(app));
    for (post, imported) in IMPORTED {
        let bucketed: i64 = hours
            .iter()
            .chain(&days)
            .filter(|((of, _), _)| *of == post)
            .map(|(_, clicks)| clicks)
            .sum();
        assert_eq!(
            bucketed,
            app.synced_clicks(post) - imported,
            "post {post}: hours {hours:?}, days {days:?}"
        );
    }
}

/// Views spread over six simulated hours, each hour's sync stopped at a different stage (as if its process
/// died there), then completed: every hour exact, totals exact, the invariant holds; then the hours roll up
/// into exact days.
async fn hourly_counts_stay_exact_through_sync_crashes(backend: TestBackend) {
    let Some((app, clock)) = small_blog_at(backend, "2026-06-01T22:10:00Z").await else {
        return;
    };
    let cache = app.clicks.cache().clone();
    let retention = Duration::from_secs(86_400);
    let stages = [
        Some(SyncStage::AfterDrain),
        Some(SyncStage::BeforeCommit),
        Some(SyncStage::AfterCommit),
        None,
    ];
    let mut expected: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let start = at("2026-06-01T22:10:00Z");
    for step in 0..6_i64 {
        // Two instants in the hour: the sync between them dies, so the hour's clicks travel in two batches.
        for minutes in [5, 50] {
            let now = start + chrono::Duration::hours(step) + chrono::Duration::minutes(minutes);
            clock.set(now);
            let views = [(1, 3 + step), (2, 1 + step % 3)];
            for (post, count) in views {
                futures::future::join_all((0..count).map(|_| async {
                    assert_eq!(app.view(&format!("/posts/{post}")).await.status(), 200);
                }))
                .await;
                *expected.entry((post, hour_of(now))).or_insert(0) += count;
            }
            let index = usize::try_from(step).unwrap_or(0) + usize::from(minutes == 50);
            if let Some(stage) = stages[index % stages.len()] {
                let stop = Arc::new(move |at: SyncStage| at == stage);
                let result = sync_once_with(&app.pool, cache.as_ref(), retention, stop).await;
                assert!(
                    matches!(result, Err(SyncError::Stopped(at)) if at == stage),
                    "{stage:?}: {result:?}"
                );
            } else {
                app.sync().await;
            }
        }
    }
    // Two clean passes: the resumed batch, then whatever waited behind it.
    app.sync().await;
    app.sync().await;
    assert_eq!(hours_in_database(&app), expected);
    for (post, imported) in IMPORTED {
        let issued: i64 = expected
            .iter()
            .filter(|((of, _), _)| *of == post)
            .map(|(_, clicks)| clicks)
            .sum();
        assert_eq!(app.synced_clicks(post), imported + issued, "post {post}");
    }
    assert_buckets_add_up(&app);

    // The first day's hours are older than a one-day retention two days later: they become one day row per
    // post; the second day's stay by the hour.
    let later = at("2026-06-03T12:00:00Z");
    let rolled = roll_up_old_clicks(&app.pool, retention, later)
        .await
        .expect("rolled up");
    let first_day = hour_of(at("2026-06-02T00:00:00Z"));
    let (old, kept): (Vec<_>, Vec<_>) = expected
        .iter()
        .partition(|((_, hour), _)| *hour < first_day);
    assert_eq!(rolled, old.len());
    let mut expected_days: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for ((post, hour), clicks) in &old {
        *expected_days
            .entry((*post, hour.div_euclid(24)))
            .or_insert(0) += **clicks;
    }
    assert_eq!(days_in_database(&app), expected_days);
    let kept: BTreeMap<(i64, i64), i64> = kept.into_iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(hours_in_database(&app), kept);
    assert_buckets_add_up(&app);
    // Rolling up again changes nothing.
    assert_eq!(
        roll_up_old_clicks(&app.pool, retention, later)
            .await
            .expect("rolled up"),
        0
    );
    assert_eq!(days_in_database(&app), expected_days);
}

/// While the click cache cannot be reached, clicks go straight to the database: to the total and to their
/// hour, in one transaction.
async fn clicks_counted_in_the_database_land_in_their_hour(backend: TestBackend) {
    let clock = Clock::fixed(at("2026-06-01T08:30:00Z"));
    let unreachable = blog_api::cache::RedisSettings {
        endpoint: blog_api::cache::RedisEndpoint::Single(String::from("redis://127.0.0.1:1")),
        key_prefix: format!("unreachable-{}", uuid::Uuid::new_v4().simple()),
        timeout: Duration::from_millis(200),
        click_id_ttl: Duration::from_secs(900),
    };
    let options = TestOptions {
        clock: clock.clone(),
        redis: Some(unreachable),
        ..TestOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    app.import(&small_blog()).await;
    for _ in 0..3 {
        assert_eq!(app.view("/posts/1").await.status(), 200);
    }
    clock.set(at("2026-06-01T09:01:00Z"));
    assert_eq!(app.view("/posts/1").await.status(), 200);
    assert!(app.metric("clicks_fallback_total").await >= 4);
    let hour = hour_of(at("2026-06-01T08:00:00Z"));
    assert_eq!(
        hours_in_database(&app),
        BTreeMap::from([((1, hour), 3), ((1, hour + 1), 1)])
    );
    assert_eq!(app.synced_clicks(1), 14);
    assert_buckets_add_up(&app);
}

/// `GET /posts/{id}/stats`: zero-filled buckets of the synced clicks, by hour, day or week in a time zone;
/// ranges past 400 points and bad parameters are 400s; drafts and scheduled posts are 404s.
async fn stats_are_a_zero_filled_series(backend: TestBackend) {
    let Some((app, clock)) = small_blog_at(backend, "2026-06-01T22:10:00Z").await else {
        return;
    };
    // 22:xx UTC: 3 views; 23:xx: none; 01:xx the next day: 2.
    for (instant, views) in [("2026-06-01T22:10:00Z", 3), ("2026-06-02T01:30:00Z", 2)] {
        clock.set(at(instant));
        for _ in 0..views {
            assert_eq!(app.view("/posts/2").await.status(), 200);
        }
    }
    app.sync().await;
    clock.set(at("2026-06-03T12:00:00Z"));

    let hourly = app
        .get_json("/posts/2/stats?from=2026-06-01T21:00:00Z&to=2026-06-02T02:00:00Z&interval=hour")
        .await;
    let clicks: Vec<i64> = hourly["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|point| point["clicks"].as_i64())
        .collect();
    assert_eq!(clicks, [0, 3, 0, 0, 2]);
    assert_eq!(hourly["data"][1]["start"], "2026-06-01T22:00:00Z");
    assert_eq!(hourly["meta"]["total"], 5);
    assert_eq!(hourly["meta"]["interval"], "hour");

    // By day in Paris (UTC+2 in June): 22:10Z and 01:30Z are both on June 2nd there.
    let daily = app
        .get_json("/posts/2/stats?from=2026-06-01&to=2026-06-03&tz=Europe/Paris")
        .await;
    assert_eq!(daily["data"][0]["start"], "2026-06-01T00:00:00+02:00");
    assert_eq!(daily["data"][0]["clicks"], 0);
    assert_eq!(daily["data"][1]["clicks"], 5);
    assert_eq!(daily["meta"]["tz"], "Europe/Paris");
    // The default: the 30 days to now, and a week of them.
    let recent = app.get_json("/posts/2/stats").await;
    assert_eq!(recent["data"].as_array().map(Vec::len), Some(31));
    assert_eq!(recent["meta"]["total"], 5);
    let weekly = app
        .get_json("/posts/2/stats?interval=week&from=2026-05-25")
        .await;
    assert_eq!(weekly["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(weekly["data"][1]["clicks"], 5);

    // Clicks not yet synced count, once: before the sync and after it.
    clock.set(at("2026-06-03T12:30:00Z"));
    for _ in 0..2 {
        assert_eq!(app.view("/posts/2").await.status(), 200);
    }
    for _ in 0..2 {
        let now = app
            .get_json(
                "/posts/2/stats?from=2026-06-03T11:00:00Z&to=2026-06-03T13:00:00Z&interval=hour",
            )
            .await;
        let clicks: Vec<i64> = now["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter_map(|point| point["clicks"].as_i64())
            .collect();
        assert_eq!(clicks, [0, 2]);
        app.sync().await;
    }

    for path in [
        "/posts/2/stats?from=2025-01-01&to=2026-06-01",
        "/posts/2/stats?interval=hour&from=2026-05-01",
        "/posts/2/stats?from=2026-06-02&to=2026-06-01",
        "/posts/2/stats?from=last-week",
        "/posts/2/stats?interval=month",
        "/posts/2/stats?tz=Mars/Olympus",
        "/posts/2/stats?limit=3",
    ] {
        assert_eq!(app.get(path).await.status(), 400, "{path}");
    }
    for path in ["/posts/4/stats", "/posts/5/stats", "/posts/999/stats"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

/// `sort=-clicks&window=...` ranks by the clicks inside the window, not yet synced ones included, each post
/// showing `window_clicks` beside its total; filters still apply.
async fn a_window_ranks_recent_clicks_above_older_ones(backend: TestBackend) {
    let Some((app, clock)) = small_blog_at(backend, "2026-06-01T12:00:00Z").await else {
        return;
    };
    // Post 3 (5 imported): 30 views three weeks ago, synced. Post 6 (20 imported): 5 views now, not synced.
    for _ in 0..30 {
        assert_eq!(app.view("/posts/3").await.status(), 200);
    }
    app.sync().await;
    clock.set(at("2026-06-22T12:00:00Z"));
    for _ in 0..5 {
        assert_eq!(app.view("/posts/6").await.status(), 200);
    }
    let ranked = |path: &'static str| {
        let app = &app;
        async move {
            let body = app.get_json(path).await;
            body["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|post| {
                    (
                        post["id"].as_i64().unwrap_or(0),
                        post["window_clicks"].as_i64().unwrap_or(-1),
                        post["clicks"].as_i64().unwrap_or(-1),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    for _ in 0..2 {
        // The last week: post 6's unsynced views only; ties (none) by id, highest first.
        assert_eq!(
            ranked("/posts?sort=-clicks&window=7d").await,
            [(6, 5, 25), (3, 0, 35), (2, 0, 50), (1, 0, 10)]
        );
        // The last 30 days hold post 3's views too.
        assert_eq!(
            ranked("/posts?sort=-clicks&window=30d").await,
            [(3, 30, 35), (6, 5, 25), (2, 0, 50), (1, 0, 10)]
        );
        // All time: the totals.
        assert_eq!(
            ranked("/posts?sort=-clicks&window=all").await,
            [(2, 50, 50), (3, 35, 35), (6, 25, 25), (1, 10, 10)]
        );
        assert_eq!(
            ranked(
                "/posts?sort=-clicks&window=30d&category=programming&fields=window_clicks,clicks"
            )
            .await,
            [(3, 30, 35), (1, 0, 10)]
        );
        // Synced now: the same ranking, nothing counted twice.
        app.sync().await;
    }
    let plain = app.get_json("/posts?sort=-clicks").await;
    assert!(plain["data"][0].get("window_clicks").is_none(), "{plain}");
    for path in [
        "/posts?window=7d",
        "/posts?sort=title&window=7d",
        "/posts?sort=-clicks&window=2w",
        "/posts?sort=-clicks&window=7d&cursor=abc",
    ] {
        assert_eq!(app.get(path).await.status(), 400, "{path}");
    }
    let page = app
        .get_json("/posts?sort=-clicks&window=7d&per_page=1")
        .await;
    assert!(page["meta"].get("next_cursor").is_none(), "{page}");
}

/// `sort=trending` ranks by growth: 7 x the last 24 hours' clicks minus the 7 days' before them; clicks
/// older than 8 days play no part; unsynced clicks count; `window_clicks` shows the last 24 hours'.
async fn trending_favours_recent_growth(backend: TestBackend) {
    let Some((app, clock)) = small_blog_at(backend, "2026-06-12T12:00:00Z").await else {
        return;
    };
    // (instant, post, views), synced as they go; the last ones (post 6, now) stay unsynced.
    let views = [
        ("2026-06-12T12:00:00Z", 3, 50), // 10 days before "now": outside both periods
        ("2026-06-17T12:00:00Z", 1, 14), // 5 days before: the week before the last day
        ("2026-06-19T12:00:00Z", 2, 70), // 3 days before
        ("2026-06-22T10:00:00Z", 1, 4),  // the last 24 hours
    ];
    for (instant, post, count) in views {
        clock.set(at(instant));
        for _ in 0..count {
            assert_eq!(app.view(&format!("/posts/{post}")).await.status(), 200);
        }
        app.sync().await;
    }
    clock.set(at("2026-06-22T12:00:00Z"));
    for _ in 0..3 {
        assert_eq!(app.view("/posts/6").await.status(), 200);
    }
    for _ in 0..2 {
        let body = app.get_json("/posts?sort=trending").await;
        let ranked: Vec<(i64, i64)> = body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|post| {
                (
                    post["id"].as_i64().unwrap_or(0),
                    post["window_clicks"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        // Post 6: 7 x 3 = 21; post 1: 7 x 4 - 14 = 14; post 3: 0; post 2: -70.
        assert_eq!(ranked, [(6, 3), (1, 4), (3, 0), (2, 0)]);
        let first_two = app.get_json("/posts?sort=trending&per_page=2").await;
        assert!(
            first_two["meta"].get("next_cursor").is_none(),
            "{first_two}"
        );
        assert_eq!(first_two["meta"]["total_pages"], 2);
        app.sync().await;
    }
    for path in [
        "/posts?sort=trending&window=7d",
        "/posts?sort=trending&cursor=abc",
    ] {
        assert_eq!(app.get(path).await.status(), 400, "{path}");
    }
}

/// Unique readers: 1,000 readers viewing a post 5 times each count 1,000 +- 3%; a reader viewing it again
/// and again counts once a day; the readers' addresses are kept nowhere (database, Redis).
async fn unique_readers_count_each_reader_once_a_day(backend: TestBackend) {
    use futures::StreamExt as _;
    let clock = Clock::fixed(at("2026-06-01T10:00:00Z"));
    let options = TestOptions {
        clock: clock.clone(),
        trusted_proxies: vec!["127.0.0.1/32".parse().expect("a CIDR")],
        ..TestOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    app.import(&small_blog()).await;
    let view_as = |reader: usize| {
        let app = &app;
        async move {
            let response = app
                .client
                .get(format!("{}/posts/2", app.address))
                .header(
                    "User-Agent",
                    format!("{} r{reader}", crate::helpers::BROWSER),
                )
                .header("X-Forwarded-For", format!("198.51.100.{}", reader % 200))
                .send()
                .await
                .expect("answers");
            assert_eq!(response.status(), 200);
        }
    };
    futures::stream::iter((0..5000).map(|view| view_as(view % 1000)))
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    // The next day: one reader, ten times.
    clock.set(at("2026-06-02T10:00:00Z"));
    for _ in 0..10 {
        view_as(7).await;
    }
    app.sync().await;
    let stats = app
        .get_json("/posts/2/stats?from=2026-06-01&to=2026-06-03")
        .await;
    let first_day = stats["data"][0]["unique_readers"]
        .as_i64()
        .expect("readers");
    assert!(
        (970..=1030).contains(&first_day),
        "1,000 readers estimated as {first_day}"
    );
    assert_eq!(stats["data"][0]["clicks"], 5000);
    assert_eq!(stats["data"][1]["unique_readers"], 1);
    // A week holds both days' readers: reader 7 read on both.
    let week = app
        .get_json("/posts/2/stats?from=2026-06-01&to=2026-06-03&interval=week")
        .await;
    let both = week["data"][0]["unique_readers"].as_i64().expect("readers");
    assert!((970..=1030).contains(&both), "{both}");
    // Hours carry no reader count.
    let hourly = app
        .get_json("/posts/2/stats?from=2026-06-01T09:00:00Z&to=2026-06-01T11:00:00Z&interval=hour")
        .await;
    assert!(hourly["data"][1]["unique_readers"].is_null(), "{hourly}");

    // No address is kept: not in any table, not in any Redis key or value of this test.
    let marker = "198.51.100.";
    match &app.database.url {
        blog_api::db::DatabaseUrl::Sqlite(path) => {
            for file in [path.clone(), format!("{path}-wal")] {
                let bytes = std::fs::read(&file).unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(marker), "{file} holds an address");
            }
        }
        blog_api::db::DatabaseUrl::Postgres(_) => {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Text)]
                row: String,
            }
            let mut conn = app.pool.get().expect("a connection");
            let blog_api::db::DbConnection::Pg(pg) = &mut *conn else {
                panic!("a PostgreSQL connection");
            };
            #[derive(QueryableByName)]
            struct Table {
                #[diesel(sql_type = diesel::sql_types::Text)]
                name: String,
            }
            let tables: Vec<Table> = diesel::sql_query(
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .load(pg)
            .expect("tables");
            assert!(tables.len() > 5);
            for table in tables {
                let rows: Vec<Row> = diesel::sql_query(format!(
                    "SELECT row_to_json(t)::text AS row FROM {} AS t",
                    table.name
                ))
                .load(pg)
                .expect("rows");
                for row in rows {
                    assert!(!row.row.contains(marker), "{}: {}", table.name, row.row);
                }
            }
        }
    }
    if let Some(redis) = &app.database.redis {
        let mut connection = redis::Client::open(crate::helpers::redis_url())
            .and_then(|client| client.get_connection())
            .expect("redis");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", redis.key_prefix))
            .query(&mut connection)
            .expect("keys");
        assert!(keys.iter().any(|key| key.contains(":readers:")), "{keys:?}");
        for key in keys {
            assert!(!key.contains(marker), "{key}");
            let kind: String = redis::cmd("TYPE")
                .arg(&key)
                .query(&mut connection)
                .expect("type");
            let content: Vec<Vec<u8>> = match kind.as_str() {
                "string" => vec![redis::cmd("GET")
                    .arg(&key)
                    .query(&mut connection)
                    .expect("get")],
                "hash" => redis::cmd("HGETALL")
                    .arg(&key)
                    .query(&mut connection)
                    .expect("hash"),
                _ => Vec::new(),
            };
            for bytes in content {
                assert!(!String::from_utf8_lossy(&bytes).contains(marker), "{key}");
            }
        }
    }
}

/// Nothing the server logs while counting readers names their addresses, even at `debug`.
async fn reader_addresses_are_not_logged(backend: TestBackend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&small_blog()).await;
    let env = [("TRUSTED_PROXIES", "127.0.0.1/32"), ("LOG_FORMAT", "json")];
    let server = crate::helpers::BinaryServer::start_with(&app.database.url, "debug", &env).await;
    let client = crate::helpers::http_client();
    for reader in 0..20 {
        let response = client
            .get(format!("{}/posts/2", server.base))
            .header("User-Agent", crate::helpers::BROWSER)
            .header("X-Forwarded-For", format!("198.51.100.{reader}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200);
    }
    let stats = client
        .get(format!("{}/posts/2/stats", server.base))
        .send()
        .await
        .expect("answers");
    assert_eq!(stats.status(), 200);
    let log = server.stop_and_read_log();
    assert!(log.contains("request served"), "{log}");
    assert!(
        !log.contains("198.51.100."),
        "an address in the log:\n{log}"
    );
}

crate::with_each_backend!(
    hourly_counts_stay_exact_through_sync_crashes,
    clicks_counted_in_the_database_land_in_their_hour,
    stats_are_a_zero_filled_series,
    a_window_ranks_recent_clicks_above_older_ones,
    trending_favours_recent_growth,
    unique_readers_count_each_reader_once_a_day,
    reader_addresses_are_not_logged,
);
