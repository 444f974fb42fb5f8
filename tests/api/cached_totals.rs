//! Displayed totals held by the click cache (docs/ARCHITECTURE.md "Cached totals"): once a post's total is
//! held, a counted view is one script call and no SQL statement; a total is seeded from the database exactly,
//! and a seed read across a drain is refused rather than kept wrong.

use std::time::Duration;

use blog_api::cache::{ClickId, Seed, Total};
use blog_api::db::{self, run_query};

use crate::fixture::many_posts;
use crate::helpers::{TestApp, TestBackend, TestOptions};
use crate::redis_server::{OwnRedis, Persistence};
use crate::tcp_proxy::TcpProxy;

fn zero_clicks() -> String {
    many_posts(5).replace("\"clicks\":", "\"ignored_clicks\":")
}

/// A server whose sync never runs by itself: the test decides when one does.
async fn without_a_sync(app: &TestApp) -> TestApp {
    app.another_instance(TestOptions {
        sync_interval: Duration::from_secs(3600),
        ..TestOptions::default()
    })
    .await
}

/// The count a counted view of `post` answered with.
async fn view_count(app: &TestApp, post: i64) -> i64 {
    let response = app.view(&format!("/posts/{post}")).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    body["clicks"].as_i64().expect("a count")
}

/// Counted views of post 1, one per number of `expected`, each answering that number.
async fn views_answer(app: &TestApp, expected: std::ops::RangeInclusive<i64>) {
    for count in expected {
        assert_eq!(view_count(app, 1).await, count);
    }
}

/// After the first view seeds a post's total, 200 more views and a page of posts cost no SQL statement, and
/// every answer is the exact number of views so far, across a sync too.
async fn a_held_total_costs_no_statement_and_stays_exact(app: TestApp) {
    app.import(&zero_clicks()).await;
    let server = without_a_sync(&app).await;
    assert_eq!(
        view_count(&server, 1).await,
        1,
        "the first view seeds the total"
    );
    server.get("/posts?per_page=5").await; // the page in memory, every total seeded
    let statements = server.queries.get();
    for expected in 2..=201 {
        assert_eq!(view_count(&server, 1).await, expected);
    }
    let page = server.get_json("/posts?per_page=5").await;
    let shown: Vec<(i64, i64)> = page["data"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|post| {
            (
                post["id"].as_i64().expect("id"),
                post["clicks"].as_i64().expect("clicks"),
            )
        })
        .collect();
    assert!(
        shown.contains(&(1, 201)),
        "the page shows the held total: {shown:?}"
    );
    assert_eq!(
        server.queries.get() - statements,
        0,
        "held totals: no statement for 200 views and a page"
    );
    let report = server.sync().await;
    assert_eq!(report.clicks, 201);
    let statements = server.queries.get();
    for expected in 202..=251 {
        assert_eq!(view_count(&server, 1).await, expected, "after the sync");
    }
    assert_eq!(server.queries.get() - statements, 0);
}

