//! Content served from memory: posts, list pages, related posts and taxonomy pages as the database last gave
//! them, without their click counts (those are read fresh on every request). Bounded by
//! `CONTENT_CACHE_BYTES` (an estimate of each entry's size), and dropped whole whenever the content version
//! moves: database triggers bump it on any change to what reads serve, whoever makes it. On PostgreSQL each
//! instance listens for the bumps' announcements and reads the version when one arrives, every
//! [`SAFETY_CHECK`] and after every reconnection; on SQLite a watcher reads it every [`CHECK_INTERVAL`]
//! (README "Content cache"). A write through this instance drops the cache at once.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::db::content::Versions;
use crate::domain::click_epoch::ClickEpoch;
use crate::domain::cursor::After;
use crate::domain::rendered::{summaries_json, RenderedPost, SplicedJson};
use crate::domain::search::index::Facets;
use crate::domain::{
    PageRequest, PostDetail, PostKey, PostListQuery, PostSummary, ResourceId, Taxonomy,
    TaxonomyItem,
};
use crate::metrics::{self, Metrics};

mod version_watch;

pub use version_watch::{CHECK_INTERVAL, SAFETY_CHECK};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    PostId(i64),
    PostSlug(String),
    List(String),
    Terms(String),
    /// A post's related posts, by post id and limit.
    Related(i64, i64),
    /// Anything else a read derives from content (feeds, the sitemap), by a name of its own.
    Derived(String),
}

#[derive(Debug, Clone)]
enum Entry {
    Post(Arc<RenderedPost>),
    /// A page of posts: a list page or a post's related posts.
    List(Arc<ListPage>),
    /// Categories or tags: a page of a list, or one by id.
    Terms(Arc<ListPage<TaxonomyItem>>),
    /// What [`ContentCache::derived_or_load`] keeps.
    Derived(Derived),
}

/// A value derived from content, of any type, with until when it holds and about how many bytes it takes.
#[derive(Clone)]
struct Derived {
    value: Arc<dyn std::any::Any + Send + Sync>,
    valid_until: Option<NaiveDateTime>,
    bytes: usize,
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Derived")
            .field("valid_until", &self.valid_until)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

/// What a loader of [`ContentCache::derived_or_load`] read: the value, until when it holds without a write
/// (the next scheduled publication), and about how many bytes it takes.
pub struct Loaded<T> {
    pub value: T,
    pub valid_until: Option<NaiveDateTime>,
    pub bytes: usize,
}

/// A list as the database gave it: the items (posts with their counts as synced then, or categories and
/// tags with their published post counts), how many match, and until when it holds without any write (the
/// next scheduled publication, which changes what is published).
#[derive(Debug, Clone)]
pub struct ListPage<T = PostSummary> {
    pub items: Vec<T>,
    pub total: u64,
    /// Whether more items follow these (a post list's next cursor).
    pub more: bool,
    pub valid_until: Option<NaiveDateTime>,
    /// When it must be read again even without any write (a list ordered by synced click counts, whose
    /// order the next sync moves).
    pub expires: Option<Instant>,
    /// The items as JSON around their counts, made by the first read that sends them whole (posts only).
    pub rendered: OnceLock<Option<Vec<SplicedJson>>>,
    /// A search's facets.
    pub facets: Option<Facets>,
    /// Where the next page starts when the database does not know the order (a ranking by relevance).
    pub after_last: Option<After>,
}

impl ListPage<PostSummary> {
    /// The posts as JSON around their counts, made on first use (`None`: serialize them instead).
    pub fn items_json(&self) -> Option<&[SplicedJson]> {
        self.rendered
            .get_or_init(|| summaries_json(&self.items))
            .as_deref()
    }
}

impl<T> ListPage<T> {
    /// Items as the database gave them, and until when they hold.
    pub fn new(
        items: Vec<T>,
        total: u64,
        more: bool,
        valid_until: Option<NaiveDateTime>,
        expires: Option<Instant>,
    ) -> Self {
        ListPage {
            items,
            total,
            more,
            valid_until,
            expires,
            rendered: OnceLock::new(),
            facets: None,
            after_last: None,
        }
    }

    /// These items as a search's: with its facets, and where the next page starts if the database cannot
    /// say.
    pub fn searched(mut self, facets: Facets, after_last: Option<After>) -> Self {
        self.facets = Some(facets);
        self.after_last = after_last;
        self
    }

