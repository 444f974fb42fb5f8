//! What production Redis does to the click counter, done to a redis-server of the test's own: a stall
//! (SIGSTOP) longer than `REDIS_TIMEOUT_MS`, a crash and a restart from an older snapshot, failovers. Every
//! view answered 200 is in the database once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blog_api::cache::{RedisEndpoint, RedisSettings};
use blog_api::jobs::sync_once;
use futures::stream::{self, StreamExt};

use crate::fixture::many_posts;
use crate::helpers::{TestApp, TestBackend, TestOptions, BROWSER};
use crate::redis_server::{OwnRedis, Persistence};
use crate::tcp_proxy::TcpProxy;

const POSTS: i64 = 5;

fn zero_clicks() -> String {
    many_posts(5).replace("\"clicks\":", "\"ignored_clicks\":")
}

fn redis_settings(redis: &OwnRedis, timeout: Duration) -> RedisSettings {
    RedisSettings {
        endpoint: RedisEndpoint::Single(redis.url()),
        key_prefix: String::from("faults"),
        timeout,
        click_id_ttl: Duration::from_secs(900),
    }
}

/// What a load saw: 200s per post, other answers, and the slowest answer.
#[derive(Debug, Default)]
struct Answers {
    ok_by_post: HashMap<i64, i64>,
    failed: usize,
    slowest: Duration,
}

