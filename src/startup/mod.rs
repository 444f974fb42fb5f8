//! Builds the running service from [`Settings`]: database ready, listener bound (port 0 in tests), server made.

use std::net::TcpListener;
use std::sync::Arc;

use actix::{Actor, Addr};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Compress, ErrorHandlers};
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::cache::{CacheBackend, CacheError, MemoryClickCache, RedisClickCache};
use crate::config::{CorsOrigins, Settings};
use crate::db::{self, DbError, DbPool, QueryCounter};
use crate::domain::clock::{Clock, Clocks};
use crate::domain::cursor::CursorKey;
use crate::domain::seo::PostPages;
use crate::error::problem_for_bare_errors;
use crate::jobs::{ClickSyncActor, FinalSync, SyncSchedule, WebhookWorker};
use crate::routes::client_ip::ClientAddresses;
use crate::routes::{self, AppState, HttpSettings};
use crate::service::authors::Authors;
use crate::service::clicks::{ClickCounter, Clicks, ViewPolicy, Visitors};
use crate::service::comments::Comments;
use crate::service::content::ContentCache;
use crate::service::feeds::Feeds;
use crate::service::health::Health;
use crate::service::posts::{PostSettings, Posts};
use crate::service::previews::Previews;
use crate::service::rate_limits::{Limiter, Rates};
use crate::service::stats::Stats;
use crate::service::taxonomy::Terms;
use crate::service::tokens::Tokens;
use crate::service::webhooks::Webhooks;

mod shutdown;

use crate::service::live::{LiveCounts, LiveEvents, Streams};
use shutdown::{stop_signal, sync_before, LOG_RESERVE};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] db::ConnectError),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error("the click cache cannot be set up: {0}")]
    Cache(#[from] CacheError),
    #[error(transparent)]
    WebhookClient(#[from] crate::jobs::webhook_delivery::ClientError),
    #[error("start-up was interrupted: {0}")]
    Interrupted(String),
    #[error(transparent)]
    MediaStore(#[from] crate::media::StoreError),
    #[error("the image workers cannot be started: {0}")]
    MediaWorkers(std::io::Error),
}

/// The content cache, starting from the content version the database holds now, with what keeps it fresh:
/// a listener on PostgreSQL, a watcher polling the version on SQLite.
async fn content_cache(
    settings: &Settings,
    pool: &DbPool,
    metrics: &Arc<crate::metrics::Metrics>,
) -> Result<Arc<ContentCache>, StartupError> {
    let content = Arc::new(
        ContentCache::new(settings.content_cache_bytes)
            .with_max_staleness(settings.content_cache_max_staleness, metrics.clone()),
    );
    // The version the cache starts from, read before serving, so the watcher's first look drops nothing.
    if let Ok(versions) = db::run_query(pool, db::content::versions).await {
        content.observe_versions(versions);
    }
    // The listener or watcher has a connection of its own: it is never queued behind requests (a pool
    // full of searches would stretch the bound), and its statements are not the requests'.
    match settings.database_url.backend() {
        db::Backend::Postgres => content
            .listen(
                settings.database_url.clone(),
                settings.database_statement_timeout,
                metrics.clone(),
            )
            .map_err(|error| StartupError::Interrupted(error.to_string()))?,
        db::Backend::Sqlite => content.clone().watch(db::build_pool(
            &settings.database_url,
            1,
            settings.database_statement_timeout,
            QueryCounter::default(),
        )),
    }
    Ok(content)
}

/// CORS for browser clients: preflights answered, the headers a client needs exposed.
fn cors(origins: &CorsOrigins) -> actix_cors::Cors {
    let cors = match origins {
        CorsOrigins::Any => actix_cors::Cors::default().allow_any_origin(),
        CorsOrigins::List(list) => list
            .iter()
            .fold(actix_cors::Cors::default(), |cors, origin| {
                cors.allowed_origin(origin)
            }),
    };
    cors.allowed_methods(["GET", "HEAD", "POST", "PATCH", "DELETE"])
        // `last-event-id`: an event stream read with fetch (a browser's EventSource needs no preflight).
        .allowed_headers([
            "authorization",
            "content-type",
            "if-match",
            "if-none-match",
            "last-event-id",
        ])
        .expose_headers([
            "etag",
            "link",
            "x-total-count",
            "location",
            "retry-after",
            "x-request-id",
        ])
        .max_age(3600)
}

/// Binds `BIND` (port 0: any free port) and says which address it got.
fn bind(bind: &str) -> Result<(TcpListener, std::net::SocketAddr), StartupError> {
    let failed = |source| StartupError::Bind {
        bind: bind.to_owned(),
        source,
    };
    let listener = TcpListener::bind(bind).map_err(failed)?;
    let address = listener.local_addr().map_err(failed)?;
    Ok((listener, address))
}

/// The HTTP server over `listener`: every route, with the middleware in order (innermost first).
fn http_server(
    settings: &Settings,
    listener: TcpListener,
    state: &AppState,
) -> Result<Server, StartupError> {
    let data = web::Data::new(state.clone());
    let max_body_bytes = settings.max_body_bytes;
    let cache_policy = web::Data::new(routes::conditional::CachePolicy {
        max_age: settings.cache_max_age,
        stale_while_revalidate: settings.cache_stale_while_revalidate,
    });
    let cors_origins = settings.cors_origins.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(routes::auth::authenticate))
            .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
            .wrap(actix_web::middleware::from_fn(
                routes::conditional::conditional_get,
            ))
            .wrap(Compress::default())
            .wrap(actix_web::middleware::from_fn(
                routes::conditional::vary_on_encoding,
            ))
            .wrap(cors(&cors_origins))
            .wrap(actix_web::middleware::from_fn(
                routes::request_id::request_id_header,
            ))
            .wrap(actix_web::middleware::from_fn(routes::request_id::measure))
            .wrap(TracingLogger::<routes::request_id::RequestSpan>::new())
            .app_data(data.clone())
            .app_data(cache_policy.clone())
            .app_data(web::PayloadConfig::new(max_body_bytes))
            .configure(routes::configure)
    })
    // Signals are this application's to handle (see `run_until_stopped`): the final click sync starts the
    // moment the listener stops accepting, not after the requests under way have finished.
    .disable_signals()
    // A client that closes its side ends its connection at once, whatever the answer under way: an event
    // stream waiting for its next event is dropped then, not at its next write (a keep-alive comment up to
    // 15 s later). Browsers never half-close a connection to wait for an answer.
    .h1_allow_half_closed(false)
    .shutdown_timeout(settings.shutdown_timeout.as_secs().max(1))
    .listen(listener)
    .map_err(|source| StartupError::Bind {
        bind: settings.bind.clone(),
        source,
    })?
    .run();
    Ok(server)
}