    fn holds_at(&self, now: NaiveDateTime) -> bool {
        self.valid_until.is_none_or(|until| now < until)
            && self.expires.is_none_or(|at| Instant::now() < at)
    }
}

/// Taken before reading the database: what was read under it is kept only if nothing was dropped meanwhile
/// (else a read that began before a write could keep the old content after the write's drop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// The turn to load one missing entry: the first request to miss it holds the turn while it reads the
/// database and keeps what it read; requests missing it meanwhile wait for that, then look in the cache
/// again. Released on drop (the last one out forgets the key).
pub struct Turn<'a> {
    cache: &'a ContentCache,
    key: Option<Key>,
    loading: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.loading.take());
        let Some(key) = self.key.take() else {
            return;
        };
        if let Ok(mut loading) = self.cache.loading.lock() {
            // Only the map still holds it: nobody loads or waits.
            if loading
                .get(&key)
                .is_some_and(|lock| Arc::strong_count(lock) == 1)
            {
                loading.remove(&key);
            }
        }
    }
}

/// The per-instance content cache (empty and inert when `CONTENT_CACHE_BYTES=0`).
pub struct ContentCache {
    entries: Option<moka::sync::Cache<Key, Entry>>,
    /// The content version the entries belong to (`i64::MIN` before the first check).
    version: AtomicI64,
    /// Bumped by every drop.
    generation: AtomicU64,
    /// One loader per missing entry: the others wait for it, then read what it kept (after a write drops
    /// the cache, a popular page is read from the database once, not by every request at that moment).
    loading: std::sync::Mutex<std::collections::HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
    /// When the content version was last read successfully, in milliseconds since `born`.
    checked: AtomicU64,
    born: Instant,
    /// `CONTENT_CACHE_MAX_STALENESS_MS`, and where reads that bypass the cache for it are counted: past it
    /// without a successful check, nothing is served from memory.
    staleness: Option<(Duration, Arc<Metrics>)>,
    /// The click epoch, read in the same statement as the version (it lives in the same row) and handed to
    /// the click counter: watched even when there is no content cache.
    click_epoch: Arc<ClickEpoch>,
}