/// The seed protocol through the cache itself, on both caches: a total read before a drain and seeded after
/// it is refused (its clicks may have moved into the database meanwhile); one read before a sync that only
/// applied and acknowledged an in-flight batch is kept, and exact.
async fn a_seed_across_a_drain_is_refused_and_one_across_an_acknowledge_is_exact(app: TestApp) {
    app.import(&zero_clicks()).await;
    let server = without_a_sync(&app).await;
    let cache = server.clicks.cache().clone();
    let snapshot = |post: i64, batch_ids: Vec<String>| {
        let pool = server.pool.clone();
        async move {
            run_query(&pool, move |conn| {
                let ids: Vec<&str> = batch_ids.iter().map(String::as_str).collect();
                db::counters::counts_and_applied_batches(conn, &[post], &ids)
            })
            .await
            .expect("a snapshot")
        }
    };
    let missing = |total: Total| match total {
        Total::Missing(pending, ticket) => (pending, ticket),
        Total::Held(total) => panic!("a total is held already: {total}"),
    };
    for _ in 0..3 {
        cache
            .record_click(2, 490_000, None, &ClickId::new(), 0, None)
            .await
            .expect("recorded");
    }
    // Read, then a whole sync (drain, apply, acknowledge), then the seed: refused.
    let totals = cache.totals(&[2], 0).await.expect("totals");
    let (pending, ticket) = missing(totals[&2].clone());
    assert_eq!(
        pending.deltas.iter().map(|(_, delta)| delta).sum::<i64>(),
        3
    );
    server.sync().await;
    let read = snapshot(2, pending.batch_ids().map(str::to_owned).collect()).await;
    let total = read.counts.get(&2).copied().unwrap_or(0)
        + blog_api::service::clicks::displayed::unapplied(&pending, &read.applied);
    assert_eq!(total, 3, "the read rule is exact on its own");
    let seed = Seed {
        post_id: 2,
        total,
        ticket,
    };
    assert_eq!(
        cache.seed(read.click_epoch, &[seed]).await.expect("seeded"),
        [None],
        "a drain came between: refused"
    );

    // A read while a batch is in flight, a sync that applies and acknowledges it, clicks meanwhile: kept.
    cache
        .record_click(3, 490_000, None, &ClickId::new(), 0, None)
        .await
        .expect("recorded");
    assert_eq!(
        cache.drain().await.expect("drained").len(),
        1,
        "post 3's batch in flight"
    );
    let totals = cache.totals(&[3], 0).await.expect("totals");
    let (pending, ticket) = missing(totals[&3].clone());
    let read = snapshot(3, pending.batch_ids().map(str::to_owned).collect()).await;
    let report = server.sync().await;
    assert_eq!((report.applied, report.acknowledged), (1, 1), "{report:?}");
    for _ in 0..2 {
        cache
            .record_click(3, 490_000, None, &ClickId::new(), 0, None)
            .await
            .expect("recorded");
    }
    let total = read.counts.get(&3).copied().unwrap_or(0)
        + blog_api::service::clicks::displayed::unapplied(&pending, &read.applied);
    let seed = Seed {
        post_id: 3,
        total,
        ticket,
    };
    assert_eq!(
        cache.seed(read.click_epoch, &[seed]).await.expect("seeded"),
        [Some(3)],
        "the in-flight click counted once, the two after the read added"
    );
    assert_eq!(view_count(&server, 3).await, 4);
    server.sync().await;
    assert_eq!(app.synced_clicks(3), 4);
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
struct Activity {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    scans: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
}

/// PostgreSQL's own count of what was done to the test database's tables: scans (sequential and by index)
/// and rows read, inserted, updated and deleted. Left out: `content_version`, which every instance's version
/// listener reads once a second whatever happens.
/// A backend reports its counts when it goes idle, at most once a second (and after 10 s at the latest), so
/// this waits 11 s first.
async fn table_activity(app: &TestApp) -> Activity {
    use diesel::RunQueryDsl;
    actix_web::rt::time::sleep(Duration::from_secs(11)).await;
    let mut conn = app.pool.get().expect("a connection");
    diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(seq_scan + COALESCE(idx_scan, 0)), 0) AS BIGINT) AS scans, \
                CAST(COALESCE(SUM(seq_tup_read + COALESCE(idx_tup_fetch, 0) + n_tup_ins + n_tup_upd \
                     + n_tup_del), 0) AS BIGINT) AS rows \
         FROM pg_stat_user_tables \
         WHERE schemaname = current_schema() AND relname <> 'content_version'",
    )
    .get_result(&mut conn)
    .expect("the table statistics")
}

/// With the sync interval long, 1,000 counted views of posts read once reach the database with no statement:
/// PostgreSQL's statistics of every table a view could touch do not move.
async fn a_thousand_views_of_posts_read_once_reach_postgresql_with_no_statement(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // PostgreSQL's statistics are the witness
    };
    app.import(&zero_clicks()).await;
    let server = without_a_sync(&app).await;
    for post in 1..=5 {
        assert_eq!(view_count(&server, post).await, 1);
    }
    let before = table_activity(&app).await;
    for n in 0..1000 {
        let post = n % 5 + 1;
        assert_eq!(view_count(&server, post).await, n / 5 + 2);
    }
    let after = table_activity(&app).await;
    assert_eq!(
        after, before,
        "1,000 counted views, no statement on any table"
    );
}

fn redis_at(url: String) -> blog_api::cache::RedisSettings {
    blog_api::cache::RedisSettings {
        endpoint: blog_api::cache::RedisEndpoint::Single(url),
        key_prefix: String::from("totals"),
        timeout: Duration::from_millis(300),
        click_id_ttl: Duration::from_secs(900),
    }
}

