//! The posts service: reading posts as readers and editors see them (single posts, lists and rankings,
//! related posts); editors' writes are in `post_writes.rs`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::clicks::{ClickCounter, Clicks, Client, Count, ViewSource, Viewed};
use super::content::{ContentCache, ListPage, Loaded};
use super::search::{Search, CLICK_RANK_LIFETIME};
use super::slots::SearchSlots;
use crate::db::rankings::{Ranking, WindowRank};
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::{hour_of, Clocks};
use crate::domain::cursor::{After, CursorKey};
use crate::domain::fields::FieldSet;
use crate::domain::is_public_at;
use crate::domain::rendered::RenderedPost;
use crate::domain::search::highlight::Highlights;
use crate::domain::search::index::{Matches, PostText, Rank, Suggestion};
use crate::domain::seo::{PostPages, JSON_LD_NEEDS};
use crate::domain::{
    InvalidValue, Page, PageMeta, PostDetail, PostKey, PostListQuery, PostSort, PostSummary,
    RelatedLimit, ResourceId, SearchQuery, Viewer,
};
use crate::error::ApiError;

/// Reads and writes posts through this instance's content cache, with fresh click counts.
pub struct Posts {
    pub(super) pool: DbPool,
    pub(super) content: Arc<ContentCache>,
    /// Searches and rankings wait here for one of a few slots.
    searches: SearchSlots,
    /// This instance's search index.
    search: Search,
    /// Seals and opens the cursors of post lists and revision lists.
    pub(super) cursors: CursorKey,
    pub(super) clicks: Arc<Clicks>,
    pub(super) clocks: Clocks,
    pub(super) settings: PostSettings,
}

/// What the posts service takes from the settings.
#[derive(Debug, Clone)]
pub struct PostSettings {
    /// How long a list ordered by synced click counts is kept (`CLICK_SYNC_INTERVAL_MS`).
    pub click_order_lifetime: Duration,
    /// Where a post's page is, for its JSON-LD.
    pub pages: PostPages,
    /// `POST_REVISIONS_KEEP`: the newest revisions a post keeps.
    pub revisions_keep: i64,
}

impl Posts {
    pub fn new(
        pool: DbPool,
        content: Arc<ContentCache>,
        click_service: Arc<Clicks>,
        clocks: Clocks,
        cursors: CursorKey,
        settings: PostSettings,
    ) -> Self {
        Posts {
            searches: SearchSlots::for_pool(pool.max_size()),
            search: Search::new(pool.clone(), content.clone()),
            pool,
            content,
            cursors,
            clicks: click_service,
            clocks,
            settings,
        }
    }

    /// This instance's content cache.
    pub fn content(&self) -> &Arc<ContentCache> {
        &self.content
    }

    fn counter(&self) -> &ClickCounter {
        self.clicks.counter()
    }

    /// A page of posts with fresh click counts: the page's statements, then one cache round trip and one
    /// statement for the counts, whatever the page size. With `cursor` (a `meta.next_cursor` of the same
    /// list) the page starts after the post it names.
    pub async fn list(
        &self,
        mut query: PostListQuery,
        cursor: Option<&str>,
    ) -> Result<ListedPosts, ApiError> {
        if let Some(cursor) = cursor {
            let after = self.cursors.open(&query.binding(), cursor)?;
            if !query.sort.orders_by(&after) {
                return Err(ApiError::from(InvalidValue::new(
                    "cursor",
                    "made for another sort",
                )));
            }
            query.after = Some(after);
        }
        let now = self.clocks.requests.now();
        let page = query.page;
        let searching = query.filter.search.is_some();
        let ranking = match (query.sort, query.window) {
            (PostSort::Trending, _) => Some(Ranking::Trending(hour_of(now))),
            (_, Some(window)) => Some(Ranking::Window(window.first_hour(hour_of(now)))),
            _ => None,
        };
        // A search or a ranking read from the database holds a slot while it does: a burst of them never
        // holds every connection, nor every core (the rest of the API stays responsive beside them). Waiting
        // for a slot costs nothing; they queue, and are not refused. A search page in memory costs what any
        // list page does, and takes none.
        let listed = if let Some(ranking) = ranking {
            let _slot = self.searches.take(self.pool.statement_timeout()).await?;
            self.ranked(&query, ranking, now).await?
        } else if let Some(listed) = self.content.list(&query, now) {
            listed
        } else {
            let _slot = if searching {
                Some(self.searches.take(self.pool.statement_timeout()).await?)
            } else {
                None
            };
            // One request loads a missing page; those arriving meanwhile wait, then read what it kept.
            let _turn = self.content.list_turn(&query).await;
            if let Some(listed) = self.content.list(&query, now) {
                listed
            } else if searching {
                self.load_search(&query, now).await?
            } else {
                self.load_list(&query, now).await?
            }
        };
        // The cursor holds the last post's sort key as the database ordered it (its synced count, for
        // `-clicks`; its rank, for relevance), so it is made before the counts are freshened.
        let next_cursor = listed
            .items
            .last()
            .filter(|_| listed.more && ranking.is_none())
            .map(|last| {
                let after = listed
                    .after_last
                    .clone()
                    .unwrap_or_else(|| query.sort.after(last));
                self.cursors.seal(&query.binding(), &after)
            });
        // Without `clicks` the click cache is not asked.
        let counts = if query.fields.has("clicks") {
            Some(self.fresh_counts(&listed.items).await?)
        } else {
            None
        };
        let meta = Page::new(Vec::<()>::new(), page, listed.total)
            .with_facets(listed.facets.clone())
            .by_cursor(query.after.is_some())
            .with_next_cursor(next_cursor)
            .meta;
        Ok(ListedPosts {
            listed,
            counts,
            meta,
            kept: ranking.is_none(),
        })
    }

