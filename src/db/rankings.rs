//! Rankings by recent clicks: `GET /posts?sort=-clicks&window=7d` and `sort=trending`. One statement sums
//! each post's clicks in the window (synced hours, rolled-up days, and the clicks the cache held when the
//! request began, bound as one parameter and joined once), one reads the ids of the posts the filters
//! match, and the page is cut from those in memory; then the page's rows and tags. The work grows with the
//! posts clicked in the window and the posts matching, never with their product.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::counters::{placeholder, unsynced_parameter, unsynced_rows};
use super::posts::{matching, search_condition, summaries_of, PostsPage};
use super::schema::{categories, post_tags, posts, tags};
use super::DbConnection;
use crate::domain::{PostFilter, PostListQuery, PostStatus};

/// A ranking by recent clicks, with the clicks the cache held by hour when the request began, as (batch
/// id, post id, hour, clicks). Those of batches the ledger holds by the time the statement runs are in the
/// database already and are not added again: the ledger is read in the same statement, so one snapshot
/// decides.
#[derive(Debug, Clone)]
pub struct WindowRank {
    pub ranking: Ranking,
    pub pending: Vec<(String, i64, i64, i64)>,
}

/// What a [`WindowRank`] orders by.
#[derive(Debug, Clone, Copy)]
pub enum Ranking {
    /// The clicks from this hour on (`None`: all time).
    Window(Option<i64>),
    /// Growth as of this hour: 7 x the clicks of the 24 hours ending with it, minus the 7 days' before.
    Trending(i64),
}

impl Ranking {
    /// The first hour whose clicks the ranking reads (`None`: all time).
    pub fn first_hour(self) -> Option<i64> {
        match self {
            Ranking::Window(first) => first,
            Ranking::Trending(hour) => Some(hour - 24 * 8 + 1),
        }
    }

    /// The first hour of the "recent" part: all of a window, the last 24 hours of trending.
    fn recent_from(self) -> Option<i64> {
        match self {
            Ranking::Window(first) => first,
            Ranking::Trending(hour) => Some(hour - 23),
        }
    }

    /// The order of a post whose clicks are `recent` (shown as `window_clicks`) and `earlier`.
    fn score(self, recent: i64, earlier: i64) -> i64 {
        match self {
            Ranking::Window(_) => recent,
            Ranking::Trending(_) => 7 * recent - earlier,
        }
    }
}

#[derive(QueryableByName)]
struct WindowClicks {
    #[diesel(sql_type = BigInt)]
    post_id: i64,
    #[diesel(sql_type = BigInt)]
    recent: i64,
    #[diesel(sql_type = BigInt)]
    earlier: i64,
}

/// Each clicked post's (recent, earlier) clicks in the ranking's window, in one statement. A rolled-up day
/// counts when it starts within the window (days are whole: a window's first day is read by the hour, or,
/// past `CLICK_STATS_RETENTION`, not at all).
fn window_clicks(
    conn: &mut DbConnection,
    rank: &WindowRank,
) -> QueryResult<HashMap<i64, (i64, i64)>> {
    let backend = conn.backend();
    let at = |number| placeholder(backend, number);
    let unsynced = unsynced_rows(backend, 1);
    let pending = unsynced_parameter(&rank.pending);
    let rows: Vec<WindowClicks> = match (rank.ranking.first_hour(), rank.ranking.recent_from()) {
        (Some(first), Some(recent)) => diesel::sql_query(format!(
            "SELECT clicked.post_id, \
               CAST(SUM(CASE WHEN clicked.hour >= {recent} THEN clicked.clicks ELSE 0 END) AS BIGINT) AS recent, \
               CAST(SUM(CASE WHEN clicked.hour < {recent} THEN clicked.clicks ELSE 0 END) AS BIGINT) AS earlier \
             FROM ( \
               SELECT post_id, hour, clicks FROM post_click_hours WHERE hour >= {first} \
               UNION ALL \
               SELECT post_id, day * 24 AS hour, clicks FROM post_click_days WHERE day * 24 >= {first} \
               UNION ALL \
               SELECT unsynced.post_id, unsynced.hour, unsynced.clicks FROM {unsynced} AS unsynced \
                WHERE unsynced.hour >= {first} \
             ) AS clicked GROUP BY clicked.post_id",
            first = at(2),
            recent = at(3),
        ))
        .bind::<Text, _>(pending)
        .bind::<BigInt, _>(first)
        .bind::<BigInt, _>(recent)
        .load(conn)?,
        // All time: the synced totals (imported clicks have no hours) and what is not synced yet.
        _ => diesel::sql_query(format!(
            "SELECT clicked.post_id, CAST(SUM(clicked.clicks) AS BIGINT) AS recent, \
               CAST(0 AS BIGINT) AS earlier \
             FROM ( \
               SELECT post_id, clicks FROM post_counters \
               UNION ALL \
               SELECT unsynced.post_id, unsynced.clicks FROM {unsynced} AS unsynced \
             ) AS clicked GROUP BY clicked.post_id"
        ))
        .bind::<Text, _>(pending)
        .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|row| (row.post_id, (row.recent, row.earlier)))
        .collect())
}

/// The ids of the posts `filter` matches at `now`, in one statement.
fn matching_ids(
    conn: &mut DbConnection,
    filter: &PostFilter,
    now: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    let backend = conn.backend();
    matching!(
        posts::table.select(posts::id).into_boxed(),
        filter,
        now,
        backend
    )
    .load(conn)
}

/// One page of the posts matching `request`, ranked by `rank` (highest first, then the highest id), each
/// with its `window_clicks`, and how many match in all.
pub fn ranked(
    conn: &mut DbConnection,
    request: &PostListQuery,
    now: NaiveDateTime,
    rank: &WindowRank,
) -> QueryResult<PostsPage> {
    let clicks = window_clicks(conn, rank)?;
    let mut order: Vec<(i64, i64)> = matching_ids(conn, &request.filter, now)?
        .into_iter()
        .map(|id| {
            let (recent, earlier) = clicks.get(&id).copied().unwrap_or((0, 0));
            (rank.ranking.score(recent, earlier), id)
        })
        .collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let total = u64::try_from(order.len()).unwrap_or(0);
    let offset = usize::try_from(request.page.offset()).unwrap_or(usize::MAX);
    let limit = usize::try_from(request.page.limit()).unwrap_or(0);
    let page: Vec<i64> = order
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(_, id)| *id)
        .collect();
    let more = order.len() > offset.saturating_add(limit);
    let mut posts = summaries_of(conn, &page, &request.fields)?;
    for post in &mut posts {
        post.window_clicks = Some(clicks.get(&post.id).map_or(0, |(recent, _)| *recent));
    }
    Ok(PostsPage { posts, total, more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trending_weighs_the_last_day_against_the_week_before() {
        let trending = Ranking::Trending(1000);
        assert_eq!(trending.first_hour(), Some(1000 - 191));
        assert_eq!(trending.recent_from(), Some(977));
        assert_eq!(
            trending.score(10, 70),
            0,
            "steady: the last day is the week's mean"
        );
        assert!(trending.score(20, 70) > 0);
        assert_eq!(Ranking::Window(Some(5)).score(12, 99), 12);
    }
}
