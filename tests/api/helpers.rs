//! Test harness: every test gets its own database (a fresh SQLite file, or a fresh PostgreSQL database that
//! is dropped afterwards) and its own server on a free port.

use std::io::Write;
use std::sync::Once;

use blog_api::config::Settings;
use blog_api::db::{self, DatabaseUrl, DbPool, QueryCounter};
use blog_api::import::{plan_from_json, ImportReport};
use blog_api::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// Which database a test runs against.
#[derive(Debug, Clone, Copy)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| String::from("postgres://postgres@127.0.0.1:5432/postgres"))
}

/// CI sets this (or `CI`): PostgreSQL tests then fail instead of being skipped when it is not there.
fn postgres_required() -> bool {
    std::env::var_os("BLOG_API_REQUIRE_POSTGRES").is_some() || std::env::var_os("CI").is_some()
}

/// A database of one test's own; a PostgreSQL one is dropped when this is.
pub struct TestDatabase {
    pub url: DatabaseUrl,
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
                    _dir: Some(dir),
                    postgres_name: None,
                })
            }
            TestBackend::Postgres => {
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
                let name = format!("blog_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create the test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Some(TestDatabase {
                    url: DatabaseUrl::parse(url.as_str()).expect("a postgres URL"),
                    _dir: None,
                    postgres_name: Some(name),
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
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
             Start PostgreSQL or set TEST_DATABASE_URL; CI sets BLOG_API_REQUIRE_POSTGRES=1 so they never skip.\n"
        );
    });
}

/// A running server on its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: DbPool,
    pub queries: QueryCounter,
    pub backend: TestBackend,
    pub database: TestDatabase,
}

impl TestApp {
    pub async fn spawn(backend: TestBackend) -> Option<TestApp> {
        let database = TestDatabase::create(backend)?;
        let settings = Settings {
            database_url: database.url.clone(),
            database_pool_size: std::num::NonZeroU32::new(4).expect("non-zero"),
            bind: String::from("127.0.0.1:0"),
        };
        let app = Application::build(settings)
            .await
            .expect("the application starts");
        let address = app.url();
        let pool = app.pool().clone();
        let queries = app.query_counter().clone();
        actix_web::rt::spawn(app.run_until_stopped());
        Some(TestApp {
            address,
            client: reqwest::Client::new(),
            pool,
            queries,
            backend,
            database,
        })
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

    /// Imports a blog in the import file format, as `blog-api import` does.
    pub fn import(&self, json: &str) -> ImportReport {
        let plan = plan_from_json(json).expect("a valid import file");
        let mut conn = self.pool.get().expect("a connection");
        db::import::apply(&mut conn, &plan, chrono::Utc::now().naive_utc())
            .expect("the import applies")
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
