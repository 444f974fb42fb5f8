//! The search index of this instance, kept in step with the database (README "Search"): before a search is
//! answered, the index is brought up to date when the content may have changed since it was (the content
//! cache's ticket moved: a write here, or a new content version seen anywhere) and the content version
//! says it did (one statement), or when its click counts are older than [`CLICK_RANK_LIFETIME`]. Bringing
//! it up to date reads every post's stamp (three statements) and the words of only the posts that changed;
//! one request does it while the others wait.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use super::content::{ContentCache, Ticket};
use crate::db::{self, run_query, DbPool};
use crate::domain::search::index::{Matches, Rank, SearchIndex, Suggestion};
use crate::domain::{PostFilter, SearchQuery};
use crate::error::ApiError;

/// The most posts whose words are read and indexed in one step of an update.
const TEXTS_PER_STEP: usize = 2_000;

/// How old the click counts that break ties between equal matches may be.
pub const CLICK_RANK_LIFETIME: Duration = Duration::from_secs(60);

pub struct Search {
    pool: DbPool,
    content: Arc<ContentCache>,
    index: Arc<RwLock<SearchIndex>>,
    /// When the index was last brought up to date: under which content ticket, at which content version,
    /// at what time. Held while that is done.
    updated: tokio::sync::Mutex<Option<Updated>>,
}

#[derive(Debug, Clone, Copy)]
struct Updated {
    ticket: Ticket,
    version: i64,
    at: Instant,
}

impl Search {
    pub fn new(pool: DbPool, content: Arc<ContentCache>) -> Self {
        Search {
            pool,
            content,
            index: Arc::new(RwLock::new(SearchIndex::new())),
            updated: tokio::sync::Mutex::new(None),
        }
    }

    /// The index, brought up to date first if it may be behind the database.
    async fn current(&self) -> Result<Arc<RwLock<SearchIndex>>, ApiError> {
        let mut updated = self.updated.lock().await;
        // Taken before reading: a write committed meanwhile moves the ticket, and the next search reads again.
        let ticket = self.content.ticket();
        let young = updated.filter(|last| last.at.elapsed() < CLICK_RANK_LIFETIME);
        if young.is_some_and(|last| last.ticket == ticket) {
            return Ok(self.index.clone());
        }
        // The ticket moves with every drop of the content cache; the version only when the content did.
        let version = run_query(&self.pool, db::content::version).await?;
        if let Some(last) = young.filter(|last| last.version == version) {
            *updated = Some(Updated { ticket, ..last });
            return Ok(self.index.clone());
        }
        let (stamps, catalog) = run_query(&self.pool, db::search::stamps).await?;
        let stale = read(&self.index).stale(&stamps, &catalog);
        let bulk = stale.len() > TEXTS_PER_STEP;
        let index = self.index.clone();
        let (mut waiting, stale) = blocking(move || {
            let waiting = write(&index).restamp(stamps, &stale);
            (waiting, stale)
        })
        .await?;
        // The words a part at a time: never every post's text in memory at once.
        for part in stale.chunks(TEXTS_PER_STEP) {
            let ids = part.to_vec();
            let texts = run_query(&self.pool, move |conn| db::search::texts(conn, &ids)).await?;
            let (index, catalog) = (self.index.clone(), catalog.clone());
            waiting = blocking(move || {
                write(&index).add(texts, &mut waiting, &catalog);
                waiting
            })
            .await?;
        }
        let index = self.index.clone();
        blocking(move || write(&index).finish(catalog, bulk)).await?;
        *updated = Some(Updated {
            ticket,
            version,
            at: Instant::now(),
        });
        Ok(self.index.clone())
    }

    /// The index brought up to date, and its size.
    pub async fn current_size(&self) -> Result<IndexSize, ApiError> {
        let index = self.current().await?;
        let index = read(&index);
        Ok(IndexSize {
            posts: index.len(),
            words: index.words(),
            bytes: index.bytes(),
        })
    }

    /// The posts matching `query` that `filter` lets through at `now`, best first, with their facets.
    pub async fn matches(
        &self,
        query: &SearchQuery,
        filter: &PostFilter,
        now: NaiveDateTime,
    ) -> Result<Matches, ApiError> {
        self.searched(query, filter, now, |matches| matches).await
    }

    /// [`Search::matches`] with the page of their ranking (best first) that skips `skip` matches after
    /// `after` (or the top), and whether more follow (see [`Matches::page`]).
    pub async fn ranked_page(
        &self,
        query: &SearchQuery,
        filter: &PostFilter,
        now: NaiveDateTime,
        (after, skip, take): (Option<Rank>, usize, usize),
    ) -> Result<(Matches, Vec<Rank>, bool), ApiError> {
        self.searched(query, filter, now, move |mut matches| {
            let (page, more) = matches.page(after, skip, take);
            (matches, page, more)
        })
        .await
    }

    /// The matches of `query`, and `then` done with them, on the blocking pool.
    async fn searched<T: Send + 'static>(
        &self,
        query: &SearchQuery,
        filter: &PostFilter,
        now: NaiveDateTime,
        then: impl FnOnce(Matches) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let index = self.current().await?;
        let (query, filter) = (query.clone(), filter.clone());
        blocking(move || then(read(&index).search(&query, &filter, now))).await
    }

    /// Suggestions for what was typed (see [`SearchIndex::suggest`]), and until when they hold without a
    /// write (the next scheduled publication).
    pub async fn suggest(
        &self,
        query: &SearchQuery,
        limit: usize,
        now: NaiveDateTime,
    ) -> Result<(Vec<Suggestion>, Option<NaiveDateTime>), ApiError> {
        let index = self.current().await?;
        let query = query.clone();
        blocking(move || {
            let index = read(&index);
            (
                index.suggest(&query, limit, now),
                index.next_publication(now),
            )
        })
        .await
    }
}

/// How big an index is: posts, distinct words, about how many bytes.
#[derive(Debug, Clone, Copy)]
pub struct IndexSize {
    pub posts: usize,
    pub words: usize,
    pub bytes: usize,
}

fn read(index: &RwLock<SearchIndex>) -> RwLockReadGuard<'_, SearchIndex> {
    index.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(index: &RwLock<SearchIndex>) -> RwLockWriteGuard<'_, SearchIndex> {
    index.write().unwrap_or_else(PoisonError::into_inner)
}

/// `work` on the blocking pool: the index's work grows with the posts, and stays off the event loop.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|failed| ApiError::Internal(Box::new(failed)))
}
