//! Test harness: every test gets its own database (a fresh SQLite file, or a fresh PostgreSQL database that
//! is dropped afterwards) and its own server on a free port.

use std::io::Write;
use std::sync::{Arc, Once};
use std::time::Duration;

use blog_api::cache::{RedisEndpoint, RedisSettings};
use blog_api::config::Settings;
use blog_api::db::{self, DatabaseUrl, DbPool, QueryCounter};
use blog_api::domain::clock::Clock;
use blog_api::jobs::{sync_once, SyncReport};
use blog_api::service::clicks::ClickCounter;
use blog_api::service::import::{plan_from_json, ImportReport};
use blog_api::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// Which database a test runs against.
#[derive(Debug, Clone, Copy)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// A browser's User-Agent: requests with it count as views (the default client sends none, so reads made
/// to check content do not count).
pub const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";

/// An HTTP client that drops idle connections before the server's 5 s keep-alive closes them (a request
/// sent on a connection the server is closing at that instant fails in any HTTP/1.1 client).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(1))
        .build()
        .expect("an HTTP client")
}

/// The Redis the PostgreSQL half of the suite uses, each test under a key prefix of its own.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| String::from("redis://127.0.0.1:6379"))
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| String::from("postgres://postgres@127.0.0.1:5432/postgres"))
}

/// CI sets this (or `CI`): PostgreSQL tests then fail instead of being skipped when it is not there.
pub fn postgres_required() -> bool {
    std::env::var_os("BLOG_API_REQUIRE_POSTGRES").is_some() || std::env::var_os("CI").is_some()
}

/// A database of one test's own (and, with PostgreSQL, a Redis key prefix of its own); a PostgreSQL
/// database is dropped and the Redis keys deleted when this is.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    pub redis: Option<RedisSettings>,
    /// The media store's directory (`MEDIA_STORE=file://...`), shared by the instances on this database.
    pub media: tempfile::TempDir,
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    /// `None` (after saying so on the terminal) when PostgreSQL is wanted but not reachable.
    pub fn create(backend: TestBackend) -> Option<Self> {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let path = dir.path().join("blog.db");
                Some(TestDatabase {
                    url: DatabaseUrl::Sqlite(path.display().to_string()),
                    redis: None,
                    media: tempfile::tempdir().expect("temporary directory"),
                    _dir: Some(dir),
                    postgres_name: None,
                })
            }
            TestBackend::Postgres => {
                blog_api::db::init_tls();
                let admin_url = postgres_admin_url();
                let mut admin = match PgConnection::establish(&admin_url) {
                    Ok(admin) => admin,
                    Err(error) if !postgres_required() => {
                        skip_notice(&admin_url, &error);
                        return None;
                    }
                    Err(error) => panic!(
                        "PostgreSQL is required here (CI or BLOG_API_REQUIRE_POSTGRES) but \
                         {admin_url} refused: {error}"
                    ),
                };
                if let Err(error) = redis_connection() {
                    if !postgres_required() {
                        skip_notice(&redis_url(), &error);
                        return None;
                    }
                    panic!(
                        "Redis is required here but {} refused: {error}",
                        redis_url()
                    );
                }
                let name = format!("blog_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create the test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Some(TestDatabase {
                    url: DatabaseUrl::parse(url.as_str()).expect("a postgres URL"),
                    redis: Some(RedisSettings {
                        endpoint: RedisEndpoint::Single(redis_url()),
                        key_prefix: format!("test-{}", uuid::Uuid::new_v4().simple()),
                        timeout: Duration::from_millis(500),
                        click_id_ttl: Duration::from_secs(900),
                    }),
                    media: tempfile::tempdir().expect("temporary directory"),
                    _dir: None,
                    postgres_name: Some(name),
                })
            }
        }
    }
}

