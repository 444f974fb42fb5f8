//! Settings: read once from the environment (and `.env`), then passed around as a value.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::cache::RedisSettings;
use crate::db::{DatabaseUrl, InvalidDatabaseUrl};

mod read;
mod sections;
#[cfg(test)]
mod tests;

use read::{flag, invalid, millis, parse_duration, per_minute, redis_endpoint, whole};
use sections::{media_settings, preview_settings, site_settings, webhook_settings};

/// Everything the service is configured by. Tests build one directly.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://PATH` or `postgres://...`. Default `sqlite://blog.db`.
    pub database_url: DatabaseUrl,
    /// `DATABASE_POOL_SIZE`: connections kept per instance. Default 10.
    pub database_pool_size: NonZeroU32,
    /// `DATABASE_STATEMENT_TIMEOUT_MS`: the longest one database call may take, and PostgreSQL's
    /// `statement_timeout` on pooled connections; past it a request gets 503. Default 5000.
    pub database_statement_timeout: Duration,
    /// `BIND`: the address to listen on, `HOST:PORT` (port 0 picks a free one). Default `127.0.0.1:8080`.
    pub bind: String,
    /// `REDIS_URL` or `REDIS_CLUSTER_URLS` (with `REDIS_KEY_PREFIX`, `REDIS_TIMEOUT_MS`): the click cache.
    /// Unset: the in-process cache.
    pub redis: Option<RedisSettings>,
    /// `CLICK_SYNC_INTERVAL_MS`: how often buffered clicks move to the database. Default 5000.
    pub click_sync_interval: Duration,
    /// `CLICK_SYNC_DEADLINE_MS`: a sync pass still running after this is abandoned (safe at any point, like a
    /// crash) so that later passes run. Default 60000.
    pub click_sync_deadline: Duration,
    /// `CLICK_LEDGER_RETENTION`: how long applied batch ids are remembered. Default 7 days.
    pub click_ledger_retention: Duration,
    /// `CLICK_STATS_RETENTION`: how long clicks are kept by the hour before being rolled up into days.
    /// Default 400 days.
    pub click_stats_retention: Duration,
    /// `CLICKS_ON_GET`: whether reading a post counts a click (else only `POST /posts/{id}/clicks`). Default true.
    pub clicks_on_get: bool,
    /// `MAX_BODY_BYTES`: the largest request body accepted (413 beyond). Default 1 MiB.
    pub max_body_bytes: usize,
    /// `RATE_LIMIT_COMMENTS_PER_MINUTE`: comments one client IP may post per minute. Default 5.
    pub comments_per_minute: NonZeroU32,
    /// `CORS_ORIGINS`: origins allowed to call the API from a browser, comma-separated, or `*` (the
    /// default: tokens travel in a header, never in cookies, so any origin is safe).
    pub cors_origins: CorsOrigins,
    /// `TRUSTED_PROXIES`: comma-separated addresses or CIDRs of the proxies in front of the API; from them
    /// `Forwarded` / `X-Forwarded-For` name the client. Default none: the TCP peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `CACHE_MAX_AGE` and `CACHE_STALE_WHILE_REVALIDATE` (seconds): `Cache-Control` of public reads.
    /// Default 0 and 0: clients revalidate every time (cheaply, with `If-None-Match`), so counts stay fresh.
    pub cache_max_age: u32,
    pub cache_stale_while_revalidate: u32,
    /// `RATE_LIMIT_CLICKS_PER_MINUTE`: beacon calls one client IP may make per minute. Default 120.
    pub beacon_clicks_per_minute: NonZeroU32,
    /// `RATE_LIMIT_VIEWS_PER_MINUTE`: counted views one client IP may make per minute; beyond it a view is
    /// served but not counted. Default 600.
    pub views_per_minute: NonZeroU32,
    /// `LOG_FORMAT`: `text` (default) or `json` (one object per line).
    pub log_format: LogFormat,
    /// `LOG_CLIENT_IP`: whether the request log line names the client's address. Default false.
    pub log_client_ip: bool,
    /// `CONTENT_CACHE_BYTES`: the most memory (about) the content cache of posts and list pages may take;
    /// 0 turns it off. Default 64 MiB.
    pub content_cache_bytes: u64,
    /// Feeds and the sitemap (README "Feeds and sitemap").
    pub site: SiteSettings,
    /// Webhook deliveries (README "Webhooks").
    pub webhooks: WebhookSettings,
    /// Preview links (README "Preview links").
    pub previews: PreviewSettings,
    /// Media uploads and where their files go (README "Media").
    pub media: MediaSettings,
    /// `POST_REVISIONS_KEEP`: the newest revisions each post keeps (1 to 1000, default 50).
    pub post_revisions_keep: i64,
    /// `SSE_MAX_STREAMS`: event streams (`/posts/{id}/live`, `/events`) one instance keeps open at once;
    /// past it a new one is answered 503 with `Retry-After`. Default 10000.
    pub sse_max_streams: usize,
    /// `SHUTDOWN_TIMEOUT_MS`: how long a stop (SIGTERM, Ctrl-C) may take in all: the final click sync,
    /// requests under way, webhook attempts under way. Default 8000 (under Docker's 10 s and Kubernetes' 30 s
    /// grace periods).
    pub shutdown_timeout: Duration,
    /// `FORWARDED_HEADER`: the one header the trusted proxies set to name the client, `x-forwarded-for`
    /// (default) or `forwarded`; the other is ignored.
    pub forwarded_header: ForwardedHeader,
    /// `CONTENT_CACHE_MAX_STALENESS_MS`: the longest an instance serves content from memory without a
    /// successful check of the content version; past it reads go to the database until a check succeeds.
    /// Default 3000.
    pub content_cache_max_staleness: Duration,
}