/// `count` counted views spread over the posts, `concurrency` at a time; `done` counts answers as they come.
async fn view_load(
    app: &TestApp,
    count: usize,
    concurrency: usize,
    done: Arc<AtomicUsize>,
) -> Answers {
    let client = crate::helpers::http_client();
    let results: Vec<(i64, bool, Duration)> = stream::iter(0..count)
        .map(|n| {
            let post = i64::try_from(n).expect("small") % POSTS + 1;
            let url = format!("{}/posts/{post}", app.address);
            let client = client.clone();
            let done = done.clone();
            async move {
                let started = Instant::now();
                let response = client.get(url).header("User-Agent", BROWSER).send().await;
                let ok = response.is_ok_and(|r| r.status() == 200);
                done.fetch_add(1, Ordering::Relaxed);
                (post, ok, started.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut answers = Answers::default();
    for (post, ok, took) in results {
        if ok {
            *answers.ok_by_post.entry(post).or_insert(0) += 1;
        } else {
            answers.failed += 1;
        }
        answers.slowest = answers.slowest.max(took);
    }
    answers
}

/// Sends single views until the click cache answers again; returns the 200s per post.
async fn views_until_the_cache_is_back(app: &TestApp) -> HashMap<i64, i64> {
    let cache = app.clicks.cache().clone();
    let mut ok_by_post = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cache.is_available() && Instant::now() < deadline {
        let answers = view_load(app, 1, 1, Arc::new(AtomicUsize::new(0))).await;
        for (post, ok) in answers.ok_by_post {
            *ok_by_post.entry(post).or_insert(0) += ok;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cache.is_available(), "the cache path resumes on its own");
    ok_by_post
}

fn parked_clicks(app: &TestApp) -> i64 {
    use blog_api::db::schema::parked_clicks;
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("a connection");
    parked_clicks::table
        .count()
        .get_result(&mut conn)
        .expect("a count")
}

/// Redis pauses (a fork, a busy script, a network hiccup) for 2 s at 30% of a 5,000-view load on 64
/// connections, far past `REDIS_TIMEOUT_MS`: every request still answers in time, and every 200 is counted
/// once: the clicks whose calls timed out are parked and sent again with their ids, never added to the
/// database on top of Redis running them when it wakes.
async fn a_redis_stall_neither_fails_a_view_nor_counts_one_twice(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // the in-process cache does not stall apart from its process
    };
    let Some(redis) = OwnRedis::start(Persistence::SnapshotsOnly) else {
        return;
    };
    app.import(&zero_clicks()).await;
    let timeout = Duration::from_millis(250);
    let options = TestOptions {
        sync_interval: Duration::from_millis(200),
        redis: Some(redis_settings(&redis, timeout)),
        ..TestOptions::default()
    };
    let mut server = app.another_instance(options).await;

    let total = 5000;
    let done = Arc::new(AtomicUsize::new(0));
    let load = view_load(&server, total, 64, done.clone());
    let stall = async {
        while done.load(Ordering::Relaxed) < total * 3 / 10 {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        redis.signal("STOP");
        actix_web::rt::time::sleep(Duration::from_secs(2)).await;
        redis.signal("CONT");
    };
    let (answers, ()) = futures::join!(load, stall);
    assert_eq!(answers.failed, 0, "no view fails while Redis stalls");
    assert!(
        answers.slowest < timeout + Duration::from_millis(1500),
        "every view answers within REDIS_TIMEOUT_MS and a margin; the slowest took {:?}",
        answers.slowest
    );
    let metrics = server.get("/metrics").await.text().await.expect("metrics");
    assert!(
        !metrics.contains("blog_api_clicks_parked_total 0\n"),
        "the stall left ambiguous calls, parked: {metrics}"
    );

    let more = views_until_the_cache_is_back(&server).await;
    server.stop().await;
    assert_eq!(
        parked_clicks(&app),
        0,
        "the final sync settled every parked click"
    );
    for post in 1..=POSTS {
        let answered = answers.ok_by_post.get(&post).copied().unwrap_or(0)
            + more.get(&post).copied().unwrap_or(0);
        assert_eq!(
            app.synced_clicks(post),
            answered,
            "post {post}: the database holds each answered view once"
        );
        // Each in its hour too, the parked ones included (imported with none).
        assert_eq!(
            clicks_by_hour(&app, post),
            answered,
            "post {post}: its hours add up to its total"
        );
    }
}

/// The clicks of a post in the database's hourly counts.
fn clicks_by_hour(app: &TestApp, post: i64) -> i64 {
    use blog_api::db::schema::post_click_hours;
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("a connection");
    let clicks: Vec<i64> = post_click_hours::table
        .filter(post_click_hours::post_id.eq(post))
        .select(post_click_hours::clicks)
        .load(&mut conn)
        .expect("hours");
    clicks.iter().sum()
}

/// Redis crashes (`kill -9`) and comes back from a snapshot taken while a batch was pending, after that batch
/// was applied and acknowledged: the batch is back, under an id the ledger holds. It is not applied again,
/// and the views recorded after the restart are not hidden behind it: each is counted once.
async fn a_batch_restored_from_an_old_snapshot_neither_hides_nor_repeats_a_click(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // the in-process cache has no snapshot to come back from
    };
    let Some(mut redis) = OwnRedis::start(Persistence::SnapshotsOnly) else {
        return;
    };
    app.import(&zero_clicks()).await;
    let options = TestOptions {
        redis: Some(redis_settings(&redis, Duration::from_millis(500))),
        ..TestOptions::default()
    };
    let mut server = app.another_instance(options).await;
    let cache = server.clicks.cache().clone();

    let before = view_load(&server, 300, 8, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(before.failed, 0);
    assert_eq!(
        redis.command(&["SAVE"]).as_deref(),
        Ok("OK"),
        "snapshot taken"
    );
    let report = sync_once(&server.pool, cache.as_ref(), Duration::from_secs(86_400))
        .await
        .expect("a sync pass");
    // Posts 1 to 5 fall in five shards: one batch each.
    assert_eq!((report.applied, report.clicks), (5, 300), "{report:?}");
    assert_eq!(report.acknowledged, 5, "the batches are gone from Redis");

    redis.kill();
    assert!(redis.spawn(), "redis-server restarts from the snapshot");
    assert!(
        redis
            .command(&["KEYS", "faults:clicks:*:pending"])
            .is_ok_and(|keys| !keys.is_empty()),
        "the applied batch is back, pending"
    );

    let after = view_load(&server, 1000, 8, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(after.failed, 0, "no view fails across the restart");
    let more = views_until_the_cache_is_back(&server).await;
    assert!(
        redis
            .command(&["KEYS", "faults:clicks:*:aside"])
            .is_ok_and(|keys| keys.lines().count() == 5),
        "the first click on each shard set the restored batch aside, so no click joined it"
    );

    // An instance that syncs often deals with the restored batches and reports them.
    let syncing = server
        .another_instance(TestOptions {
            sync_interval: Duration::from_millis(100),
            redis: Some(redis_settings(&redis, Duration::from_millis(500))),
            ..TestOptions::default()
        })
        .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut metrics = String::new();
    while Instant::now() < deadline {
        metrics = syncing.get("/metrics").await.text().await.expect("metrics");
        if metrics.contains("blog_api_click_batches_resurrected_total 5\n") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        metrics.contains("blog_api_click_batches_resurrected_total 5\n"),
        "the resurrected batches are reported: {metrics}"
    );
    server.stop().await;
    let mut syncing = syncing;
    syncing.stop().await;

    for post in 1..=POSTS {
        let answered = [&before.ok_by_post, &after.ok_by_post, &more]
            .iter()
            .map(|answers| answers.get(&post).copied().unwrap_or(0))
            .sum::<i64>();
        assert_eq!(
            app.synced_clicks(post),
            answered,
            "post {post}: the restored batch counted once, every later view counted"
        );
    }
}

/// Waits until `replica` has every write `primary` took (what a managed failover waits for).
async fn caught_up(primary: &OwnRedis, replica: &OwnRedis) {
    let offset = |redis: &OwnRedis, field: &str| -> Option<i64> {
        let info = redis.command(&["INFO", "replication"]).ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| value.trim().parse().ok())
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let link_up = replica
            .command(&["INFO", "replication"])
            .is_ok_and(|info| info.contains("master_link_status:up"));
        let primary_at = offset(primary, "master_repl_offset:");
        if link_up && primary_at.is_some() && primary_at == offset(replica, "slave_repl_offset:") {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the replica did not catch up");
}

/// Counted views, one at a time, until one goes through Redis (the cache's `clicks_cached` grows); returns
/// how long that took and the 200s per post on the way.
async fn views_until_redis_takes_them(app: &TestApp) -> (Duration, HashMap<i64, i64>) {
    let started = Instant::now();
    let mut ok_by_post = HashMap::new();
    let cached = |metrics: &str| -> i64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("blog_api_clicks_cached_total "))
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    let before = cached(&app.get("/metrics").await.text().await.expect("metrics"));
    while started.elapsed() < Duration::from_secs(15) {
        let answers = view_load(app, 1, 1, Arc::new(AtomicUsize::new(0))).await;
        for (post, ok) in answers.ok_by_post {
            *ok_by_post.entry(post).or_insert(0) += ok;
        }
        if cached(&app.get("/metrics").await.text().await.expect("metrics")) > before {
            return (started.elapsed(), ok_by_post);
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("clicks never went through Redis again");
}

fn add_up(into: &mut HashMap<i64, i64>, from: &HashMap<i64, i64>) {
    for (post, ok) in from {
        *into.entry(*post).or_insert(0) += ok;
    }
}

/// What `server` shows for each post (a read that does not count: no browser User-Agent) is the number of
/// views answered 200.
async fn assert_each_total_shown_exactly(server: &TestApp, answered: &HashMap<i64, i64>) {
    for post in 1..=POSTS {
        let shown = server.get_json(&format!("/posts/{post}")).await["clicks"].as_i64();
        assert_eq!(
            shown,
            Some(answered.get(&post).copied().unwrap_or(0)),
            "post {post}: the total shown is every answered view, once"
        );
    }
}

fn assert_each_view_counted_once(app: &TestApp, answered: &HashMap<i64, i64>) {
    for post in 1..=POSTS {
        assert_eq!(
            app.synced_clicks(post),
            answered.get(&post).copied().unwrap_or(0),
            "post {post}: the database holds each answered view once"
        );
    }
}

/// The Redis at `REDIS_URL` is demoted to a replica (`REPLICAOF`) mid-traffic, then promoted back: every
/// view answers (its click goes to the database while Redis says `READONLY`), nothing is lost or counted
/// twice, and clicks go through Redis again within 5 s of the promotion, with no restart.
async fn a_demoted_then_promoted_primary_is_followed(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // the in-process cache has no replicas
    };
    let (Some(primary), Some(other)) = (
        OwnRedis::start(Persistence::SnapshotsOnly),
        OwnRedis::start(Persistence::SnapshotsOnly),
    ) else {
        return;
    };
    app.import(&zero_clicks()).await;
    let port = primary.port.to_string();
    assert!(other.command(&["REPLICAOF", "127.0.0.1", &port]).is_ok());
    let options = TestOptions {
        sync_interval: Duration::from_millis(200),
        redis: Some(redis_settings(&primary, Duration::from_millis(500))),
        ..TestOptions::default()
    };
    let mut server = app.another_instance(options).await;
    let mut answered = HashMap::new();

    let first = view_load(&server, 300, 8, Arc::new(AtomicUsize::new(0))).await;
    add_up(&mut answered, &first.ok_by_post);
    caught_up(&primary, &other).await;
    // A failover: the other server takes over, the one at REDIS_URL becomes its replica.
    assert!(other.command(&["REPLICAOF", "NO", "ONE"]).is_ok());
    let other_port = other.port.to_string();
    assert!(primary
        .command(&["REPLICAOF", "127.0.0.1", &other_port])
        .is_ok());
    let demoted = view_load(&server, 300, 8, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(
        demoted.failed, 0,
        "no view fails while REDIS_URL is a replica"
    );
    add_up(&mut answered, &demoted.ok_by_post);
    let metrics = server.get("/metrics").await.text().await.expect("metrics");
    assert!(
        !metrics.contains(
            "blog_api_clicks_fallback_total 0
"
        ),
        "clicks went to the database meanwhile: {metrics}"
    );

    caught_up(&other, &primary).await;
    assert!(primary.command(&["REPLICAOF", "NO", "ONE"]).is_ok());
    let (took, on_the_way) = views_until_redis_takes_them(&server).await;
    assert!(
        took < Duration::from_secs(5),
        "back through Redis after {took:?}"
    );
    add_up(&mut answered, &on_the_way);
    let last = view_load(&server, 300, 8, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(last.failed, 0);
    add_up(&mut answered, &last.ok_by_post);
    server.stop().await;
    assert_each_view_counted_once(&app, &answered);
}

/// The address behind `REDIS_URL` moves (a managed endpoint or a DNS name, played by a TCP proxy) to the
/// replica just promoted, while the old primary lives on as its replica: open connections still reach the
/// old one and get `READONLY`; clicks reach the new primary within 5 s, and each view counts once.
async fn clicks_follow_redis_url_to_a_promoted_replica(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // the in-process cache has no replicas
    };
    let (Some(old), Some(new)) = (
        OwnRedis::start(Persistence::SnapshotsOnly),
        OwnRedis::start(Persistence::SnapshotsOnly),
    ) else {
        return;
    };
    app.import(&zero_clicks()).await;
    let old_port = old.port.to_string();
    assert!(new.command(&["REPLICAOF", "127.0.0.1", &old_port]).is_ok());
    let address = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    let endpoint = TcpProxy::start(address(old.port));
    let settings = RedisSettings {
        endpoint: RedisEndpoint::Single(format!("redis://127.0.0.1:{}", endpoint.port)),
        ..redis_settings(&old, Duration::from_millis(500))
    };
    let options = TestOptions {
        sync_interval: Duration::from_millis(200),
        redis: Some(settings),
        ..TestOptions::default()
    };
    let mut server = app.another_instance(options).await;
    let mut answered = HashMap::new();

    let first = view_load(&server, 300, 8, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(first.failed, 0);
    add_up(&mut answered, &first.ok_by_post);
    caught_up(&old, &new).await;
    assert!(new.command(&["REPLICAOF", "NO", "ONE"]).is_ok());
    let new_port = new.port.to_string();
    assert!(old.command(&["REPLICAOF", "127.0.0.1", &new_port]).is_ok());
    endpoint.point_to(address(new.port));

    let (took, on_the_way) = views_until_redis_takes_them(&server).await;
    assert!(
        took < Duration::from_secs(5),
        "the new primary took clicks after {took:?}"
    );
    add_up(&mut answered, &on_the_way);
    let last = view_load(&server, 300, 8, Arc::new(AtomicUsize::new(0))).await;
    assert_eq!(last.failed, 0, "no view fails across the failover");
    add_up(&mut answered, &last.ok_by_post);
    assert!(
        new.command(&["DBSIZE"]).is_ok_and(|size| size != "0"),
        "the clicks are on the new primary"
    );
    // The totals the promoted replica inherited were held under the old primary's run id: dropped and seeded
    // again, so each post shows exactly its answered views (the ones counted in the database meanwhile too).
    assert_each_total_shown_exactly(&server, &answered).await;
    server.stop().await;
    assert_each_view_counted_once(&app, &answered);
}

crate::on_both_backends!(
    a_demoted_then_promoted_primary_is_followed,
    clicks_follow_redis_url_to_a_promoted_replica,
    a_redis_stall_neither_fails_a_view_nor_counts_one_twice,
    a_batch_restored_from_an_old_snapshot_neither_hides_nor_repeats_a_click,
);