fn redis_connection() -> Result<redis::Connection, redis::RedisError> {
    redis::Client::open(redis_url())?.get_connection_with_timeout(Duration::from_secs(2))
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let (Some(redis), Ok(mut connection)) = (&self.redis, redis_connection()) {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}:*", redis.key_prefix))
                .query(&mut connection)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query(&mut connection);
            }
        }
        if let Some(name) = &self.postgres_name {
            if let Ok(mut admin) = PgConnection::establish(&postgres_admin_url()) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Says once per test binary, straight to the terminal (past the test harness's capture), that the
/// PostgreSQL half of the suite did not run.
fn skip_notice(url: &str, error: &dyn std::fmt::Display) {
    static NOTICE: Once = Once::new();
    NOTICE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\nSKIPPED: PostgreSQL tests, because {url} is not reachable ({error}).\n\
             Start PostgreSQL and Redis, or set TEST_DATABASE_URL and TEST_REDIS_URL; CI sets\n\
             BLOG_API_REQUIRE_POSTGRES=1 so they never skip.\n"
        );
    });
}

/// How a test's server is configured beyond its database.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Default one hour: the sync actor stays out of the way unless a test asks for it.
    pub sync_interval: Duration,
    pub clicks_on_get: bool,
    pub comments_per_minute: u32,
    pub cors_origins: blog_api::config::CorsOrigins,
    /// Another way to the test's database (through a proxy, say).
    pub database_url: Option<DatabaseUrl>,
    /// Another Redis than the test's own prefix on the shared one.
    pub redis: Option<RedisSettings>,
    /// The instant requests are served at (default: the system clock).
    pub clock: Clock,
    /// `DATABASE_STATEMENT_TIMEOUT_MS` (default 5 s) and `CLICK_SYNC_DEADLINE_MS` (default 60 s).
    pub statement_timeout: Duration,
    pub sync_deadline: Duration,
    /// `TRUSTED_PROXIES` (default none) and `FORWARDED_HEADER` (default `x-forwarded-for`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub forwarded_header: blog_api::config::ForwardedHeader,
    /// `BIND` (default `127.0.0.1:0`).
    pub bind: String,
    /// `CONTENT_CACHE_MAX_STALENESS_MS` (default 3 s).
    pub content_cache_max_staleness: Duration,
    /// `RATE_LIMIT_VIEWS_PER_MINUTE` (default a million: load tests view from one address).
    pub views_per_minute: u32,
    /// `RATE_LIMIT_CLICKS_PER_MINUTE` (default 1,000).
    pub beacon_clicks_per_minute: u32,
    /// `CONTENT_CACHE_BYTES` (default 64 MiB, as in production).
    pub content_cache_bytes: u64,
    /// Feeds and sitemaps (default: as with no variable set).
    pub site: blog_api::config::SiteSettings,
    /// Webhook delivery (default: as in production, but polling once an hour, so the worker stays out of
    /// the way unless a test asks for it, and with loopback receivers allowed).
    pub webhooks: blog_api::config::WebhookSettings,
    /// Preview links (default: as with no variable set).
    pub previews: blog_api::config::PreviewSettings,
    /// Media (default: as with no variable set, the files in the test database's own directory).
    pub media: Option<blog_api::config::MediaSettings>,
    /// `SSE_MAX_STREAMS` (default 10,000).
    pub sse_max_streams: usize,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            sync_interval: Duration::from_secs(3600),
            clicks_on_get: true,
            comments_per_minute: 1000,
            cors_origins: blog_api::config::CorsOrigins::Any,
            database_url: None,
            redis: None,
            clock: Clock::system(),
            statement_timeout: Duration::from_secs(5),
            sync_deadline: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
            forwarded_header: blog_api::config::ForwardedHeader::XForwardedFor,
            content_cache_max_staleness: Duration::from_secs(3),
            bind: String::from("127.0.0.1:0"),
            views_per_minute: 1_000_000,
            beacon_clicks_per_minute: 1000,
            content_cache_bytes: 64 << 20,
            site: Settings::from_lookup(|_| None)
                .expect("the default settings")
                .site,
            previews: Settings::from_lookup(|_| None)
                .expect("the default settings")
                .previews,
            media: None,
            sse_max_streams: 10_000,
            webhooks: blog_api::config::WebhookSettings {
                poll_interval: Duration::from_secs(3600),
                // Should that hourly poll fall inside a test, its receivers on loopback are reachable.
                allow_private: true,
                ..blog_api::config::WebhookSettings::default()
            },
        }
    }
}

/// A running server on its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: DbPool,
    pub queries: QueryCounter,
    pub clicks: ClickCounter,
    /// The server's content cache: [`TestApp::import`] drops it, as an editor's write through the API would.
    pub content: Arc<blog_api::service::content::ContentCache>,
    pub backend: TestBackend,
    pub database: Arc<TestDatabase>,
    server: Option<(
        blog_api::startup::StopHandle,
        actix_web::rt::task::JoinHandle<std::io::Result<()>>,
    )>,
}