/// A built, not yet running, service.
pub struct Application {
    port: u16,
    host: String,
    server: Server,
    pool: DbPool,
    queries: QueryCounter,
    counter: ClickCounter,
    content: Arc<ContentCache>,
    sync: Addr<ClickSyncActor>,
    _webhooks: Addr<WebhookWorker>,
    deliverer: crate::jobs::webhook_delivery::Deliverer,
    /// The event streams, closed first by a stop (a stream never ends by itself).
    streams: Arc<Streams>,
    /// `SHUTDOWN_TIMEOUT_MS`: the whole stop's budget.
    shutdown_timeout: std::time::Duration,
}

/// Stops a running [`Application`] as SIGTERM does: its event streams end at once, then the server stops.
#[derive(Clone)]
pub struct StopHandle {
    server: ServerHandle,
    streams: Arc<Streams>,
}

impl StopHandle {
    /// Ends every event stream, then stops the server (`graceful`: the requests under way finish).
    pub async fn stop(&self, graceful: bool) {
        self.streams.close_all();
        self.server.stop(graceful).await;
    }
}

/// Tells the operator how to make the first token, when there is none.
async fn say_when_no_token_exists(pool: &DbPool) -> Result<(), StartupError> {
    let pool = pool.clone();
    let live_tokens = actix_web::rt::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        db::tokens::count_live(&mut conn).map_err(DbError::from)
    })
    .await
    .map_err(|error| StartupError::Interrupted(error.to_string()))?;
    if let Ok(0) = live_tokens {
        tracing::info!(
            "no API token exists yet: writes need one; create it with `blog-api token create NAME`"
        );
    }
    Ok(())
}

