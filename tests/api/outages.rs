//! Degraded modes: Redis stopped in the middle of a click load (a Redis of the test's own, on its own
//! port), and PostgreSQL unreachable during a sync (a TCP proxy the test cuts; the shared server is never
//! stopped). No request fails, no click is lost.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use blog_api::cache::{RedisEndpoint, RedisSettings};
use blog_api::db::DatabaseUrl;
use blog_api::jobs::sync_once;
use futures::stream::{self, StreamExt};

use crate::fixture::many_posts;
use crate::helpers::{TestApp, TestBackend, TestOptions, BROWSER};
use crate::redis_server::{OwnRedis, Persistence};
use crate::tcp_proxy::TcpProxy;

async fn views(app: &TestApp, count: usize) -> usize {
    let client = crate::helpers::http_client();
    let answered: Vec<bool> = stream::iter(0..count)
        .map(|n| {
            let url = format!("{}/posts/{}", app.address, n % 5 + 1);
            let client = client.clone();
            async move {
                let response = client.get(url).header("User-Agent", BROWSER).send().await;
                response.is_ok_and(|r| r.status() == 200)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    answered.iter().filter(|ok| **ok).count()
}

fn synced_total(app: &TestApp) -> i64 {
    (1..=5).map(|post| app.synced_clicks(post)).sum()
}

fn zero_clicks() -> String {
    many_posts(5).replace("\"clicks\":", "\"ignored_clicks\":")
}

async fn redis_stopped_mid_load_loses_no_click_and_fails_no_request(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // the in-process cache cannot be stopped apart from its process
    };
    let Some(mut redis) = OwnRedis::start(Persistence::AppendEveryWrite) else {
        return;
    };
    app.import(&zero_clicks()).await;
    let settings = RedisSettings {
        endpoint: RedisEndpoint::Single(redis.url()),
        key_prefix: String::from("outage"),
        timeout: Duration::from_millis(300),
        click_id_ttl: Duration::from_secs(900),
    };
    let options = TestOptions {
        sync_interval: Duration::from_millis(100),
        redis: Some(settings),
        ..TestOptions::default()
    };
    let mut server = app.another_instance(options).await;
    let cache = server.clicks.cache().clone();

    let load = views(&server, 1500);
    let outage = async {
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        redis.stop();
    };
    let (before, ()) = futures::join!(load, outage);
    assert_eq!(before, 1500, "no request fails while Redis goes away");
    assert!(!cache.is_available(), "the breaker noticed");
    let ready = server.get_json("/readyz").await;
    assert_eq!(ready["cache"]["state"], "degraded", "{ready}");
    let metrics = server.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("blog_api_cache_available{backend=\"redis\"} 0"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("blog_api_clicks_fallback_total 0\n"),
        "fallbacks are counted: {metrics}"
    );
    assert_eq!(
        views(&server, 500).await,
        500,
        "no request fails while Redis is down"
    );
    assert_eq!(server.get("/posts").await.status(), 200, "lists answer too");
    let metrics = server.get("/metrics").await.text().await.expect("metrics");
    assert!(
        !metrics.contains("blog_api_reads_from_synced_counts_total 0\n"),
        "reads shown from synced counts are counted: {metrics}"
    );

    assert!(redis.spawn(), "redis-server restarts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut resumed = 0;
    while !cache.is_available() && Instant::now() < deadline {
        resumed += views(&server, 1).await;
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(cache.is_available(), "the cache path resumes on its own");
    let round_trips = cache.round_trips();
    assert_eq!(views(&server, 200).await, 200);
    assert!(
        cache.round_trips() >= round_trips + 200,
        "clicks go through Redis again"
    );

    server.stop().await;
    let expected = (before + 500 + resumed + 200) as i64;
    assert_eq!(
        synced_total(&app),
        expected,
        "every click is in the database, once"
    );
}

async fn postgres_unreachable_during_a_sync_loses_no_click(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // SQLite is a file: it cannot become unreachable
    };
    app.import(&zero_clicks()).await;
    let (proxy, server) = behind_a_proxy(&app, TestOptions::default()).await;
    assert_eq!(views(&server, 300).await, 300);

    proxy.cut();
    let cache = server.clicks.cache().clone();
    let failed = sync_once(&server.pool, cache.as_ref(), Duration::from_secs(86_400)).await;
    assert!(
        failed.is_err(),
        "the sync cannot reach the database: {failed:?}"
    );
    assert_eq!(synced_total(&app), 0);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match sync_once(&server.pool, cache.as_ref(), Duration::from_secs(86_400)).await {
            Ok(report) if report.drained == 0 => break,
            Ok(_) => {}
            Err(error) => assert!(
                Instant::now() < deadline,
                "the sync never recovered: {error}"
            ),
        }
    }
    assert_eq!(synced_total(&app), 300, "every click arrived, once");
    assert_eq!(views(&server, 10).await, 10, "requests work again");
}

/// PostgreSQL behind a proxy, and a server that reaches it only through that proxy.
pub async fn behind_a_proxy(app: &TestApp, options: TestOptions) -> (TcpProxy, TestApp) {
    let direct = url::Url::parse(&crate::helpers::postgres_admin_url()).expect("URL");
    let target: SocketAddr = (
        direct.host_str().unwrap_or("127.0.0.1"),
        direct.port().unwrap_or(5432),
    )
        .to_socket_addr()
        .expect("PostgreSQL's address");
    let proxy = TcpProxy::start(target);
    let mut proxied = url::Url::parse(&app.database.url.to_string()).expect("URL");
    proxied.set_host(Some("127.0.0.1")).expect("host");
    proxied.set_port(Some(proxy.port)).expect("port");
    let options = TestOptions {
        database_url: Some(DatabaseUrl::parse(proxied.as_str()).expect("a postgres URL")),
        ..options
    };
    let server = app.another_instance(options).await;
    (proxy, server)
}

/// The network to PostgreSQL hangs: bytes stop, nothing closes (no error ever comes). `/readyz` says 503
/// within 2 s, reads answer 503 within the statement timeout, the sync's passes are abandoned at their
/// deadline instead of hanging, and once the network resumes a later pass applies every click.
async fn a_hung_database_answers_503_in_time_and_loses_no_click(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // SQLite is a file: no network to hang
    };
    app.import(&zero_clicks()).await;
    let statement_timeout = Duration::from_secs(1);
    let options = TestOptions {
        sync_interval: Duration::from_millis(100),
        sync_deadline: Duration::from_millis(1500),
        statement_timeout,
        ..TestOptions::default()
    };
    let (proxy, mut server) = behind_a_proxy(&app, options).await;
    assert_eq!(views(&server, 300).await, 300);

    proxy.stall();
    let started = Instant::now();
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "/readyz took {:?}",
        started.elapsed()
    );
    // Within CONTENT_CACHE_MAX_STALENESS_MS (3 s here) a post in memory is still served, its count from the
    // totals the click cache holds: no statement. Past it, a read needs the database.
    assert_eq!(
        server.get("/posts/1").await.status(),
        200,
        "served from memory"
    );
    actix_web::rt::time::sleep(Duration::from_millis(3100)).await;
    for _ in 0..3 {
        let started = Instant::now();
        let read = server.get("/posts/1").await;
        assert_eq!(read.status(), 503, "a read while the database hangs");
        assert!(
            started.elapsed() < statement_timeout + Duration::from_millis(500),
            "a read took {:?}",
            started.elapsed()
        );
    }
    // Several passes start, hang and are abandoned meanwhile.
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    let metrics = server.get("/metrics").await.text().await.expect("metrics");
    assert!(
        !metrics.contains("blog_api_click_sync_failures_total 0\n"),
        "hung passes are abandoned and counted: {metrics}"
    );

    proxy.resume();
    let deadline = Instant::now() + Duration::from_secs(30);
    while synced_total(&app) < 300 && Instant::now() < deadline {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        synced_total(&app),
        300,
        "a later pass applied every click, once"
    );
    assert_eq!(server.get("/readyz").await.status(), 200);
    assert_eq!(views(&server, 50).await, 50, "requests work again");
    server.stop().await;
    assert_eq!(synced_total(&app), 350);
}

