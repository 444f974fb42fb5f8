//! Click counting: what counts, fresh counts on every read, the beacon, and exactness across syncs,
//! crashes (failpoints) and racing syncs.

use std::sync::Arc;
use std::time::Duration;

use blog_api::db::schema::counter_batches;
use blog_api::jobs::{sync_once_with, SyncError, SyncStage};
use diesel::prelude::*;
use serde_json::Value;

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestOptions, BROWSER};

async fn clicks_of(app: &TestApp, path: &str) -> i64 {
    app.get_json(path).await["clicks"].as_i64().expect("clicks")
}

async fn list_clicks(app: &TestApp, post_id: i64) -> i64 {
    let body = app.get_json("/posts?per_page=100").await;
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|post| post["id"] == post_id)
        .and_then(|post| post["clicks"].as_i64())
        .expect("the post is listed")
}

async fn beacon(app: &TestApp, post_id: i64, user_agent: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/posts/{post_id}/clicks", app.address))
        .header("User-Agent", user_agent)
        .send()
        .await
        .expect("answers")
}

async fn every_read_shows_a_count_that_includes_every_click(app: TestApp) {
    app.import(&small_blog()).await;
    let viewed: Value = app.view("/posts/1").await.json().await.expect("JSON");
    assert_eq!(viewed["clicks"], 11, "the imported 10 plus this view");
    let viewed: Value = app
        .view("/posts/slug/hello-rust")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(viewed["clicks"], 12);
    assert_eq!(list_clicks(&app, 1).await, 12);
    assert_eq!(
        clicks_of(&app, "/posts/1").await,
        12,
        "a read without a User-Agent does not count"
    );

    let response = beacon(&app, 1, BROWSER).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("JSON"),
        serde_json::json!({"id": 1, "clicks": 13})
    );

    assert_eq!(app.synced_clicks(1), 10, "nothing synced yet");
    let report = app.sync().await;
    assert_eq!(
        (report.applied, report.clicks, report.acknowledged),
        (1, 3, 1)
    );
    assert_eq!(app.synced_clicks(1), 13);
    assert_eq!(clicks_of(&app, "/posts/1").await, 13);
    assert_eq!(
        app.view("/posts/1")
            .await
            .json::<Value>()
            .await
            .expect("JSON")["clicks"],
        14
    );
    assert_eq!(list_clicks(&app, 1).await, 14);
    assert_eq!(app.sync().await.clicks, 1);
    assert_eq!(app.sync().await.drained, 0, "nothing left to sync");
    assert_eq!(app.synced_clicks(1), 14);
}

async fn bots_head_prefetch_and_empty_user_agents_are_not_counted(app: TestApp) {
    app.import(&small_blog()).await;
    let url = format!("{}/posts/2", app.address);
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("no User-Agent", app.client.get(&url)),
        (
            "empty User-Agent",
            app.client.get(&url).header("User-Agent", ""),
        ),
        (
            "Googlebot",
            app.client.get(&url).header(
                "User-Agent",
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ),
        ),
        (
            "bingbot",
            app.client.get(&url).header(
                "User-Agent",
                "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            ),
        ),
        (
            "curl",
            app.client.get(&url).header("User-Agent", "curl/8.5.0"),
        ),
        ("HEAD", app.client.head(&url).header("User-Agent", BROWSER)),
        (
            "Purpose: prefetch",
            app.client
                .get(&url)
                .header("User-Agent", BROWSER)
                .header("Purpose", "prefetch"),
        ),
        (
            "Sec-Purpose: prefetch",
            app.client
                .get(&url)
                .header("User-Agent", BROWSER)
                .header("Sec-Purpose", "prefetch;prerender"),
        ),
        (
            "beacon from a bot",
            app.client
                .post(format!("{url}/clicks"))
                .header("User-Agent", "Googlebot/2.1"),
        ),
    ];
    for (case, request) in cases {
        let response = request.send().await.expect("answers");
        assert_eq!(response.status(), 200, "{case}");
        assert_eq!(
            clicks_of(&app, "/posts/2").await,
            50,
            "{case} must not count"
        );
    }
    let counted = [
        (
            "a browser's GET",
            app.client.get(&url).header("User-Agent", BROWSER),
        ),
        (
            "a browser's beacon",
            app.client
                .post(format!("{url}/clicks"))
                .header("User-Agent", BROWSER),
        ),
    ];
    for (expected, (case, request)) in (51..).zip(counted) {
        assert_eq!(
            request.send().await.expect("answers").status(),
            200,
            "{case}"
        );
        assert_eq!(clicks_of(&app, "/posts/2").await, expected, "{case} counts");
    }
    app.sync().await;
    assert_eq!(app.synced_clicks(2), 52);
}

async fn clicks_on_get_false_counts_only_the_beacon(app: TestApp) {
    let options = TestOptions {
        clicks_on_get: false,
        ..TestOptions::default()
    };
    let app = app.another_instance(options).await;
    app.import(&small_blog()).await;
    app.view("/posts/3").await;
    app.view("/posts/slug/zebra-notes").await;
    assert_eq!(clicks_of(&app, "/posts/3").await, 5);
    assert_eq!(
        beacon(&app, 3, BROWSER)
            .await
            .json::<Value>()
            .await
            .expect("JSON")["clicks"],
        6
    );
}