/// The count `app` shows for `post` without counting a view.
async fn shown(app: &TestApp, post: i64) -> i64 {
    app.get_json(&format!("/posts/{post}")).await["clicks"]
        .as_i64()
        .expect("a count")
}

/// One instance loses Redis (a relay the test cuts) while another keeps it and holds the post's total. The
/// clicks the first counts in the database meanwhile (or parks, when a call's outcome was unknown) are in
/// what the second shows within a few seconds, exactly, never more; and once the first reaches Redis again,
/// its views answer the exact total at once.
async fn clicks_counted_in_the_database_while_redis_was_unreachable_are_shown_when_it_returns(
    app: TestApp,
) {
    let TestBackend::Postgres = app.backend else {
        return; // the in-process cache is never unreachable
    };
    let Some(redis) = OwnRedis::start(Persistence::SnapshotsOnly) else {
        return;
    };
    app.import(&zero_clicks()).await;
    let proxy = TcpProxy::start(([127, 0, 0, 1], redis.port).into());
    let direct = app
        .another_instance(TestOptions {
            sync_interval: Duration::from_millis(100),
            redis: Some(redis_at(redis.url())),
            ..TestOptions::default()
        })
        .await;
    let cut_off = app
        .another_instance(TestOptions {
            redis: Some(redis_at(format!("redis://127.0.0.1:{}", proxy.port))),
            ..TestOptions::default()
        })
        .await;
    for expected in 1..=10 {
        assert_eq!(view_count(&direct, 1).await, expected, "held by the cache");
    }
    proxy.cut();
    for _ in 0..20 {
        view_count(&cut_off, 1).await;
    }
    assert!(
        cut_off.metric("clicks_fallback_total").await + cut_off.metric("clicks_parked_total").await
            == 20,
        "every click of the cut-off instance went to the database"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut seen = shown(&direct, 1).await;
    while seen != 30 && std::time::Instant::now() < deadline {
        assert!(seen <= 30, "{seen} shown with 30 views made");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        seen = shown(&direct, 1).await;
    }
    assert_eq!(
        seen, 30,
        "the other instance shows the clicks counted without the cache"
    );

    proxy.restore();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !cut_off.clicks.cache().is_available() && std::time::Instant::now() < deadline {
        view_count(&cut_off, 2).await;
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cut_off.clicks.cache().is_available(), "Redis answers again");
    assert_eq!(
        view_count(&cut_off, 1).await,
        31,
        "exact at once through the cache"
    );
    assert_eq!(view_count(&direct, 1).await, 32);
    let mut instances = [direct, cut_off];
    for instance in &mut instances {
        instance.stop().await; // each syncs what it holds, parked clicks included
    }
    assert_eq!(app.synced_clicks(1), 32);
}

/// An instance on a Redis of the test's own (snapshots only, so a test can take one and restart from it).
async fn on_own_redis(app: &TestApp, redis: &OwnRedis) -> TestApp {
    app.another_instance(TestOptions {
        redis: Some(redis_at(redis.url())),
        ..TestOptions::default()
    })
    .await
}

/// On PostgreSQL + Redis: a Redis of the test's own (snapshots only), the sample's posts with no clicks, and an
/// instance on that Redis; `None` on SQLite + the in-process cache (or without `redis-server`).
async fn on_a_snapshot_redis(app: &TestApp) -> Option<(OwnRedis, TestApp)> {
    let TestBackend::Postgres = app.backend else {
        return None;
    };
    let redis = OwnRedis::start(Persistence::SnapshotsOnly)?;
    app.import(&zero_clicks()).await;
    let server = on_own_redis(app, &redis).await;
    Some((redis, server))
}

/// `FLUSHALL` after a sync: the clicks not yet synced go with it; the totals are seeded again from the
/// database, and from the flush on every view is counted exactly.
async fn a_flush_after_a_sync_counts_exactly_from_the_flush_on(app: TestApp) {
    let Some((redis, mut server)) = on_a_snapshot_redis(&app).await else {
        return; // the in-process cache cannot be flushed or restored apart from its process
    };
    views_answer(&server, 1..=10).await;
    assert_eq!(server.sync().await.clicks, 10);
    views_answer(&server, 11..=15).await; // held, not yet synced
    assert_eq!(redis.command(&["FLUSHALL"]).as_deref(), Ok("OK"));
    assert_eq!(
        shown(&server, 1).await,
        10,
        "the synced clicks, seeded again"
    );
    for expected in 11..=13 {
        assert_eq!(
            view_count(&server, 1).await,
            expected,
            "exact from the flush on"
        );
    }
    server.stop().await;
    assert_eq!(app.synced_clicks(1), 13);
}

/// Redis restarts from a snapshot taken before a sync applied what it held: the totals it brings back were
/// held by another process and are dropped, the batch it brings back is set aside (the ledger has it), and
/// the count shown is the database's, exact, with every later view added once.
async fn a_restart_from_an_older_snapshot_shows_exact_totals(app: TestApp) {
    let Some((mut redis, mut server)) = on_a_snapshot_redis(&app).await else {
        return; // the in-process cache cannot be flushed or restored apart from its process
    };
    views_answer(&server, 1..=10).await;
    assert_eq!(redis.command(&["SAVE"]).as_deref(), Ok("OK"));
    assert_eq!(server.sync().await.clicks, 10);
    views_answer(&server, 11..=15).await; // held, not yet synced
    redis.kill();
    assert!(redis.spawn(), "redis-server restarts from the snapshot");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !server.clicks.cache().is_available() && std::time::Instant::now() < deadline {
        server.get("/posts/2").await;
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // The 5 views after the snapshot were in Redis only: lost with the crash. The snapshot's total (10, as
    // held then) and its batch (applied since) must not be counted on top of the database's 10.
    assert_eq!(shown(&server, 1).await, 10);
    for expected in 11..=13 {
        assert_eq!(view_count(&server, 1).await, expected);
    }
    server.stop().await;
    assert_eq!(app.synced_clicks(1), 13);
}

/// The clicks a list page shows for `post` (it counts no view).
async fn listed(app: &TestApp, post: i64) -> Option<i64> {
    let page = app.get_json("/posts?per_page=100").await;
    page["data"]
        .as_array()?
        .iter()
        .find(|listed| listed["id"].as_i64() == Some(post))?["clicks"]
        .as_i64()
}

/// A list page read first after Redis restarts from an older snapshot (no view, so no record call has
/// brought the shard up to date yet): the totals the snapshot brings back were held by another process and
/// must not be answered, however whole they look; the page shows the database's count.
async fn a_list_page_after_a_restart_from_an_older_snapshot_shows_the_database_count(app: TestApp) {
    let Some((mut redis, mut server)) = on_a_snapshot_redis(&app).await else {
        return; // the in-process cache cannot be flushed or restored apart from its process
    };
    views_answer(&server, 1..=10).await;
    assert_eq!(
        listed(&server, 1).await,
        Some(10),
        "the page holds the total"
    );
    assert_eq!(redis.command(&["SAVE"]).as_deref(), Ok("OK")); // holds 10 for post 1
    views_answer(&server, 11..=15).await;
    assert_eq!(server.sync().await.clicks, 15);
    redis.kill();
    assert!(redis.spawn(), "redis-server restarts from the snapshot");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut seen = listed(&server, 1).await;
    while !server.clicks.cache().is_available() && std::time::Instant::now() < deadline {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        seen = listed(&server, 1).await;
    }
    assert!(server.clicks.cache().is_available(), "Redis answers again");
    assert_eq!(
        seen,
        Some(15),
        "the database's count, not the snapshot's 10"
    );
    assert_eq!(listed(&server, 1).await, Some(15));
    assert_eq!(view_count(&server, 1).await, 16);
    server.stop().await;
    assert_eq!(app.synced_clicks(1), 16);
}

crate::on_both_backends!(
    a_list_page_after_a_restart_from_an_older_snapshot_shows_the_database_count,
    a_flush_after_a_sync_counts_exactly_from_the_flush_on,
    a_restart_from_an_older_snapshot_shows_exact_totals,
    clicks_counted_in_the_database_while_redis_was_unreachable_are_shown_when_it_returns,
    a_thousand_views_of_posts_read_once_reach_postgresql_with_no_statement,
    a_held_total_costs_no_statement_and_stays_exact,
    a_seed_across_a_drain_is_refused_and_one_across_an_acknowledge_is_exact,
);
