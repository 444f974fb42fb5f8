//! Reading posts as readers and editors see them: single posts, lists and rankings, related posts.

use std::collections::HashMap;

use std::sync::Arc;

use super::clicks::{ClickCounter, Count};
use super::content::{ContentCache, ListPage};
use crate::db::rankings::{Ranking, WindowRank};
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::{hour_of, Clock};
use crate::domain::cursor::CursorKey;
use crate::domain::fields::FieldSet;
use crate::domain::is_public_at;
use crate::domain::{
    Page, PostDetail, PostKey, PostListQuery, PostSort, PostSummary, RelatedLimit, ResourceId,
    Viewer,
};
use crate::error::ApiError;

/// A page of posts with fresh click counts: the page's statements, then one cache round trip and one
/// statement for the counts, whatever the page size.
pub async fn list_posts(
    reads: &Reads,
    clicks: &ClickCounter,
    clock: &Clock,
    query: PostListQuery,
) -> Result<Page<PostSummary>, ApiError> {
    let now = clock.now();
    let page = query.page;
    let searching = query.filter.search.is_some();
    let ranking = match (query.sort, query.window) {
        (PostSort::Trending, _) => Some(Ranking::Trending(hour_of(now))),
        (_, Some(window)) => Some(Ranking::Window(window.first_hour(hour_of(now)))),
        _ => None,
    };
    // A search or a ranking holds a slot for its whole request, served from memory or not: a burst of them
    // never holds every connection, nor every core (the rest of the API stays responsive beside them).
    // Waiting for a slot costs nothing; they queue, and are not refused.
    let _slot = if searching || ranking.is_some() {
        Some(reads.searches.take(reads.pool.statement_timeout()).await?)
    } else {
        None
    };
    let listed = if let Some(ranking) = ranking {
        // A ranking by recent clicks moves with every click: read fresh each time, never kept.
        let first_hour = ranking.first_hour();
        let rank = WindowRank {
            ranking,
            pending: clicks
                .pending_by_hour(first_hour.unwrap_or(i64::MIN), None)
                .await,
        };
        let key = query.clone();
        let page = run_query(&reads.pool, move |conn| {
            db::rankings::ranked(conn, &key, now, &rank)
        })
        .await?;
        Arc::new(ListPage {
            items: page.posts,
            total: page.total,
            more: page.more,
            valid_until: None,
            expires: None,
        })
    } else if let Some(listed) = reads.content.list(&query, now) {
        listed
    } else {
        // One request loads a missing page; those arriving meanwhile wait, then read what it kept.
        let _turn = reads.content.list_turn(&query).await;
        if let Some(listed) = reads.content.list(&query, now) {
            listed
        } else {
            load_list(reads, &query, now).await?
        }
    };
    // The cursor holds the last post's sort key as the database ordered it (its synced count, for
    // `-clicks`), so it is made before the counts are freshened.
    let next_cursor = listed
        .items
        .last()
        .filter(|_| listed.more && ranking.is_none())
        .map(|last| {
            reads
                .cursors
                .seal(&query.binding(), &query.sort.after(last))
        });
    // Without `clicks` the click cache is not asked.
    let posts = if query.fields.has("clicks") {
        with_fresh_counts(clicks, listed.items.clone()).await?
    } else {
        listed.items.clone()
    };
    let page = if searching {
        Page::counted_up_to(posts, page, listed.total, db::posts::SEARCH_COUNT_CAP)
    } else {
        Page::new(posts, page, listed.total)
    };
    Ok(page
        .by_cursor(query.after.is_some())
        .with_next_cursor(next_cursor))
}

/// Reads a post (whatever its status) from the database and keeps it in the content cache.
async fn load_post(
    reads: &Reads,
    key: PostKey,
    now: chrono::NaiveDateTime,
) -> Result<Arc<PostDetail>, ApiError> {
    let ticket = reads.content.ticket();
    let post = run_query(&reads.pool, move |conn| {
        db::posts::find(conn, &key, false, now)
    })
    .await?
    .map(Arc::new)
    .ok_or(ApiError::NotFound("post"))?;
    reads.content.keep_post(ticket, post.clone());
    Ok(post)
}

/// Reads a list page from the database and keeps it in the content cache.
async fn load_list(
    reads: &Reads,
    query: &PostListQuery,
    now: chrono::NaiveDateTime,
) -> Result<Arc<ListPage>, ApiError> {
    let ticket = reads.content.ticket();
    let key = query.clone();
    // Ordered by synced counts, a page is kept one sync interval at most: the next sync moves the order.
    let expires = (query.sort == PostSort::MostClicked)
        .then(|| std::time::Instant::now() + reads.click_order_lifetime);
    let (page, valid_until) = run_query(&reads.pool, move |conn| {
        db::posts::until_next_publication(conn, now, |conn| db::posts::list(conn, &key, now))
    })
    .await?;
    let listed = Arc::new(ListPage {
        items: page.posts,
        total: page.total,
        more: page.more,
        valid_until,
        expires,
    });
    reads.content.keep_list(ticket, query, listed.clone());
    Ok(listed)
}

