//! What a counted view and a beacon cost Redis, counted by Redis itself (`INFO commandstats` of a server of
//! the test's own): one script call each, the client's limit taken inside it, and no `INFO server` on the
//! way. The limits it takes are one per client across instances.

use std::time::Duration;

use blog_api::cache::{RedisEndpoint, RedisSettings};

use crate::fixture::many_posts;
use crate::helpers::{TestApp, TestBackend, TestOptions, BROWSER};
use crate::redis_server::{OwnRedis, Persistence};

fn zero_clicks() -> String {
    many_posts(5).replace("\"clicks\":", "\"ignored_clicks\":")
}

fn on(redis: &OwnRedis, views_per_minute: u32, beacon_clicks_per_minute: u32) -> TestOptions {
    TestOptions {
        redis: Some(RedisSettings {
            endpoint: RedisEndpoint::Single(redis.url()),
            key_prefix: String::from("commands"),
            timeout: Duration::from_millis(500),
            click_id_ttl: Duration::from_secs(900),
        }),
        views_per_minute,
        beacon_clicks_per_minute,
        trusted_proxies: vec!["127.0.0.1/32".parse().expect("a CIDR")],
        ..TestOptions::default()
    }
}

/// Calls per command since the last `CONFIG RESETSTAT`, as `INFO commandstats` has them (commands that
/// scripts run included, as `cmdstat_<name>`).
fn command_calls(redis: &OwnRedis) -> Vec<(String, u64)> {
    let info = redis.command(&["INFO", "commandstats"]).expect("INFO");
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(":calls=")?;
            let calls = rest.split(',').next()?.parse().ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

/// A counted view (`GET /posts/{post}`) or a beacon (`POST /posts/{post}/clicks`) from `client`: its status
/// and the count it answered (-1 for a refusal).
async fn click(app: &TestApp, method: reqwest::Method, path: String, client: &str) -> (u16, i64) {
    let response = app
        .client
        .request(method, format!("{}{path}", app.address))
        .header("User-Agent", BROWSER)
        .header("X-Forwarded-For", client)
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("JSON");
    (status, body["clicks"].as_i64().unwrap_or(-1))
}

async fn view(app: &TestApp, post: i64, client: &str) -> (u16, i64) {
    click(app, reqwest::Method::GET, format!("/posts/{post}"), client).await
}

async fn beacon(app: &TestApp, post: i64, client: &str) -> (u16, i64) {
    click(
        app,
        reqwest::Method::POST,
        format!("/posts/{post}/clicks"),
        client,
    )
    .await
}

/// Once a post's total is held, 20 counted views and 20 beacons are 40 `EVALSHA` calls and nothing else a
/// client sends (no `INFO server`, no separate limit check), each answering the exact count.
async fn a_counted_view_and_a_beacon_are_one_command_each(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // the in-process cache has no commands to count
    };
    let Some(redis) = OwnRedis::start(Persistence::SnapshotsOnly) else {
        return;
    };
    app.import(&zero_clicks()).await;
    let server = app.another_instance(on(&redis, 1000, 1000)).await;
    assert_eq!(view(&server, 1, "203.0.113.7").await, (200, 1));
    assert_eq!(beacon(&server, 1, "203.0.113.7").await, (200, 2));
    assert_eq!(redis.command(&["CONFIG", "RESETSTAT"]).as_deref(), Ok("OK"));
    let mut expected = 2;
    for _ in 0..20 {
        expected += 1;
        assert_eq!(view(&server, 1, "203.0.113.7").await, (200, expected));
        expected += 1;
        assert_eq!(beacon(&server, 1, "203.0.113.7").await, (200, expected));
    }
    let calls = command_calls(&redis);
    let calls_of = |name: &str| {
        calls
            .iter()
            .find(|(command, _)| command == name)
            .map_or(0, |(_, calls)| *calls)
    };
    assert_eq!(calls_of("evalsha"), 40, "one script call each: {calls:?}");
    assert_eq!(calls_of("info"), 0, "no INFO on the way: {calls:?}");
}

/// Behind a load balancer a client's view and beacon limits are one each, whichever instance it reaches:
/// past `RATE_LIMIT_VIEWS_PER_MINUTE` a view is served and not counted, past
/// `RATE_LIMIT_CLICKS_PER_MINUTE` a beacon is refused; another client has limits of its own; every count is
/// exact.
async fn two_instances_share_one_view_limit_and_one_beacon_limit(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // the SQLite half runs without Redis: limits are per instance there (README)
    };
    let Some(redis) = OwnRedis::start(Persistence::SnapshotsOnly) else {
        return;
    };
    app.import(&zero_clicks()).await;
    let mut first = app.another_instance(on(&redis, 5, 3)).await;
    let mut second = app.another_instance(on(&redis, 5, 3)).await;
    let mut counts = Vec::new();
    for n in 0..8 {
        let instance = if n % 2 == 0 { &first } else { &second };
        let (status, count) = view(instance, 1, "203.0.113.7").await;
        assert_eq!(status, 200, "view {n} is served");
        counts.push(count);
    }
    assert_eq!(counts, [1, 2, 3, 4, 5, 5, 5, 5], "five counted in all");
    let mut statuses = Vec::new();
    for n in 0..5 {
        let instance = if n % 2 == 0 { &second } else { &first };
        statuses.push(beacon(instance, 2, "203.0.113.7").await);
    }
    assert_eq!(
        statuses,
        [(200, 1), (200, 2), (200, 3), (429, -1), (429, -1)],
        "three beacon clicks in all"
    );
    assert_eq!(view(&second, 1, "198.51.100.9").await, (200, 6));
    assert_eq!(beacon(&first, 2, "198.51.100.9").await, (200, 4));
    let keys = redis.command(&["KEYS", "commands:rate:*"]).expect("KEYS");
    assert!(
        keys.contains(":rate:view:") && keys.contains(":rate:beacon:"),
        "the limits live in Redis: {keys}"
    );
    assert!(
        !keys.contains("203.0.113.7"),
        "keyed by a salted hash: {keys}"
    );
    first.stop().await;
    second.stop().await;
    assert_eq!(app.synced_clicks(1), 6);
    assert_eq!(app.synced_clicks(2), 4);
}

crate::on_both_backends!(
    a_counted_view_and_a_beacon_are_one_command_each,
    two_instances_share_one_view_limit_and_one_beacon_limit,
);