impl TestApp {
    pub async fn spawn(backend: TestBackend) -> Option<TestApp> {
        Self::spawn_with(backend, TestOptions::default()).await
    }

    pub async fn spawn_with(backend: TestBackend, options: TestOptions) -> Option<TestApp> {
        let database = Arc::new(TestDatabase::create(backend)?);
        Some(Self::start(backend, database, options).await)
    }

    /// Another instance on the same database and Redis (PostgreSQL only: the in-process cache is per
    /// process), as a second API server behind a load balancer.
    pub async fn another_instance(&self, options: TestOptions) -> TestApp {
        Self::start(self.backend, self.database.clone(), options).await
    }

    async fn start(
        backend: TestBackend,
        database: Arc<TestDatabase>,
        options: TestOptions,
    ) -> TestApp {
        let settings = Settings {
            database_url: options.database_url.unwrap_or_else(|| database.url.clone()),
            database_pool_size: std::num::NonZeroU32::new(8).expect("non-zero"),
            database_statement_timeout: options.statement_timeout,
            bind: options.bind.clone(),
            redis: options.redis.or_else(|| database.redis.clone()),
            click_sync_interval: options.sync_interval,
            click_sync_deadline: options.sync_deadline,
            click_ledger_retention: Duration::from_secs(7 * 86_400),
            click_stats_retention: Duration::from_secs(400 * 86_400),
            clicks_on_get: options.clicks_on_get,
            max_body_bytes: 256 * 1024,
            cache_max_age: 0,
            trusted_proxies: options.trusted_proxies.clone(),
            cache_stale_while_revalidate: 0,
            cors_origins: options.cors_origins.clone(),
            comments_per_minute: std::num::NonZeroU32::new(options.comments_per_minute)
                .expect("a rate of at least one a minute"),
            beacon_clicks_per_minute: std::num::NonZeroU32::new(options.beacon_clicks_per_minute)
                .expect("a rate of at least one a minute"),
            views_per_minute: std::num::NonZeroU32::new(options.views_per_minute)
                .expect("a rate of at least one a minute"),
            log_format: blog_api::config::LogFormat::Text,
            log_client_ip: false,
            content_cache_bytes: options.content_cache_bytes,
            site: options.site.clone(),
            webhooks: options.webhooks,
            previews: options.previews.clone(),
            media: options.media.clone().unwrap_or_else(|| {
                blog_api::config::MediaSettings::in_directory(database.media.path().to_path_buf())
            }),
            post_revisions_keep: 50,
            sse_max_streams: options.sse_max_streams,
            shutdown_timeout: Duration::from_secs(8),
            forwarded_header: options.forwarded_header,
            content_cache_max_staleness: options.content_cache_max_staleness,
        };
        let app = Application::build_with_clock(settings, options.clock.clone())
            .await
            .expect("the application starts");
        let address = app.url();
        let pool = app.pool().clone();
        let queries = app.query_counter().clone();
        let clicks = app.clicks().clone();
        let content = app.content().clone();
        let handle = app.handle();
        let server = actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: http_client(),
            pool,
            queries,
            clicks,
            content,
            backend,
            database,
            server: Some((handle, server)),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the server answers")
    }