/// The header trusted proxies name the client in (`FORWARDED_HEADER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For`, which the common proxies and load balancers append to.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=...`.
    Forwarded,
}

/// How webhooks are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `WEBHOOKS_ALLOW_PRIVATE`: whether targets may be loopback, private or link-local addresses (or names
    /// resolving to them). Default false: no request forgery into the operator's network.
    pub allow_private: bool,
    /// `WEBHOOK_RETRY_BASE_MS`: the wait before the first retry; it doubles per failure, up to an hour.
    /// Default 2000.
    pub retry_base: Duration,
    /// `WEBHOOK_MAX_AGE`: how long a delivery is retried before it is given up. Default 24h.
    pub max_age: Duration,
    /// `WEBHOOK_TIMEOUT_MS`: the longest one attempt may take, connection to answer. Default 10000. A
    /// delivery whose worker died is claimed again 2 x this + 5 s after it was claimed.
    pub timeout: Duration,
    /// `WEBHOOK_POLL_INTERVAL_MS`: how often each instance looks for due deliveries and for scheduled posts
    /// whose time has come. Default 1000.
    pub poll_interval: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            retry_base: Duration::from_secs(2),
            max_age: Duration::from_secs(86_400),
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl WebhookSettings {
    /// How long a claim on a delivery holds: an attempt ends (by the time-out) well within it.
    pub fn claim_lease(&self) -> Duration {
        self.timeout.saturating_mul(2) + Duration::from_secs(5)
    }
}

/// Preview links (README "Preview links").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewSettings {
    /// `PREVIEW_LINK_TTL`: the default and longest life of a preview link. Default 7 days.
    pub ttl: Duration,
    /// `PREVIEW_URL_PATTERN`: where a reviewer opens a preview, an http(s) URL with `{token}` (a frontend page
    /// that reads `GET /preview/{token}`, say). Default: this API's own `/preview/{token}`.
    pub url_pattern: Option<String>,
}