/// The secret named `name` this database's instances share, made by the first that needs it.
async fn shared_secret(pool: &DbPool, name: &'static str) -> Result<String, StartupError> {
    use rand::RngCore as _;
    let mut made = [0_u8; 32];
    rand::rng().fill_bytes(&mut made);
    let made = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(made)
    };
    let pool = pool.clone();
    let secret = actix_web::rt::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        db::secrets::get_or_create(&mut conn, name, &made).map_err(DbError::from)
    })
    .await
    .map_err(|error| StartupError::Interrupted(error.to_string()))?
    .map_err(|error| StartupError::Interrupted(format!("reading the {name} secret: {error}")))?;
    Ok(secret)
}

/// The click cache: Redis when configured, else the in-process one.
fn click_cache(settings: &Settings) -> Result<Arc<dyn CacheBackend>, StartupError> {
    Ok(if let Some(redis) = &settings.redis {
        tracing::info!(prefix = %redis.key_prefix, "click cache: redis");
        Arc::new(RedisClickCache::new(redis)?)
    } else {
        tracing::info!("click cache: in-process (set REDIS_URL for Redis)");
        Arc::new(MemoryClickCache::new(settings.click_stats_retention))
    })
}

/// The webhook delivery worker, started. It has connections of its own: its polling is never queued
/// behind requests, and its statements are not the requests'.
fn webhook_worker(
    settings: &Settings,
    clocks: &Clocks,
    metrics: &Arc<crate::metrics::Metrics>,
) -> Result<
    (
        Addr<WebhookWorker>,
        crate::jobs::webhook_delivery::Deliverer,
    ),
    StartupError,
> {
    let deliverer = crate::jobs::webhook_delivery::Deliverer::new(
        db::build_pool(
            &settings.database_url,
            2,
            settings.database_statement_timeout,
            QueryCounter::default(),
        ),
        settings.webhooks,
        clocks.clone(),
        metrics.clone(),
    )?;
    let worker = WebhookWorker::new(deliverer.clone(), settings.webhooks.poll_interval).start();
    Ok((worker, deliverer))
}

/// The per-client limits: shared in Redis when it is configured.
fn rate_limits(settings: &Settings) -> Result<Limiter, StartupError> {
    let shared: Option<Arc<dyn crate::cache::RateStore>> = match &settings.redis {
        Some(redis) => Some(Arc::new(crate::cache::RedisRateStore::new(redis)?)),
        None => None,
    };
    let rates = Rates {
        comments: settings.comments_per_minute,
        beacon: settings.beacon_clicks_per_minute,
        views: settings.views_per_minute,
    };
    Ok(Limiter::new(rates, shared))
}

/// Where posts' pages and media files are, for links and JSON-LD.
fn post_pages(settings: &Settings) -> PostPages {
    PostPages {
        site_url: settings.site.url.clone(),
        pattern: settings.site.post_url_pattern.clone(),
        media: crate::domain::media::MediaUrls::new(settings.media.public_url.as_deref()),
    }
}

/// The media library on `MEDIA_STORE`, with its image workers.
fn media_library(
    settings: &Settings,
    pool: &DbPool,
    clocks: &Clocks,
    cursors: &CursorKey,
) -> Result<Arc<crate::service::media::MediaLibrary>, StartupError> {
    let store = crate::media::MediaStore::open(&settings.media.store, settings.media.timeout)?;
    Ok(Arc::new(
        crate::service::media::MediaLibrary::new(
            pool.clone(),
            store,
            &settings.media,
            clocks.clone(),
            cursors.clone(),
        )
        .map_err(StartupError::MediaWorkers)?,
    ))
}