    /// A ranking by recent clicks: it moves with every click, so it is read fresh each time, never kept.
    async fn ranked(
        &self,
        query: &PostListQuery,
        ranking: Ranking,
        now: chrono::NaiveDateTime,
    ) -> Result<Arc<ListPage>, ApiError> {
        let first_hour = ranking.first_hour();
        let rank = WindowRank {
            ranking,
            pending: self
                .counter()
                .pending_by_hour(first_hour.unwrap_or(i64::MIN), None)
                .await,
        };
        let (key, facets) = match &query.filter.search {
            Some(search) => {
                let (key, matches) = self.matched(query, search, now).await?;
                (key, Some(matches.facets))
            }
            None => (query.clone(), None),
        };
        let highlighted = query
            .filter
            .search
            .clone()
            .filter(|_| query.fields.has("highlights"));
        let mut page = run_query(&self.pool, move |conn| {
            let mut page = db::rankings::ranked(conn, &key, now, &rank)?;
            if let Some(search) = &highlighted {
                highlight(conn, search, &mut page.posts)?;
            }
            Ok(page)
        })
        .await?;
        self.place_images(&mut page.posts);
        let listed = ListPage::new(page.posts, page.total, page.more, None, None);
        Ok(Arc::new(match facets {
            Some(facets) => listed.searched(facets, None),
            None => listed,
        }))
    }

    /// `query` narrowed to the posts the index matched for `search` (for the database to order and page),
    /// and the matches.
    async fn matched(
        &self,
        query: &PostListQuery,
        search: &SearchQuery,
        now: chrono::NaiveDateTime,
    ) -> Result<(PostListQuery, Matches), ApiError> {
        let matches = self.search.matches(search, &query.filter, now).await?;
        let mut key = query.clone();
        key.filter.matched = Some(matches.ids().collect());
        Ok((key, matches))
    }