/// Media uploads (README "Media").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSettings {
    /// `MEDIA_STORE`: `file://PATH` (default `file://./media`) or `s3://BUCKET` (with `MEDIA_S3_ENDPOINT`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`).
    pub store: crate::media::StoreLocation,
    /// `MEDIA_PUBLIC_URL`: where the files are served from (a CDN, or the bucket). Unset: this API's
    /// `/media/files`.
    pub public_url: Option<String>,
    /// `MEDIA_MAX_BYTES`: the largest upload (413 beyond, before the body is all read). Default 20 MiB.
    pub max_bytes: usize,
    /// `MEDIA_MAX_PIXELS` and `MEDIA_WIDTHS` (default 50,000,000 and 320,640,1024,1600).
    pub rules: crate::media::Rules,
    /// `MEDIA_TIMEOUT_MS`: the longest one request to a bucket may take. Default 30000.
    pub timeout: Duration,
    /// `MEDIA_WORKERS`: images made at once, each on a thread of its own. Unset: one per core.
    pub workers: usize,
    /// `MEDIA_WORKER_NICE`: how those threads are scheduled: `idle` (default: Linux's idle class, readers
    /// first) or a niceness from 0 to 19.
    pub worker_priority: crate::media::WorkerPriority,
}

impl MediaSettings {
    pub const DEFAULT_STORE: &'static str = "file://./media";

    /// The defaults, with files in `directory` (tests).
    pub fn in_directory(directory: std::path::PathBuf) -> Self {
        MediaSettings {
            store: crate::media::StoreLocation::Directory(directory),
            public_url: None,
            max_bytes: 20 << 20,
            rules: crate::media::Rules {
                max_pixels: 50_000_000,
                widths: vec![320, 640, 1024, 1600],
            },
            timeout: Duration::from_secs(30),
            workers: cores(),
            worker_priority: crate::media::WorkerPriority::Idle,
        }
    }
}

/// The cores this process may run on (1 when that cannot be told).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Where the blog's pages are and how much feeds and sitemaps hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    /// `SITE_URL`: the base of every link in feeds and sitemaps (`https://blog.example.com`). Unset: the
    /// request's `Host` over `http`, fine for trying it, not for production.
    pub url: Option<String>,
    /// `SITE_TITLE`: the feeds' title. Default `Blog`.
    pub title: String,
    /// `POST_URL_PATTERN`: a post's page, with `{slug}` and/or `{id}`. Default `/posts/{slug}`.
    pub post_url_pattern: String,
    /// `CATEGORY_URL_PATTERN`, `TAG_URL_PATTERN`: taxonomy pages, with `{slug}`. Defaults
    /// `/categories/{slug}` and `/tags/{slug}`.
    pub category_url_pattern: String,
    pub tag_url_pattern: String,
    /// `AUTHOR_URL_PATTERN`: an author's page, with `{slug}`. Unset: the sitemap lists no author pages, and
    /// an author's feed links to the blog's home.
    pub author_url_pattern: Option<String>,
    /// `FEED_ITEMS`: posts per feed, 1 to 100. Default 20.
    pub feed_items: u32,
    /// `SITEMAP_MAX_URLS`: URLs per sitemap file before it splits into an index, 1 to 50,000 (the
    /// protocol's limit). Default 50,000.
    pub sitemap_max_urls: u32,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, with the request's span fields (`request_id`, `route`...).
    Json,
}

/// Which browser origins may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    /// Exact origins, like `https://blog.example.com`.
    List(Vec<String>),
}

/// A setting that is present but unusable; the message names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    DatabaseUrl(#[from] InvalidDatabaseUrl),
    #[error("{name} must be {expected}, got `{value}`")]
    Invalid {
        name: &'static str,
        expected: String,
        value: String,
    },
}

impl Settings {
    pub const DEFAULT_DATABASE_URL: &'static str = "sqlite://blog.db";
    pub const DEFAULT_BIND: &'static str = "127.0.0.1:8080";

