//! Criterion bench of one click sync pass (`sync_once`) over 10,000 and 100,000 dirty posts: every post
//! has one pending click in the cache, and the pass drains them, applies them in one transaction guarded by
//! the ledger, and acknowledges them. Only the pass is timed; recording the clicks is set-up.
//!
//! PostgreSQL + Redis (the target: 100,000 dirty posts under 2 s), and SQLite + the in-process cache:
//!   cargo bench --bench sync
//! `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) names the server the bench
//! creates its own database on; `BENCH_REDIS_URL` (default `redis://127.0.0.1:6379`) the Redis, under a key
//! prefix of its own that it deletes afterwards. Without PostgreSQL or Redis answering at those URLs, those
//! rows are skipped with a line saying so.
#![expect(
    clippy::expect_used,
    reason = "a bench stops loudly at its first broken assumption"
)]

use std::time::{Duration, Instant};

use blog_api::cache::{
    CacheBackend, ClickId, MemoryClickCache, RedisClickCache, RedisEndpoint, RedisSettings,
};
use blog_api::db::{self, DatabaseUrl, DbPool};
use blog_api::jobs::sync_once;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use diesel::connection::SimpleConnection;
use futures::{stream, StreamExt};
use redis::Commands;

const SIZES: [i64; 2] = [10_000, 100_000];
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Posts 1..=count, straight into the table (their content does not matter to the sync).
fn insert_posts(pool: &DbPool, count: i64) {
    let mut conn = pool.get().expect("a connection");
    let sql = match conn.backend() {
        db::Backend::Postgres => format!(
            "INSERT INTO posts (id, slug, title, excerpt, body_markdown, body_html, author, published_at, \
             created_at, updated_at) SELECT i, 'post-' || i, 'Post', '', '', '', 'bench', now(), now(), now() \
             FROM generate_series(1, {count}) AS i"
        ),
        db::Backend::Sqlite => format!(
            "WITH RECURSIVE ids(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM ids WHERE i < {count}) \
             INSERT INTO posts (id, slug, title, excerpt, body_markdown, body_html, author, published_at, \
             created_at, updated_at) SELECT i, 'post-' || i, 'Post', '', '', '', 'bench', datetime('now'), \
             datetime('now'), datetime('now') FROM ids"
        ),
    };
    conn.batch_execute(&sql).expect("posts inserted");
}

/// One click for each of posts 1..=count, 64 at a time.
async fn dirty(cache: &dyn CacheBackend, count: i64) {
    stream::iter(1..=count)
        .for_each_concurrent(64, |post| async move {
            cache
                .record_click(post, 490_000, None, &ClickId::new(), 0, None)
                .await
                .expect("click recorded");
        })
        .await;
}

fn bench_backend(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    pool: &DbPool,
    cache: &dyn CacheBackend,
) {
    insert_posts(pool, *SIZES.iter().max().unwrap_or(&0));
    let mut group = c.benchmark_group(format!("sync_once/{name}"));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(1));
    group.warm_up_time(Duration::from_millis(1));
    for size in SIZES {
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter_custom(|iterations| {
                let mut timed = Duration::ZERO;
                for _ in 0..iterations {
                    runtime.block_on(dirty(cache, size));
                    let start = Instant::now();
                    let report = runtime
                        .block_on(sync_once(pool, cache, RETENTION))
                        .expect("sync pass");
                    timed += start.elapsed();
                    assert_eq!(report.clicks, size, "every dirty post synced");
                }
                timed
            });
        });
    }
    group.finish();
}

fn connect(url: &str) -> DbPool {
    let url = DatabaseUrl::parse(url).expect("a database URL");
    db::connect_and_migrate(&url, 4, Duration::from_secs(60))
        .expect("database ready")
        .0
}

fn sync_passes(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");

    let directory = tempfile::tempdir().expect("a temporary directory");
    let sqlite = connect(&format!(
        "sqlite://{}",
        directory.path().join("bench.db").display()
    ));
    bench_backend(
        c,
        &runtime,
        "sqlite+memory",
        &sqlite,
        &MemoryClickCache::default(),
    );

    let server = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| String::from("postgres://postgres@127.0.0.1:5432/postgres"));
    let redis_url =
        std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| String::from("redis://127.0.0.1:6379"));
    let Some(admin) = connect_admin(&server) else {
        eprintln!("PostgreSQL is not answering at TEST_DATABASE_URL: postgres+redis rows skipped");
        return;
    };
    let Ok(mut redis) = redis::Client::open(redis_url.as_str()).and_then(|c| c.get_connection())
    else {
        eprintln!("Redis is not answering at BENCH_REDIS_URL: postgres+redis rows skipped");
        return;
    };
    let name = format!("blog_bench_sync_{}", std::process::id());
    admin(&format!("CREATE DATABASE {name}"));
    let (base, _) = server.rsplit_once('/').expect("a database URL with a path");
    let pool = connect(&format!("{base}/{name}"));
    let prefix = format!("bench-sync-{}", std::process::id());
    let cache = RedisClickCache::new(&RedisSettings {
        endpoint: RedisEndpoint::Single(redis_url.clone()),
        key_prefix: prefix.clone(),
        timeout: Duration::from_secs(10),
        click_id_ttl: Duration::from_secs(900),
    })
    .expect("a Redis cache");
    bench_backend(c, &runtime, "postgres+redis", &pool, &cache);
    drop(pool);
    admin(&format!("DROP DATABASE {name} WITH (FORCE)"));
    forget_keys(&mut redis, &prefix);
}

/// Runs statements on the server's administrative database; `None` if it does not answer.
fn connect_admin(url: &str) -> Option<impl Fn(&str)> {
    let url = DatabaseUrl::parse(url).expect("a database URL");
    let conn = std::cell::RefCell::new(url.establish(None).ok()?);
    Some(move |sql: &str| {
        conn.borrow_mut().batch_execute(sql).expect("statement ran");
    })
}

/// Deletes the bench's keys (the click ids it recorded are remembered for a while otherwise), walking them
/// with `SCAN` so a shared Redis is never blocked.
fn forget_keys(redis: &mut redis::Connection, prefix: &str) {
    let keys: Vec<String> = redis
        .scan_match::<_, String>(format!("{prefix}:*"))
        .map(|keys| keys.filter_map(Result::ok).collect())
        .unwrap_or_default();
    for chunk in keys.chunks(1000) {
        let _: Result<(), _> = redis::cmd("DEL").arg(chunk).query(redis);
    }
}

criterion_group!(benches, sync_passes);
criterion_main!(benches);