    /// Reads a search's page and keeps it in the content cache: the index ranks and filters the matches
    /// (README "Search"); the database gives the page's posts (ordered by it too, for a `sort` other than
    /// relevance) and, when `highlights` are shown, their words.
    async fn load_search(
        &self,
        query: &PostListQuery,
        now: chrono::NaiveDateTime,
    ) -> Result<Arc<ListPage>, ApiError> {
        let ticket = self.content.ticket();
        let Some(search) = query.filter.search.clone() else {
            return self.load_list(query, now).await;
        };
        let with_highlights = query.fields.has("highlights");
        let page = query.page;
        // Ranked by relevance, the page is cut by the index and the database reads its posts; in another
        // order, the database orders the matches.
        let (matches, source, after_last) = if query.sort == PostSort::Relevance {
            let (after, skip) = match &query.after {
                // A cursor is sealed: numbers that make no rank were never sealed; nothing follows them.
                Some(After::Relevance(key)) => {
                    (Some(Rank::from_key(*key).unwrap_or(Rank::LOWEST)), 0)
                }
                _ => (None, usize::try_from(page.offset()).unwrap_or(usize::MAX)),
            };
            let (matches, shown, more) = self
                .search
                .ranked_page(
                    &search,
                    &query.filter,
                    now,
                    (after, skip, page.per_page() as usize),
                )
                .await?;
            let source = Source::Ranked {
                ids: shown.iter().map(|rank| rank.id).collect(),
                total: u64::try_from(matches.len()).unwrap_or(u64::MAX),
                more,
            };
            let after_last = shown.last().map(|rank| After::Relevance(rank.to_key()));
            (matches, source, after_last)
        } else {
            let (key, matches) = self.matched(query, &search, now).await?;
            (matches, Source::Listed(Box::new(key)), None)
        };
        let fields = query.fields;
        // The index knows the next scheduled publication: no statement for it.
        let valid_until = matches.next_publication;
        let page = run_query(&self.pool, move |conn| {
            let mut page = match source {
                Source::Ranked { ids, total, more } => db::posts::PostsPage {
                    posts: db::posts::summaries_of(conn, &ids, &fields)?,
                    total,
                    more,
                },
                Source::Listed(key) => db::posts::list(conn, &key, now)?,
            };
            if with_highlights {
                highlight(conn, &search, &mut page.posts)?;
            }
            Ok(page)
        })
        .await?;
        let db::posts::PostsPage {
            mut posts,
            total,
            more,
        } = page;
        self.place_images(&mut posts);
        // Ties are broken by click counts refreshed at most this often; an order by synced counts moves
        // with the next sync.
        let expires = match query.sort {
            PostSort::MostClicked => Some(self.settings.click_order_lifetime),
            PostSort::Relevance => Some(CLICK_RANK_LIFETIME),
            _ => None,
        }
        .map(|lifetime| std::time::Instant::now() + lifetime);
        let listed = Arc::new(
            ListPage::new(posts, total, more, valid_until, expires)
                .searched(matches.facets, after_last),
        );
        self.content.keep_list(ticket, query, listed.clone());
        Ok(listed)
    }

    /// Brings the search index up to what the database holds (at start-up: every post), logging what it took.
    pub async fn build_search_index(&self) -> Result<(), ApiError> {
        let started = std::time::Instant::now();
        let built = self.search.current_size().await?;
        tracing::info!(
            posts = built.posts,
            words = built.words,
            bytes = built.bytes,
            millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "search index built"
        );
        Ok(())
    }

    /// Suggestions for an autocomplete box (README "Search"): kept until the content changes.
    pub async fn suggest(
        &self,
        query: &SearchQuery,
        limit: usize,
    ) -> Result<Arc<Vec<Suggestion>>, ApiError> {
        let now = self.clocks.requests.now();
        let name = format!("suggest\n{limit}\n{}", query.as_str());
        self.content
            .derived_or_load(name, now, || async {
                let (suggestions, valid_until) = self.search.suggest(query, limit, now).await?;
                let bytes = suggestions
                    .iter()
                    .map(|item| item.title.len() + item.slug.len() + 64)
                    .sum();
                Ok::<_, ApiError>(Loaded {
                    value: suggestions,
                    valid_until,
                    bytes,
                })
            })
            .await
    }

    /// Reads a post (whatever its status) from the database and keeps it in the content cache.
    async fn load_post(
        &self,
        key: PostKey,
        now: chrono::NaiveDateTime,
    ) -> Result<Arc<RenderedPost>, ApiError> {
        let ticket = self.content.ticket();
        let mut post = run_query(&self.pool, move |conn| {
            db::posts::find(conn, &key, false, now)
        })
        .await?
        .ok_or(ApiError::NotFound("post"))?;
        self.settings.pages.place_images(&mut post.summary);
        post.json_ld = self.settings.pages.json_ld(&post);
        let post = Arc::new(RenderedPost::new(post));
        self.content.keep_post(ticket, post.clone());
        Ok(post)
    }

    /// Reads a list page from the database and keeps it in the content cache.
    async fn load_list(
        &self,
        query: &PostListQuery,
        now: chrono::NaiveDateTime,
    ) -> Result<Arc<ListPage>, ApiError> {
        let ticket = self.content.ticket();
        let key = query.clone();
        // Ordered by synced counts, a page is kept one sync interval at most: the next sync moves the order.
        let expires = (query.sort == PostSort::MostClicked)
            .then(|| std::time::Instant::now() + self.settings.click_order_lifetime);
        let (mut page, valid_until) = run_query(&self.pool, move |conn| {
            db::posts::until_next_publication(conn, now, |conn| db::posts::list(conn, &key, now))
        })
        .await?;
        self.place_images(&mut page.posts);
        let listed = Arc::new(ListPage::new(
            page.posts,
            page.total,
            page.more,
            valid_until,
            expires,
        ));
        self.content.keep_list(ticket, query, listed.clone());
        Ok(listed)
    }

