//! Rankings by clicks stay true to the counts: a "most read" page follows the synced counts within a sync
//! interval, windows reach back into rolled-up days, and rankings over many unsynced clicks stay cheap and
//! bounded (queued behind a slot, never holding the whole pool).

use std::time::Duration;

use blog_api::domain::clock::Clock;
use chrono::NaiveDateTime;

use crate::fixture::{sample_blog, small_blog};
use crate::helpers::{TestApp, TestBackend, TestOptions};

fn at(rfc3339: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("a date")
        .naive_utc()
}

/// (id, `window_clicks` or -1, clicks) of each post of the page at `path`.
async fn ranked(app: &TestApp, path: &str) -> Vec<(i64, i64, i64)> {
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
        .collect()
}

/// A `sort=-clicks` page is served from memory, but orders by counts at most one sync interval old: after a
/// sync moves the counts, the order follows them (it used to wait for the next content write).
async fn a_most_read_page_orders_by_counts_at_most_one_sync_interval_old(backend: TestBackend) {
    let options = TestOptions {
        sync_interval: Duration::from_millis(300),
        ..TestOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    app.import(&small_blog()).await;
    let ids = |page: Vec<(i64, i64, i64)>| page.iter().map(|post| post.0).collect::<Vec<_>>();
    assert_eq!(ids(ranked(&app, "/posts?sort=-clicks").await), [2, 6, 1, 3]);
    for _ in 0..60 {
        assert_eq!(app.view("/posts/3").await.status(), 200);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.synced_clicks(3) != 65 {
        assert!(std::time::Instant::now() < deadline, "the actor synced");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        ranked(&app, "/posts?sort=-clicks").await,
        [(3, -1, 65), (2, -1, 50), (6, -1, 20), (1, -1, 10)]
    );
}

/// With `CLICK_STATS_RETENTION` shorter than a window, the window still counts the clicks rolled up into
/// days (they used to be left out, silently).
async fn windows_longer_than_the_hourly_retention_read_the_rolled_up_days(backend: TestBackend) {
    let clock = Clock::fixed(at("2026-01-10T12:00:00Z"));
    let options = TestOptions {
        clock: clock.clone(),
        ..TestOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    app.import(&small_blog()).await;
    for _ in 0..40 {
        assert_eq!(app.view("/posts/1").await.status(), 200);
    }
    for _ in 0..3 {
        assert_eq!(app.view("/posts/6").await.status(), 200);
    }
    app.sync().await;
    // 200 days on, with hours kept 90 days: post 1's hour is rolled up into its day.
    clock.set(at("2026-07-29T12:00:00Z"));
    let now = at("2026-07-29T12:00:00Z");
    let rolled =
        blog_api::jobs::roll_up_old_clicks(&app.pool, Duration::from_secs(90 * 86_400), now)
            .await
            .expect("the roll-up");
    assert!(rolled >= 2, "hours rolled up: {rolled}");
    for _ in 0..2 {
        assert_eq!(app.view("/posts/3").await.status(), 200);
    }
    assert_eq!(
        ranked(
            &app,
            "/posts?sort=-clicks&window=365d&fields=window_clicks,clicks"
        )
        .await,
        [(1, 40, 50), (6, 3, 23), (3, 2, 7), (2, 0, 50)]
    );
    assert_eq!(
        ranked(
            &app,
            "/posts?sort=-clicks&window=30d&fields=window_clicks,clicks"
        )
        .await,
        [(3, 2, 7), (6, 0, 23), (2, 0, 50), (1, 0, 10 + 40)]
    );
}

/// With the sync stalled and every one of 2,000 posts clicked, a ranking's statement carries the unsynced
/// clicks as one bound parameter (its text does not grow with them), sixteen concurrent `sort=trending`
/// requests all answer (queued behind a slot, not refused), and the rest of the API answers meanwhile.
async fn rankings_over_many_unsynced_clicks_stay_bounded(backend: TestBackend) {
    let Some(json) = sample_blog() else {
        return;
    };
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&json).await;
    let now = chrono::Utc::now().naive_utc();
    for id in 1..=2000 {
        app.clicks.record(id, now, None).await.expect("recorded");
    }
    let batches: Vec<String> = app
        .clicks
        .pending_by_hour(i64::MIN, None)
        .await
        .into_iter()
        .map(|(batch, ..)| batch)
        .collect();
    assert_eq!(batches.len(), 2000, "one pending row per post");
    app.queries.record_statements();
    let page = app.get_json("/posts?sort=trending&per_page=5").await;
    let statements = app.queries.take_statements();
    assert_eq!(page["meta"]["total"], 1816);
    assert_eq!(page["data"][0]["window_clicks"], 1, "{page}");
    // The log shows each statement's text, then ` -- binds: [...]`.
    let ranking = statements
        .iter()
        .find(|statement| statement.contains("post_click_hours"))
        .and_then(|statement| statement.split(" -- binds:").next())
        .expect("the ranking statement");
    assert!(
        ranking.len() < 4000
            && batches
                .iter()
                .all(|batch| !ranking.contains(batch.as_str())),
        "the unsynced clicks are bound, not written into the statement ({} characters)",
        ranking.len()
    );

    let rankings = (0..16).map(|_| {
        let app = &app;
        async move {
            app.get("/posts?sort=trending&per_page=20")
                .await
                .status()
                .as_u16()
        }
    });
    let others = async {
        let mut statuses = Vec::new();
        for _ in 0..10 {
            statuses.push(app.get("/posts/1").await.status().as_u16());
            statuses.push(app.get("/categories").await.status().as_u16());
        }
        statuses
    };
    let (ranked, others) = tokio::join!(futures::future::join_all(rankings), others);
    assert!(ranked.iter().all(|status| *status == 200), "{ranked:?}");
    assert!(others.iter().all(|status| *status == 200), "{others:?}");
}

crate::with_each_backend!(
    a_most_read_page_orders_by_counts_at_most_one_sync_interval_old,
    windows_longer_than_the_hourly_retention_read_the_rolled_up_days,
    rankings_over_many_unsynced_clicks_stay_bounded,
);