    /// Reads the process environment (after `.env`, which never overrides a variable already set).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported by the variables it leaves unset.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any variable source (the environment, or a map in tests).
    #[expect(
        clippy::too_many_lines,
        reason = "one section after another, each a few lines; splitting them would scatter one reading"
    )]
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = lookup("DATABASE_URL")
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| Self::DEFAULT_DATABASE_URL.to_owned());
        let database_pool_size = match lookup("DATABASE_POOL_SIZE") {
            None => NonZeroU32::MIN.saturating_add(9),
            Some(value) => value
                .parse::<NonZeroU32>()
                .ok()
                .filter(|size| size.get() <= 1000)
                .ok_or(ConfigError::Invalid {
                    name: "DATABASE_POOL_SIZE",
                    expected: String::from("an integer from 1 to 1000"),
                    value,
                })?,
        };
        let bind = lookup("BIND").unwrap_or_else(|| Self::DEFAULT_BIND.to_owned());
        if !bind.contains(':') {
            return Err(ConfigError::Invalid {
                name: "BIND",
                expected: String::from("HOST:PORT"),
                value: bind,
            });
        }
        let endpoint = redis_endpoint(&lookup)?;
        let redis = match endpoint {
            None => None,
            Some(endpoint) => {
                let key_prefix = lookup("REDIS_KEY_PREFIX").unwrap_or_else(|| String::from("blog"));
                if key_prefix.is_empty() || key_prefix.contains(['{', '}', ' ']) {
                    return Err(invalid(
                        "REDIS_KEY_PREFIX",
                        "non-empty, without braces or spaces",
                        key_prefix,
                    ));
                }
                let timeout = millis(&lookup, "REDIS_TIMEOUT_MS", 500, 1..=60_000)?;
                let click_id_ttl =
                    millis(&lookup, "CLICK_ID_TTL_MS", 900_000, 10_000..=86_400_000)?;
                Some(RedisSettings {
                    endpoint,
                    key_prefix,
                    timeout,
                    click_id_ttl,
                })
            }
        };
        let click_sync_interval = millis(&lookup, "CLICK_SYNC_INTERVAL_MS", 5000, 10..=3_600_000)?;
        let click_sync_deadline =
            millis(&lookup, "CLICK_SYNC_DEADLINE_MS", 60_000, 100..=3_600_000)?;
        let database_statement_timeout = millis(
            &lookup,
            "DATABASE_STATEMENT_TIMEOUT_MS",
            5000,
            100..=600_000,
        )?;
        let click_ledger_retention = match lookup("CLICK_LEDGER_RETENTION") {
            None => Duration::from_secs(7 * 24 * 3600),
            Some(value) => parse_duration(&value)
                .filter(|retention| *retention >= Duration::from_secs(60))
                .ok_or_else(|| {
                    invalid(
                        "CLICK_LEDGER_RETENTION",
                        "a duration of at least 1m, like 7d, 12h or 90m",
                        value,
                    )
                })?,
        };
        let click_stats_retention = match lookup("CLICK_STATS_RETENTION") {
            None => Duration::from_secs(400 * 86_400),
            Some(value) => parse_duration(&value)
                .filter(|retention| *retention >= Duration::from_secs(86_400))
                .ok_or_else(|| {
                    invalid(
                        "CLICK_STATS_RETENTION",
                        "a duration of at least 1d, like 400d or 90d",
                        value,
                    )
                })?,
        };
        let clicks_on_get = flag(&lookup, "CLICKS_ON_GET", true)?;
        let log_client_ip = flag(&lookup, "LOG_CLIENT_IP", false)?;
        let log_format = match lookup("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(invalid("LOG_FORMAT", "text or json", other.to_owned())),
        };
        let views_per_minute =
            per_minute(&lookup, "RATE_LIMIT_VIEWS_PER_MINUTE", 600, 1_000_000_000)?;
        let content_cache_bytes = whole(&lookup, "CONTENT_CACHE_BYTES", 64 << 20, 0..=(64 << 30))?;
        let site = site_settings(&lookup)?;
        let webhooks = webhook_settings(&lookup)?;
        let previews = preview_settings(&lookup)?;
        let media = media_settings(&lookup)?;
        let post_revisions_keep = whole(&lookup, "POST_REVISIONS_KEEP", 50, 1..=1000)?;
        let sse_max_streams = whole(&lookup, "SSE_MAX_STREAMS", 10_000, 1..=1_000_000)?;
        let max_body_bytes = whole(&lookup, "MAX_BODY_BYTES", 1 << 20, 1024..=(64 << 20))?;
        let comments_per_minute =
            per_minute(&lookup, "RATE_LIMIT_COMMENTS_PER_MINUTE", 5, 100_000)?;
        let beacon_clicks_per_minute =
            per_minute(&lookup, "RATE_LIMIT_CLICKS_PER_MINUTE", 120, 1_000_000)?;
        let trusted_proxies = match lookup("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(|entry| {
                    entry
                        .parse::<ipnet::IpNet>()
                        .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    invalid(
                        "TRUSTED_PROXIES",
                        "addresses or CIDRs, comma-separated, like 10.0.0.0/8,::1",
                        list.clone(),
                    )
                })?,
        };
        let forwarded_header = match lookup("FORWARDED_HEADER")
            .map(|value| value.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("x-forwarded-for") => ForwardedHeader::XForwardedFor,
            Some("forwarded") => ForwardedHeader::Forwarded,
            Some(other) => {
                return Err(invalid(
                    "FORWARDED_HEADER",
                    "x-forwarded-for or forwarded",
                    other.to_owned(),
                ))
            }
        };
        let shutdown_timeout = millis(&lookup, "SHUTDOWN_TIMEOUT_MS", 8000, 100..=600_000)?;
        let content_cache_max_staleness = millis(
            &lookup,
            "CONTENT_CACHE_MAX_STALENESS_MS",
            3000,
            100..=3_600_000,
        )?;
        let cache_max_age = whole(&lookup, "CACHE_MAX_AGE", 0, 0..=31_536_000)?;
        let cache_stale_while_revalidate =
            whole(&lookup, "CACHE_STALE_WHILE_REVALIDATE", 0, 0..=31_536_000)?;
        let cors_origins = match lookup("CORS_ORIGINS").as_deref().map(str::trim) {
            None | Some("*") => CorsOrigins::Any,
            Some(list) => {
                let origins: Vec<String> = list
                    .split(',')
                    .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                    .collect();
                let valid = |origin: &String| {
                    (origin.starts_with("http://") || origin.starts_with("https://"))
                        && !origin.contains(['*', ' '])
                };
                if origins.is_empty() || !origins.iter().all(valid) {
                    return Err(invalid(
                        "CORS_ORIGINS",
                        "`*` or origins like https://blog.example.com, comma-separated",
                        list.to_owned(),
                    ));
                }
                CorsOrigins::List(origins)
            }
        };
        Ok(Settings {
            cors_origins,
            max_body_bytes,
            cache_max_age,
            cache_stale_while_revalidate,
            trusted_proxies,
            comments_per_minute,
            beacon_clicks_per_minute,
            database_url: DatabaseUrl::parse(&database_url)?,
            database_pool_size,
            database_statement_timeout,
            bind,
            redis,
            click_sync_interval,
            click_sync_deadline,
            click_ledger_retention,
            click_stats_retention,
            clicks_on_get,
            views_per_minute,
            log_format,
            log_client_ip,
            content_cache_bytes,
            site,
            webhooks,
            previews,
            media,
            post_revisions_keep,
            sse_max_streams,
            shutdown_timeout,
            forwarded_header,
            content_cache_max_staleness,
        })
    }
}