impl std::fmt::Debug for ContentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentCache")
            .field("enabled", &self.entries.is_some())
            .field("version", &self.version.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl ContentCache {
    /// A cache of at most about `max_bytes` (0: no cache, every read goes to the database).
    pub fn new(max_bytes: u64) -> Self {
        let entries = (max_bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &Key, entry: &Entry| {
                    let key_size = match key {
                        Key::PostId(_) => 8,
                        Key::Related(..) => 16,
                        Key::PostSlug(text)
                        | Key::List(text)
                        | Key::Terms(text)
                        | Key::Derived(text) => text.len(),
                    };
                    let size = key_size
                        + match entry {
                            // The post, and its JSON once a read made it (about as large again).
                            Entry::Post(post) => 2 * post_size(post),
                            // The posts, and their JSON once a read made it.
                            Entry::List(page) => {
                                2 * page.items.iter().map(summary_size).sum::<usize>()
                            }
                            Entry::Terms(page) => page
                                .items
                                .iter()
                                .map(|item| 64 + item.slug.len() + item.name.len())
                                .sum(),
                            Entry::Derived(derived) => derived.bytes,
                        };
                    u32::try_from(size).unwrap_or(u32::MAX)
                })
                .build()
        });
        ContentCache {
            entries,
            version: AtomicI64::new(i64::MIN),
            generation: AtomicU64::new(0),
            loading: std::sync::Mutex::default(),
            checked: AtomicU64::new(0),
            born: Instant::now(),
            staleness: None,
            click_epoch: Arc::default(),
        }
    }

    /// Serves nothing from memory once `max` has passed without a successful check of the content version
    /// (a listener whose connection died silently, a watcher that cannot read): reads go to the database,
    /// counted in `metrics`, until a check succeeds.
    pub fn with_max_staleness(mut self, max: Duration, metrics: Arc<Metrics>) -> Self {
        self.staleness = Some((max, metrics));
        self
    }

    fn millis_since_born(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The entries, unless the last successful check is older than the staleness bound (then the read is
    /// counted as bypassing the cache).
    fn fresh_entries(&self) -> Option<&moka::sync::Cache<Key, Entry>> {
        let entries = self.entries.as_ref()?;
        if let Some((max, metrics)) = &self.staleness {
            let since = self
                .millis_since_born()
                .saturating_sub(self.checked.load(Ordering::SeqCst));
            if u128::from(since) > max.as_millis() {
                metrics::add(&metrics.content_cache_bypassed, 1);
                return None;
            }
        }
        Some(entries)
    }

    /// Waits for the turn to load post `key` (see [`Turn`]).
    pub async fn post_turn(&self, key: &PostKey) -> Turn<'_> {
        self.turn(post_key(key)).await
    }

    /// Waits for the turn to load the list page of `query`.
    pub async fn list_turn(&self, query: &PostListQuery) -> Turn<'_> {
        self.turn(list_key(query)).await
    }

    async fn turn(&self, key: Key) -> Turn<'_> {
        let lock = self.entries.as_ref().and_then(|_| {
            self.loading
                .lock()
                .map(|mut loading| loading.entry(key.clone()).or_default().clone())
                .ok()
        });
        let Some(lock) = lock else {
            return Turn {
                cache: self,
                key: None,
                loading: None,
            };
        };
        // Nobody loads it: this request does, holding the turn until it is done. Somebody does: wait
        // for that one load to end, then look again (and load too, without the turn, if it kept
        // nothing: an unknown post, a failed read; waiting behind each other would stack their times).
        let loading = if let Ok(guard) = lock.clone().try_lock_owned() {
            Some(guard)
        } else {
            drop(lock.lock_owned().await);
            None
        };
        Turn {
            cache: self,
            key: Some(key),
            loading,
        }
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::SeqCst))
    }

    /// A post by id or slug, whatever its status (the caller decides who may see it).
    pub fn post(&self, key: &PostKey) -> Option<Arc<RenderedPost>> {
        match self.fresh_entries()?.get(&post_key(key))? {
            Entry::Post(post) => Some(post),
            Entry::List(_) | Entry::Terms(_) | Entry::Derived(_) => None,
        }
    }

    pub fn keep_post(&self, ticket: Ticket, post: Arc<RenderedPost>) {
        let id = Key::PostId(post.summary.id);
        let slug = Key::PostSlug(post.summary.slug.clone());
        self.keep(ticket, &id, Entry::Post(post.clone()));
        self.keep(ticket, &slug, Entry::Post(post));
    }

    /// A list page still valid at `now`.
    pub fn list(&self, query: &PostListQuery, now: NaiveDateTime) -> Option<Arc<ListPage>> {
        match self.fresh_entries()?.get(&list_key(query))? {
            Entry::List(page) if page.holds_at(now) => Some(page),
            _ => None,
        }
    }

    pub fn keep_list(&self, ticket: Ticket, query: &PostListQuery, page: Arc<ListPage>) {
        self.keep(ticket, &list_key(query), Entry::List(page));
    }

    /// The posts related to `post_id` (at most `limit`), still valid at `now`.
    pub fn related(&self, post_id: i64, limit: i64, now: NaiveDateTime) -> Option<Arc<ListPage>> {
        match self.fresh_entries()?.get(&Key::Related(post_id, limit))? {
            Entry::List(page) if page.holds_at(now) => Some(page),
            _ => None,
        }
    }

    pub fn keep_related(&self, ticket: Ticket, post_id: i64, limit: i64, page: Arc<ListPage>) {
        self.keep(ticket, &Key::Related(post_id, limit), Entry::List(page));
    }

    /// Categories or tags kept under `key` ([`terms_page_key`], [`term_key`]), still valid at `now`.
    pub fn terms(&self, key: &TermsKey, now: NaiveDateTime) -> Option<Arc<ListPage<TaxonomyItem>>> {
        match self.fresh_entries()?.get(&Key::Terms(key.0.clone()))? {
            Entry::Terms(page) if page.holds_at(now) => Some(page),
            _ => None,
        }
    }

    pub fn keep_terms(&self, ticket: Ticket, key: &TermsKey, page: Arc<ListPage<TaxonomyItem>>) {
        self.keep(ticket, &Key::Terms(key.0.clone()), Entry::Terms(page));
    }

    /// The value kept under `name`, still valid at `now`; else `load`ed, by one request at a time (those
    /// missing it meanwhile wait, then read what it kept), and kept.
    pub async fn derived_or_load<T, E, F, Fut>(
        &self,
        name: String,
        now: NaiveDateTime,
        load: F,
    ) -> Result<Arc<T>, E>
    where
        T: std::any::Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Loaded<T>, E>>,
    {
        let key = Key::Derived(name);
        if let Some(value) = self.derived(&key, now) {
            return Ok(value);
        }
        let _turn = self.turn(key.clone()).await;
        if let Some(value) = self.derived(&key, now) {
            return Ok(value);
        }
        let ticket = self.ticket();
        let loaded = load().await?;
        let value = Arc::new(loaded.value);
        let derived = Derived {
            value: value.clone(),
            valid_until: loaded.valid_until,
            bytes: loaded.bytes,
        };
        self.keep(ticket, &key, Entry::Derived(derived));
        Ok(value)
    }

    fn derived<T: std::any::Any + Send + Sync>(
        &self,
        key: &Key,
        now: NaiveDateTime,
    ) -> Option<Arc<T>> {
        match self.fresh_entries()?.get(key)? {
            Entry::Derived(derived) if derived.valid_until.is_none_or(|until| now < until) => {
                derived.value.downcast::<T>().ok()
            }
            _ => None,
        }
    }

    fn keep(&self, ticket: Ticket, key: &Key, entry: Entry) {
        let Some(entries) = &self.entries else {
            return;
        };
        if self.generation.load(Ordering::SeqCst) != ticket.0 {
            return;
        }
        entries.insert(key.clone(), entry);
        // A drop that raced the insert: the entry may be older than the drop.
        if self.generation.load(Ordering::SeqCst) != ticket.0 {
            entries.invalidate(key);
        }
    }

    /// Drops everything (a write through this instance).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }

    /// The content version the entries belong to: `None` before the first look, or when there is no cache
    /// (the version is still watched then, for the click epoch beside it, but nothing is kept under it).
    pub fn version(&self) -> Option<i64> {
        self.entries.as_ref()?;
        Some(self.version.load(Ordering::SeqCst)).filter(|version| *version != i64::MIN)
    }

    /// The click epoch this cache's watcher or listener keeps up to date.
    pub fn click_epoch(&self) -> Arc<ClickEpoch> {
        self.click_epoch.clone()
    }

    /// What the database's version row says now (a successful check).
    pub fn observe_versions(&self, versions: Versions) {
        self.click_epoch.observe(versions.click_epoch);
        self.observe(versions.content);
    }

    /// The content version the database says now (a successful check): a change drops everything.
    pub fn observe(&self, version: i64) {
        if self.version.swap(version, Ordering::SeqCst) != version {
            self.invalidate();
        }
        self.checked
            .store(self.millis_since_born(), Ordering::SeqCst);
    }
}

