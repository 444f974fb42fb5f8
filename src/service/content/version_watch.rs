//! How a content cache (and the click epoch, in the same row) stays fresh: on PostgreSQL a listener for the
//! content version's announcements (and a read of the version every [`SAFETY_CHECK`]); on SQLite a watcher
//! reading it every [`CHECK_INTERVAL`]. Both run even without a content cache, for the click epoch.
//! Every successful read is a check ([`ContentCache::observe`]) that the staleness bound counts from.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::ContentCache;
use crate::db::{self, run_query, DatabaseUrl, DbPool};
use crate::metrics::{self, Metrics};

/// How often an instance on SQLite reads the content version (nothing is announced there): a change made
/// anywhere is served everywhere within this (plus a request's own time). Also how long a listener waits
/// before reconnecting.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// How often a listening instance looks for announcements: a read of its socket, no statement.
const LISTEN_POLL: Duration = Duration::from_millis(20);

/// How often a listening instance reads the version even when nothing was announced.
pub const SAFETY_CHECK: Duration = Duration::from_secs(1);

impl ContentCache {
    /// Listens for the content version's announcements on a connection of its own (PostgreSQL), on a thread
    /// of its own that ends when the cache is dropped. Announcements heard are counted in `metrics`.
    pub fn listen(
        self: &Arc<Self>,
        url: DatabaseUrl,
        statement_timeout: Duration,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<()> {
        let cache = Arc::downgrade(self);
        std::thread::Builder::new()
            .name(String::from("content-listener"))
            .spawn(move || listen_until_dropped(&cache, &url, statement_timeout, &metrics))?;
        Ok(())
    }

    /// Reads the content version every [`CHECK_INTERVAL`] until the process ends. A failed read changes
    /// nothing: the next successful one drops the cache if anything changed meanwhile.
    pub fn watch(self: Arc<Self>, pool: DbPool) {
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(CHECK_INTERVAL);
            loop {
                interval.tick().await;
                if let Ok(versions) = run_query(&pool, db::content::versions).await {
                    self.observe_versions(versions);
                }
            }
        });
    }
}

/// A listener's life: connect and `LISTEN`, read the version (whatever was announced while it was not
/// listening), then read it again on every announcement and every [`SAFETY_CHECK`]; reconnect when the
/// connection fails. Ends when the cache is gone.
fn listen_until_dropped(
    cache: &Weak<ContentCache>,
    url: &DatabaseUrl,
    statement_timeout: Duration,
    metrics: &Metrics,
) {
    while cache.strong_count() > 0 {
        let listening = url
            .establish_as("blog-api-content-listener", Some(statement_timeout))
            .ok()
            .and_then(|mut conn| {
                db::content::listen(&mut conn).ok()?;
                Some(conn)
            });
        if let Some(mut conn) = listening {
            let mut checked: Option<Instant> = None;
            loop {
                let Some(cache) = cache.upgrade() else {
                    return;
                };
                let Ok(heard) = db::content::announcements(&mut conn) else {
                    break;
                };
                metrics::add(&metrics.content_announcements, heard);
                if heard > 0 || checked.is_none_or(|at| at.elapsed() >= SAFETY_CHECK) {
                    let Ok(versions) = db::content::versions(&mut conn) else {
                        break;
                    };
                    cache.observe_versions(versions);
                    checked = Some(Instant::now());
                }
                drop(cache);
                std::thread::sleep(LISTEN_POLL);
            }
        }
        std::thread::sleep(CHECK_INTERVAL);
    }
}