/// Every service, built once: what the handlers reach through [`AppState`].
async fn services(
    settings: &Settings,
    pool: &DbPool,
    queries: QueryCounter,
    counter: ClickCounter,
    content: &Arc<ContentCache>,
    metrics: Arc<crate::metrics::Metrics>,
    clocks: &Clocks,
) -> Result<AppState, StartupError> {
    let clock = &clocks.requests;
    // Cursors are sealed with one key per database, so every instance opens every cursor (readers are
    // hashed under a salt per day, also shared: `Visitors`).
    let cursors = CursorKey::new(shared_secret(pool, "cursor").await?.as_bytes());
    let limiter = Arc::new(rate_limits(settings)?);
    let pages = post_pages(settings);
    let cache = counter.cache().clone();
    let click_service = Arc::new(Clicks::new(
        counter.clone(),
        ViewPolicy::new(settings.clicks_on_get),
        limiter.clone(),
        Visitors::new(pool.clone()),
        pool.clone(),
        clock.clone(),
    ));
    click_service.prepare().await;
    let media = media_library(settings, pool, clocks, &cursors)?;
    let streams = Arc::new(Streams::new(settings.sse_max_streams, metrics.clone()));
    let live = LiveCounts::start(counter.clone(), clock.clone(), streams.clone());
    let events = LiveEvents::start(pool.clone(), content.clone(), streams.clone());
    Ok(AppState {
        media,
        live: Arc::new(live),
        events: Arc::new(events),
        sync: Arc::new(crate::service::sync::DeltaSync::new(
            pool.clone(),
            counter.clone(),
            clock.clone(),
            cursors.clone(),
            pages.clone(),
        )),
        streams,
        posts: Arc::new(Posts::new(
            pool.clone(),
            content.clone(),
            click_service.clone(),
            clocks.clone(),
            cursors.clone(),
            PostSettings {
                click_order_lifetime: settings.click_sync_interval,
                pages: pages.clone(),
                revisions_keep: settings.post_revisions_keep,
            },
        )),
        comments: Arc::new(Comments::new(
            pool.clone(),
            content.clone(),
            cursors,
            limiter,
            clocks.clone(),
        )),
        taxonomy: Arc::new(Terms::new(pool.clone(), content.clone(), clocks.clone())),
        webhooks: Arc::new(Webhooks::new(
            pool.clone(),
            settings.webhooks.allow_private,
            clocks,
        )),
        feeds: Arc::new(Feeds::new(
            pool.clone(),
            content.clone(),
            settings.site.clone(),
            clock.clone(),
        )),
        stats: Arc::new(Stats::new(pool.clone(), counter.clone(), clock.clone())),
        tokens: Arc::new(Tokens::new(pool.clone(), clock.clone())),
        authors: Arc::new(Authors::new(pool.clone(), content.clone(), clocks.clone())),
        previews: Arc::new(Previews::new(
            pool.clone(),
            counter,
            settings.previews.clone(),
            clock.clone(),
            pages,
        )),
        health: Arc::new(Health::new(
            pool.clone(),
            queries,
            cache,
            metrics,
            clocks.real.clone(),
        )),
        clicks: click_service,
        http: Arc::new(HttpSettings {
            log_client_ip: settings.log_client_ip,
            max_body_bytes: settings.max_body_bytes,
            clients: ClientAddresses::new(
                settings.trusted_proxies.clone(),
                settings.forwarded_header,
            ),
        }),
    })
}

impl Application {
    /// Connects and migrates the database, binds the listener and builds the server.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// [`Application::build`] with requests served at the instants `clock` gives (tests fix it to see
    /// scheduled posts appear without waiting).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        let url = settings.database_url.clone();
        let pool_size = settings.database_pool_size.get();
        let statement_timeout = settings.database_statement_timeout;
        let (pool, queries) = actix_web::rt::task::spawn_blocking(move || {
            db::connect_and_migrate(&url, pool_size, statement_timeout)
        })
        .await
        .map_err(|error| StartupError::Interrupted(error.to_string()))??;
        let cache = click_cache(&settings)?;
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let content = content_cache(&settings, &pool, &metrics).await?;
        let clocks = Clocks {
            requests: clock,
            real: Clock::system(),
        };
        let sync = ClickSyncActor::new(
            pool.clone(),
            cache.clone(),
            metrics.clone(),
            SyncSchedule {
                interval: settings.click_sync_interval,
                deadline: settings.click_sync_deadline,
                retention: settings.click_ledger_retention,
                stats_retention: settings.click_stats_retention,
            },
            clocks.clone(),
        )
        .start();
        let (webhooks, deliverer) = webhook_worker(&settings, &clocks, &metrics)?;
        say_when_no_token_exists(&pool).await?;
        let counter =
            ClickCounter::new(pool.clone(), cache, content.click_epoch(), metrics.clone());
        let state = services(
            &settings,
            &pool,
            queries.clone(),
            counter.clone(),
            &content,
            metrics,
            &clocks,
        )
        .await?;
        // Built before serving, so the first search does not wait for it; a database that fails here leaves it
        // to the first search.
        if let Err(error) = state.posts.build_search_index().await {
            tracing::warn!(%error, "the search index is built by the first search instead");
        }