fn post_key(key: &PostKey) -> Key {
    match key {
        PostKey::Id(id) => Key::PostId(id.get()),
        PostKey::Slug(slug) => Key::PostSlug(slug.as_str().to_owned()),
    }
}

/// The validated query, which is already normalized (defaults filled in, order of parameters gone).
fn list_key(query: &PostListQuery) -> Key {
    Key::List(format!("{query:?}"))
}

/// Where a taxonomy read is kept.
#[derive(Debug, Clone)]
pub struct TermsKey(String);

/// A page of a taxonomy's list.
pub fn terms_page_key(taxonomy: Taxonomy, page: PageRequest) -> TermsKey {
    TermsKey(format!("{taxonomy:?} {page:?}"))
}

/// One category or tag by id.
pub fn term_key(taxonomy: Taxonomy, id: ResourceId) -> TermsKey {
    TermsKey(format!("{taxonomy:?} #{}", id.get()))
}

/// About the bytes an entry holds: its strings plus a fixed overhead.
fn summary_size(post: &PostSummary) -> usize {
    256 + post.slug.len()
        + post.title.len()
        + post.excerpt.len()
        + post.author.len()
        + post
            .tags
            .iter()
            .chain(&post.authors)
            .map(|term| 32 + term.slug.len() + term.name.len())
            .sum::<usize>()
        + post.feature_image.as_ref().map_or(0, |image| {
            256 + image.alt.len() + image.url.len() * (1 + image.variants.len())
        })
}

/// About the bytes a post takes in memory (the weigher's estimate, also used for derived entries).
pub fn post_size(post: &PostDetail) -> usize {
    // The JSON-LD repeats the title, description and tags once more.
    summary_size(&post.summary)
        + post.body_markdown.len()
        + post.body_html.len()
        + 2 * (post.meta_title.len() + post.meta_description.len())
        + post.canonical_url.as_ref().map_or(0, String::len)
        + 256
}

#[cfg(test)]
mod tests;