/// The published posts related to published post `id` (README "Related posts"), with fresh click counts:
/// from the content cache when it holds them, else ranked by the database (the counts only `with_clicks`).
/// `NotFound` for drafts, scheduled posts and unknown ids.
pub async fn related_posts(
    reads: &Reads,
    clicks: &ClickCounter,
    clock: &Clock,
    id: ResourceId,
    limit: RelatedLimit,
    with_clicks: bool,
) -> Result<Vec<PostSummary>, ApiError> {
    let now = clock.now();
    let (post_id, limit) = (id.get(), limit.get());
    let related = if let Some(related) = reads.content.related(post_id, limit, now) {
        related
    } else {
        let ticket = reads.content.ticket();
        let (posts, valid_until) = run_query(&reads.pool, move |conn| {
            db::posts::until_next_publication(conn, now, |conn| {
                db::related::related(conn, post_id, limit, now)
            })
        })
        .await?;
        let posts = posts.ok_or(ApiError::NotFound("post"))?;
        let related = Arc::new(ListPage {
            total: u64::try_from(posts.len()).unwrap_or(0),
            items: posts,
            more: false,
            valid_until,
            expires: None,
        });
        reads
            .content
            .keep_related(ticket, post_id, limit, related.clone());
        related
    };
    if with_clicks {
        with_fresh_counts(clicks, related.items.clone()).await
    } else {
        Ok(related.items.clone())
    }
}

/// `posts` (as the content cache or the database gave them) with fresh click counts: one cache round trip
/// and one statement for all of them.
async fn with_fresh_counts(
    clicks: &ClickCounter,
    mut posts: Vec<PostSummary>,
) -> Result<Vec<PostSummary>, ApiError> {
    let synced: HashMap<i64, i64> = posts.iter().map(|post| (post.id, post.clicks)).collect();
    let fresh = clicks.counts(&synced).await?;
    for post in &mut posts {
        post.clicks = fresh.get(&post.id).copied().unwrap_or(post.clicks);
    }
    Ok(posts)
}

/// What reads of posts need beside the click counter: the pool, this instance's content cache, and the
/// search slots.
#[derive(Clone)]
pub struct Reads {
    pub pool: DbPool,
    pub content: Arc<ContentCache>,
    pub searches: super::slots::SearchSlots,
    /// Seals and opens the cursors of post and comment lists.
    pub cursors: CursorKey,
    /// How long a list ordered by synced click counts is kept (`CLICK_SYNC_INTERVAL_MS`).
    pub click_order_lifetime: std::time::Duration,
}

/// One post: published ones for anyone, every one for editors; `NotFound` for drafts, scheduled posts and
/// unknown keys alike otherwise. With [`Count::Record`] this read is a click, and the count shown includes it
/// (recorded whatever `fields` says: a view is a view); otherwise the click cache is asked only when `fields`
/// has `clicks`. A read of some fields only is served from the content cache when it holds the post, else
/// reads just those columns (and is not kept).
pub async fn get_post(
    reads: &Reads,
    clicks: &ClickCounter,
    clock: &Clock,
    key: PostKey,
    viewer: Viewer,
    count: Count,
    fields: FieldSet,
) -> Result<PostDetail, ApiError> {
    let now = clock.now();
    let mut post = match viewer {
        // Readers are served from memory when they can; the post is kept whatever its status, and shown only
        // when published.
        Viewer::Anonymous => {
            let post = if let Some(post) = reads.content.post(&key) {
                post
            } else if !fields.is_all() {
                run_query(&reads.pool, move |conn| {
                    db::posts::find_fields(conn, &key, false, now, &fields)
                })
                .await?
                .map(Arc::new)
                .ok_or(ApiError::NotFound("post"))?
            } else {
                // One request loads a missing post; those arriving meanwhile wait, then read what it kept.
                let _turn = reads.content.post_turn(&key).await;
                if let Some(post) = reads.content.post(&key) {
                    post
                } else {
                    load_post(reads, key, now).await?
                }
            };
            let published_at = post.summary.published_at.map(|at| at.naive_utc());
            if !is_public_at(published_at, now) {
                return Err(ApiError::NotFound("post"));
            }
            PostDetail::clone(&post)
        }
        Viewer::Editor => run_query(&reads.pool, move |conn| {
            db::posts::find_fields(conn, &key, false, now, &fields)
        })
        .await?
        .ok_or(ApiError::NotFound("post"))?,
    };
    let id = post.summary.id;
    post.summary.clicks = match count {
        Count::Record(reader) => clicks.record(id, now, reader.as_deref()).await?,
        Count::Peek if !fields.has("clicks") => post.summary.clicks,
        Count::Peek => {
            let fresh = clicks
                .counts(&HashMap::from([(id, post.summary.clicks)]))
                .await?;
            fresh.get(&id).copied().unwrap_or(post.summary.clicks)
        }
    };
    Ok(post)
}