        let (listener, address) = bind(&settings.bind)?;
        let server = http_server(&settings, listener, &state)?;
        Ok(Application {
            port: address.port(),
            host: address.ip().to_string(),
            server,
            pool,
            queries,
            counter,
            content,
            sync,
            _webhooks: webhooks,
            deliverer,
            streams: state.streams.clone(),
            shutdown_timeout: settings.shutdown_timeout,
        })
    }

    /// The port actually bound (useful when `BIND` asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base URL the service answers at.
    pub fn url(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Statements sent to the database so far, by every pooled connection.
    pub fn query_counter(&self) -> &QueryCounter {
        &self.queries
    }

    pub fn clicks(&self) -> &ClickCounter {
        &self.counter
    }

    /// This instance's content cache (tests drop it after writing to the database behind its back).
    pub fn content(&self) -> &Arc<crate::service::content::ContentCache> {
        &self.content
    }

    /// Stops the server (gracefully: in-flight requests finish, event streams end), as SIGTERM does.
    pub fn handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            streams: self.streams.clone(),
        }
    }

    /// Serves until the server is stopped (SIGTERM, SIGINT or SIGQUIT, or [`Self::handle`]), then stops
    /// within `SHUTDOWN_TIMEOUT_MS` whatever a webhook receiver or the database does: the listener stops
    /// accepting and, at once, a click sync moves what is buffered to the database while the requests under
    /// way finish; a last sync moves the clicks those requests recorded; webhook attempts under way finish
    /// and are recorded, in whatever time is left. What could not be finished is logged with its count.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server,
            counter,
            sync,
            deliverer,
            streams,
            shutdown_timeout,
            ..
        } = self;
        let handle = server.handle();
        let mut running = actix_web::rt::spawn(server);
        let ended = tokio::select! {
            result = &mut running => Some(result),
            () = stop_signal() => None,
        };
        // The work's deadline leaves a moment to log what it could not finish.
        let deadline = tokio::time::Instant::now() + shutdown_timeout.saturating_sub(LOG_RESERVE);
        // Event streams end now (they would hold the graceful stop to its deadline otherwise); stop
        // accepting now (the command is sent by this call), graceful: requests under way go on.
        streams.close_all();
        let stopping = handle.stop(true);
        // Webhook attempts under way go on too, but nothing more is claimed.
        let drainer = deliverer.clone();
        let draining = actix_web::rt::spawn(async move { drainer.drain().await });
        sync_before(&sync, &counter, deadline, crate::jobs::SyncNow, "first").await;
        let joined = |result: Result<std::io::Result<()>, actix_web::rt::task::JoinError>| {
            result.unwrap_or_else(|joined| Err(std::io::Error::other(joined.to_string())))
        };
        let served = if let Some(result) = ended {
            joined(result)
        } else {
            if tokio::time::timeout_at(deadline, stopping).await.is_err() {
                tracing::warn!("requests still under way at the shutdown deadline were cut off");
                handle.stop(false).await;
            }
            tokio::time::timeout_at(deadline, &mut running)
                .await
                .map_or(Ok(()), joined)
        };
        sync_before(&sync, &counter, deadline, FinalSync, "last").await;
        match tokio::time::timeout_at(deadline, draining).await {
            Ok(Ok(0)) => {}
            Ok(Ok(open)) => tracing::warn!(
                attempts = open,
                "webhook attempts still open at shutdown: they are attempted again once their claims run out"
            ),
            Ok(Err(_)) | Err(_) => tracing::warn!(
                attempts = deliverer.in_flight(),
                "webhook attempts still open at the shutdown deadline: they are attempted again once their \
                 claims run out"
            ),
        }
        served
    }
}