    /// The published posts related to published post `id` (README "Related posts"), with fresh click
    /// counts: from the content cache when it holds them, else ranked by the database (the counts only
    /// `with_clicks`). `NotFound` for drafts, scheduled posts and unknown ids.
    pub async fn related(
        &self,
        id: ResourceId,
        limit: RelatedLimit,
        with_clicks: bool,
    ) -> Result<Vec<PostSummary>, ApiError> {
        let now = self.clocks.requests.now();
        let (post_id, limit) = (id.get(), limit.get());
        let related = if let Some(related) = self.content.related(post_id, limit, now) {
            related
        } else {
            let ticket = self.content.ticket();
            let (posts, valid_until) = run_query(&self.pool, move |conn| {
                db::posts::until_next_publication(conn, now, |conn| {
                    db::related::related(conn, post_id, limit, now)
                })
            })
            .await?;
            let mut posts = posts.ok_or(ApiError::NotFound("post"))?;
            self.place_images(&mut posts);
            let total = u64::try_from(posts.len()).unwrap_or(0);
            let related = Arc::new(ListPage::new(posts, total, false, valid_until, None));
            self.content
                .keep_related(ticket, post_id, limit, related.clone());
            related
        };
        if with_clicks {
            self.with_fresh_counts(related.items.clone()).await
        } else {
            Ok(related.items.clone())
        }
    }

    /// Feature image URLs under `MEDIA_PUBLIC_URL` when it is set (the database reads give this API's paths).
    fn place_images(&self, posts: &mut [PostSummary]) {
        for post in posts {
            self.settings.pages.place_images(post);
        }
    }

    /// `posts` (as the content cache or the database gave them) with fresh click counts: one cache round
    /// trip and one statement for all of them.
    async fn with_fresh_counts(
        &self,
        mut posts: Vec<PostSummary>,
    ) -> Result<Vec<PostSummary>, ApiError> {
        let counts = self.fresh_counts(&posts).await?;
        for (post, count) in posts.iter_mut().zip(counts) {
            post.clicks = count;
        }
        Ok(posts)
    }

    /// The fresh count of each of `posts`, in their order (one click cache round trip; see
    /// [`ClickCounter::counts`]).
    async fn fresh_counts(&self, posts: &[PostSummary]) -> Result<Vec<i64>, ApiError> {
        let synced: HashMap<i64, i64> = posts.iter().map(|post| (post.id, post.clicks)).collect();
        let fresh = self.counter().counts(&synced).await?;
        Ok(posts
            .iter()
            .map(|post| fresh.get(&post.id).copied().unwrap_or(post.clicks))
            .collect())
    }

    /// One post read by `client`: published ones for anyone, every one for editors; `NotFound` for
    /// drafts, scheduled posts and unknown keys alike otherwise. When the read counts as a view (see
    /// [`Clicks::decide`]) it is recorded, and the count shown includes it (whatever `fields` says: a view
    /// is a view); otherwise the click cache is asked only when `fields` has `clicks`. A read of some
    /// fields only is served from the content cache when it holds the post, else reads just those columns
    /// (and is not kept).
    pub async fn read(
        &self,
        key: PostKey,
        fields: FieldSet,
        client: &Client,
    ) -> Result<PostRead, ApiError> {
        let count = self.clicks.decide(client, ViewSource::Read).await?;
        let now = self.clocks.requests.now();
        let post = match client.signals.viewer {
            // Readers are served from memory when they can; the post is kept whatever its status, and shown
            // only when published.
            Viewer::Anonymous => self.public_post(key, fields, now).await?,
            Viewer::Editor => Arc::new(self.read_fields(key, fields, now).await?),
        };
        let id = post.summary.id;
        let clicks = match count {
            Count::Record(recording) => match self.clicks.record(id, now, &recording).await? {
                Viewed::Counted(count)
                | Viewed::Limited {
                    count: Some(count), ..
                } => count,
                // Past the client's view limit the read is served, not counted.
                Viewed::Limited { count: None, .. } => self.peek(&post, fields).await?,
            },
            Count::Peek => self.peek(&post, fields).await?,
        };
        Ok(PostRead { post, clicks })
    }