    /// GET that must answer 200 with JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("a JSON body")
    }

    /// GET as a browser would (it counts as a view).
    pub async fn view(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header("User-Agent", BROWSER)
            .send()
            .await
            .expect("the server answers")
    }

    /// One pass of the click sync, as the actor runs it.
    pub async fn sync(&self) -> SyncReport {
        sync_once(
            &self.pool,
            self.clicks.cache().as_ref(),
            Duration::from_secs(7 * 86_400),
        )
        .await
        .expect("the sync succeeds")
    }

    /// Stops the server as SIGTERM would, waiting for in-flight requests and the final sync.
    pub async fn stop(&mut self) {
        if let Some((handle, server)) = self.server.take() {
            handle.stop(true).await;
            let _ = server.await;
        }
    }

    /// Imports a blog in the import file format, as `blog-api import` does.
    pub async fn import(&self, json: &str) -> ImportReport {
        let plan = plan_from_json(json).expect("a valid import file");
        let mut conn = self.pool.get().expect("a connection");
        let report = db::import::apply(&mut conn, &plan, chrono::Utc::now().naive_utc())
            .expect("the import applies");
        // The watcher sees the new content version within 200 ms and drops the cache: wait for it, so that
        // what the test reads next is kept (the watcher's own look would drop it otherwise; observing the
        // version here instead races a look the watcher began before the import).
        let version = db::content::version(&mut conn).expect("the content version");
        drop(conn);
        if self.content.version().is_some() {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while self.content.version() != Some(version) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the watcher saw content version {version}"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        report
    }

    /// A counter of this server's `/metrics` (without the `blog_api_` prefix).
    pub async fn metric(&self, name: &str) -> i64 {
        let text = self.get("/metrics").await.text().await.expect("metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("blog_api_{name} ")))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    }

    /// The click count the database holds for a post (what was synced).
    pub fn synced_clicks(&self, post_id: i64) -> i64 {
        use blog_api::db::schema::post_counters;
        use diesel::prelude::*;
        let mut conn = self.pool.get().expect("a connection");
        post_counters::table
            .find(post_id)
            .select(post_counters::clicks)
            .first(&mut conn)
            .optional()
            .expect("a counter query")
            .unwrap_or(0)
    }
}

/// Generates `mod sqlite` and `mod postgres`, each with one `#[actix_web::test]` per named
/// `async fn name(app: TestApp)` of the calling module.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $test() {
                    let backend = $crate::helpers::TestBackend::Sqlite;
                    if let Some(app) = $crate::helpers::TestApp::spawn(backend).await {
                        super::$test(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $test() {
                    let backend = $crate::helpers::TestBackend::Postgres;
                    if let Some(app) = $crate::helpers::TestApp::spawn(backend).await {
                        super::$test(app).await;
                    }
                }
            )*
        }
    };
}

/// Generates `mod sqlite` and `mod postgres`, each with one `#[actix_web::test]` per named
/// `async fn name(backend: TestBackend)` of the calling module (for tests that start their own app).
#[macro_export]
macro_rules! with_each_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $test() {
                    super::$test($crate::helpers::TestBackend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $test() {
                    super::$test($crate::helpers::TestBackend::Postgres).await;
                }
            )*
        }
    };
}

/// The `blog-api` binary serving a test's database on a free port, its log in a file.
pub struct BinaryServer {
    pub base: String,
    child: std::process::Child,
    log: tempfile::NamedTempFile,
}

impl BinaryServer {
    /// Starts it (no Redis: the in-process cache) with `RUST_LOG=rust_log` and waits until it answers.
    pub async fn start(database: &DatabaseUrl, rust_log: &str) -> BinaryServer {
        Self::start_with(database, rust_log, &[]).await
    }

    /// The same, with more environment variables.
    pub async fn start_with(
        database: &DatabaseUrl,
        rust_log: &str,
        env: &[(&str, &str)],
    ) -> BinaryServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_blog-api"))
            .env("DATABASE_URL", database.to_string())
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", rust_log)
            .env_remove("REDIS_URL")
            .env_remove("REDIS_CLUSTER_URLS")
            .env_remove("LOG_FORMAT")
            .env_remove("LOG_CLIENT_IP")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(log.reopen().expect("the log file"))
            .spawn()
            .expect("the binary starts");
        let base = format!("http://127.0.0.1:{port}");
        let client = http_client();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while client.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the server never answered"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        BinaryServer { base, child, log }
    }

    /// SIGKILL: the process dies at once, as in a crash (nothing runs on the way out).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` (as `docker stop` does): how long it took,
    /// whether it exited by itself, and the whole log.
    pub fn stop_within(mut self, grace: Duration) -> (Duration, bool, String) {
        let started = std::time::Instant::now();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let mut by_itself = false;
        while started.elapsed() < grace {
            if let Ok(Some(_)) = self.child.try_wait() {
                by_itself = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !by_itself {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let log = std::fs::read_to_string(self.log.path()).expect("the log");
        (started.elapsed(), by_itself, log)
    }

    /// SIGTERM, wait, and the whole log.
    pub fn stop_and_read_log(mut self) -> String {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        std::fs::read_to_string(self.log.path()).expect("the log")
    }
}