async fn views_past_the_per_client_limit_are_served_but_not_counted(app: TestApp) {
    let options = TestOptions {
        views_per_minute: 5,
        trusted_proxies: vec!["127.0.0.1/32".parse().expect("a CIDR")],
        ..TestOptions::default()
    };
    let app = app.another_instance(options).await;
    app.import(&small_blog()).await;
    let before = clicks_of(&app, "/posts/3").await;
    let view = |client: &'static str| {
        app.client
            .get(format!("{}/posts/3", app.address))
            .header("User-Agent", BROWSER)
            .header("X-Forwarded-For", client)
            .send()
    };
    for n in 0..8 {
        let response = view("203.0.113.7").await.expect("answers");
        assert_eq!(response.status(), 200, "view {n} is served");
    }
    assert_eq!(
        clicks_of(&app, "/posts/3").await,
        before + 5,
        "five counted"
    );
    // Another client behind the same proxy has a limit of its own.
    view("198.51.100.9").await.expect("answers");
    assert_eq!(clicks_of(&app, "/posts/3").await, before + 6);
}

async fn the_beacon_refuses_unpublished_unknown_and_malformed_posts(app: TestApp) {
    app.import(&small_blog()).await;
    for (id, status) in [
        ("4", 404),
        ("5", 404),
        ("999", 404),
        ("abc", 400),
        ("0", 400),
    ] {
        let response = app
            .client
            .post(format!("{}/posts/{id}/clicks", app.address))
            .header("User-Agent", BROWSER)
            .send()
            .await
            .expect("answers");
        assert_eq!(
            response.status().as_u16(),
            status,
            "POST /posts/{id}/clicks"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    assert_eq!(app.get("/posts/1/clicks").await.status(), 405);
    app.sync().await;
    assert_eq!(app.synced_clicks(4) + app.synced_clicks(5), 0);
}

fn ledger_rows(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    counter_batches::table
        .count()
        .get_result(&mut conn)
        .expect("count")
}

async fn sync_stopped_at_any_point_loses_nothing_and_counts_nothing_twice(app: TestApp) {
    app.import(&small_blog()).await;
    let cache = app.clicks.cache().clone();
    let retention = Duration::from_secs(86_400);
    let mut issued = 0;
    for stage in [
        SyncStage::AfterDrain,
        SyncStage::BeforeCommit,
        SyncStage::AfterCommit,
    ] {
        for _ in 0..5 {
            assert_eq!(app.view("/posts/1").await.status(), 200);
            issued += 1;
        }
        let stop = Arc::new(move |at: SyncStage| at == stage);
        let result = sync_once_with(&app.pool, cache.as_ref(), retention, stop).await;
        assert!(
            matches!(result, Err(SyncError::Stopped(at)) if at == stage),
            "{stage:?}: {result:?}"
        );
        // Whatever state the pass died in, readers see every click exactly once.
        assert_eq!(
            clicks_of(&app, "/posts/1").await,
            10 + issued,
            "after a stop at {stage:?}"
        );
    }
    // The next passes resume the in-flight batch; the ledger keeps the committed one from being re-added.
    let report = app.sync().await;
    assert_eq!(report.already_applied, 1, "{report:?}");
    // One pass is enough: it also takes the pending batch that waited behind the resumed one.
    assert_eq!(app.synced_clicks(1), 10 + issued);
    assert_eq!(clicks_of(&app, "/posts/1").await, 10 + issued);
    assert!(ledger_rows(&app) >= 2);
}

async fn racing_syncs_apply_a_batch_once(app: TestApp) {
    app.import(&small_blog()).await;
    for _ in 0..7 {
        app.view("/posts/2").await;
    }
    let (first, second) = futures::join!(app.sync(), app.sync());
    assert_eq!(first.applied + second.applied, 1, "{first:?} {second:?}");
    assert_eq!(first.clicks + second.clicks, 7);
    app.sync().await;
    assert_eq!(app.synced_clicks(2), 57);
    assert_eq!(ledger_rows(&app), 1);
}

async fn clicks_for_a_deleted_post_do_not_break_the_sync(app: TestApp) {
    app.import(&small_blog()).await;
    app.view("/posts/1").await;
    app.view("/posts/2").await;
    {
        use blog_api::db::schema::posts;
        let mut conn = app.pool.get().expect("connection");
        diesel::delete(posts::table.find(1))
            .execute(&mut conn)
            .expect("delete");
    }
    let report = app.sync().await;
    assert_eq!(report.applied, report.drained);
    assert_eq!(app.synced_clicks(2), 51);
    assert_eq!(app.synced_clicks(1), 0);
}

async fn the_sync_prunes_ledger_rows_past_the_retention(app: TestApp) {
    app.import(&small_blog()).await;
    app.view("/posts/1").await;
    app.sync().await;
    {
        let mut conn = app.pool.get().expect("connection");
        let old = chrono::Utc::now().naive_utc() - chrono::Duration::days(30);
        diesel::insert_into(counter_batches::table)
            .values((
                counter_batches::batch_id.eq("00000000-0000-4000-8000-000000000000"),
                counter_batches::applied_at.eq(old),
                counter_batches::fields.eq(1_i64),
                counter_batches::total.eq(1_i64),
            ))
            .execute(&mut conn)
            .expect("an old ledger row");
    }
    assert_eq!(ledger_rows(&app), 2);
    let report = app.sync().await;
    assert_eq!(report.pruned, 1, "{report:?}");
    assert_eq!(ledger_rows(&app), 1, "the recent batch stays");
}

crate::on_both_backends!(
    the_sync_prunes_ledger_rows_past_the_retention,
    every_read_shows_a_count_that_includes_every_click,
    bots_head_prefetch_and_empty_user_agents_are_not_counted,
    clicks_on_get_false_counts_only_the_beacon,
    views_past_the_per_client_limit_are_served_but_not_counted,
    the_beacon_refuses_unpublished_unknown_and_malformed_posts,
    sync_stopped_at_any_point_loses_nothing_and_counts_nothing_twice,
    racing_syncs_apply_a_batch_once,
    clicks_for_a_deleted_post_do_not_break_the_sync,
);