    /// Only `fields` of a post, whatever its status (with what its JSON-LD needs, and that made, when it
    /// asks for `json_ld`); for one request, not kept.
    async fn read_fields(
        &self,
        key: PostKey,
        fields: FieldSet,
        now: chrono::NaiveDateTime,
    ) -> Result<RenderedPost, ApiError> {
        let wanted = needed_for(fields);
        let mut post = run_query(&self.pool, move |conn| {
            db::posts::find_fields(conn, &key, false, now, &wanted)
        })
        .await?
        .ok_or(ApiError::NotFound("post"))?;
        self.settings.pages.place_images(&mut post.summary);
        if fields.has("json_ld") {
            post.json_ld = self.settings.pages.json_ld(&post);
        }
        Ok(RenderedPost::new(post))
    }

    /// The count a read that is not counted shows: fresh when `fields` has `clicks`.
    async fn peek(&self, post: &PostDetail, fields: FieldSet) -> Result<i64, ApiError> {
        if fields.has("clicks") {
            self.counter()
                .fresh_count(post.summary.id, post.summary.clicks)
                .await
        } else {
            Ok(post.summary.clicks)
        }
    }

    /// A post as readers see it: from the content cache, else the database; `NotFound` unless public.
    async fn public_post(
        &self,
        key: PostKey,
        fields: FieldSet,
        now: chrono::NaiveDateTime,
    ) -> Result<Arc<RenderedPost>, ApiError> {
        let post = if let Some(post) = self.content.post(&key) {
            post
        } else if !fields.is_all() {
            Arc::new(self.read_fields(key, fields, now).await?)
        } else {
            // One request loads a missing post; those arriving meanwhile wait, then read what it kept.
            let _turn = self.content.post_turn(&key).await;
            if let Some(post) = self.content.post(&key) {
                post
            } else {
                self.load_post(key, now).await?
            }
        };
        let published_at = post.summary.published_at.map(|at| at.naive_utc());
        if is_public_at(published_at, now) {
            Ok(post)
        } else {
            Err(ApiError::NotFound("post"))
        }
    }
}

/// Where a search's page comes from: posts the index ranked (the page already cut), or the database's
/// order of the matches.
enum Source {
    Ranked {
        ids: Vec<i64>,
        total: u64,
        more: bool,
    },
    Listed(Box<PostListQuery>),
}

/// A page of posts as one read shows it: the posts as listed (shared with the content cache; their own counts
/// are the synced ones they were read with), the count to show for each, and the page's `meta`.
pub struct ListedPosts {
    pub listed: Arc<ListPage>,
    /// Fresh counts in the posts' order; `None` when `fields` leaves `clicks` out.
    pub counts: Option<Vec<i64>>,
    pub meta: PageMeta,
    /// Whether the page is kept for later reads (worth making its JSON once), not read for this one alone.
    pub kept: bool,
}

impl ListedPosts {
    /// The page with each post's count in place (a copy of every post).
    pub fn page(&self) -> Page<PostSummary> {
        let mut data = self.listed.items.clone();
        if let Some(counts) = &self.counts {
            for (post, count) in data.iter_mut().zip(counts) {
                post.clicks = *count;
            }
        }
        Page {
            data,
            meta: self.meta.clone(),
        }
    }
}

/// A post as one read shows it: the post (shared with the content cache, or read for this request; its own
/// count is the synced one it was read with) and the count to show.
pub struct PostRead {
    pub post: Arc<RenderedPost>,
    pub clicks: i64,
}

/// Gives each of `posts` its highlights for `search`: one statement reads their words. Run on the blocking
/// pool, with the connection: the words of 100 posts are not for the event loop.
fn highlight(
    conn: &mut db::DbConnection,
    search: &SearchQuery,
    posts: &mut [PostSummary],
) -> diesel::QueryResult<()> {
    let ids: Vec<i64> = posts.iter().map(|post| post.id).collect();
    let texts: HashMap<i64, PostText> = db::search::texts(conn, &ids)?
        .into_iter()
        .map(|text| (text.id, text))
        .collect();
    for post in posts {
        post.highlights = texts
            .get(&post.id)
            .map(|text| Highlights::of(search, &text.title, &text.body));
    }
    Ok(())
}

/// `fields` with what its JSON-LD is made from, when it asks for `json_ld`.
fn needed_for(fields: FieldSet) -> FieldSet {
    if fields.has("json_ld") {
        JSON_LD_NEEDS
            .iter()
            .fold(fields, |wanted, name| wanted.with(name))
    } else {
        fields
    }
}