trait ToSocketAddr {
    fn to_socket_addr(self) -> Option<SocketAddr>;
}

impl ToSocketAddr for (&str, u16) {
    fn to_socket_addr(self) -> Option<SocketAddr> {
        std::net::ToSocketAddrs::to_socket_addrs(&self).ok()?.next()
    }
}

/// PostgreSQL's connections are cut for 3 s, then it answers again: no request and no sync pass fails on
/// a pooled connection that broke meanwhile (each used to fail once, on its first use after the cut, even
/// long after the database was back).
async fn connections_that_broke_while_the_database_was_away_fail_nothing_after(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // SQLite is a file: no connection to break
    };
    app.import(&crate::fixture::small_blog()).await;
    let options = TestOptions {
        content_cache_bytes: 0,
        ..TestOptions::default()
    };
    let (proxy, server) = behind_a_proxy(&app, options).await;
    // Several connections open at once, then idle in the pool.
    let warm = (0..12).map(|_| server.get("/posts?per_page=50"));
    let statuses: Vec<u16> = futures::future::join_all(warm)
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    assert!(
        server.pool.state().connections > 2,
        "{:?}",
        server.pool.state()
    );

    proxy.cut();
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.restore();

    let mut failures = Vec::new();
    for round in 0..10 {
        for path in [
            "/posts",
            "/posts/1",
            "/posts/slug/zebra-notes",
            "/categories",
        ] {
            let response = server.get(path).await;
            if response.status() != 200 {
                failures.push(format!("round {round}, {path}: {}", response.status()));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
    server.sync().await;
}

crate::on_both_backends!(
    connections_that_broke_while_the_database_was_away_fail_nothing_after,
    redis_stopped_mid_load_loses_no_click_and_fails_no_request,
    postgres_unreachable_during_a_sync_loses_no_click,
    a_hung_database_answers_503_in_time_and_loses_no_click,
);
