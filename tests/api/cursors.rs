//! Cursor (keyset) pagination of posts and comments: a scroll by `meta.next_cursor` shows what one long page
//! shows, sees each post once while posts are published and deleted, and a cursor only continues the list
//! it was made for.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::fixture::tied_posts;
use crate::helpers::{TestApp, TestBackend};
use crate::post_writes::{send, token};

const SORTS: [&str; 4] = ["-published_at", "published_at", "-clicks", "title"];

fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["id"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

/// GET `path` (as an editor with `token`), which must answer 200: the body and the `Link` header.
async fn page(app: &TestApp, path: &str, token: Option<&str>) -> (Value, String) {
    let response = send(app, reqwest::Method::GET, path, token, None).await;
    assert_eq!(response.status(), 200, "GET {path}");
    let link = response
        .headers()
        .get("link")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (response.json().await.expect("JSON"), link)
}

/// The query string of `path` with `cursor` set.
fn with_cursor(path: &str, cursor: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            !pair.is_empty() && !pair.starts_with("cursor=") && !pair.starts_with("page=")
        })
        .collect();
    if kept.is_empty() {
        format!("{base}?cursor={cursor}")
    } else {
        format!("{base}?{}&cursor={cursor}", kept.join("&"))
    }
}

/// Every item of `path` (a list with `per_page`), page by page through `meta.next_cursor`; checks each
/// page's `Link` rel="next" says the same.
async fn scroll(app: &TestApp, path: &str, token: Option<&str>) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut next = path.to_owned();
    for _ in 0..100 {
        let (body, link) = page(app, &next, token).await;
        seen.extend(ids(&body));
        let Some(cursor) = body["meta"]["next_cursor"].as_str() else {
            assert!(!link.contains("rel=\"next\""), "{next}: {link}");
            return seen;
        };
        // A page reached by cursor links the next by cursor (one by number links the next by number).
        if next.contains("cursor=") {
            assert!(
                link.contains(&format!("cursor={cursor}>; rel=\"next\"")),
                "{next}: {link}"
            );
        }
        next = with_cursor(path, cursor);
        let (after, _) = page(app, &next, token).await;
        assert!(after["meta"]["page"].is_null(), "{next}: {after}");
    }
    panic!("{path} did not end");
}

/// For every sort, published or all (drafts too, for an editor), the pages by cursor are one long page.
async fn cursor_pages_walk_every_order_like_one_long_page(app: TestApp) {
    app.import(&tied_posts(40)).await;
    let editor = token(&app);
    for sort in SORTS {
        for (status, token) in [("", None), ("&status=all", Some(editor.as_str()))] {
            let (whole, _) = page(
                &app,
                &format!("/posts?sort={sort}&per_page=100{status}"),
                token,
            )
            .await;
            let whole = ids(&whole);
            assert_eq!(
                whole.len(),
                if token.is_some() { 40 } else { 36 },
                "{sort}{status}"
            );
            let scrolled = scroll(
                &app,
                &format!("/posts?sort={sort}&per_page=7{status}"),
                token,
            )
            .await;
            assert_eq!(scrolled, whole, "{sort}{status}");
            // Fields and filters combine with cursors.
            let titles = scroll(
                &app,
                &format!("/posts?sort={sort}&per_page=5&fields=id&tag=one{status}"),
                token,
            )
            .await;
            assert_eq!(titles, whole, "{sort}{status} fields=id");
        }
    }
    // A search too.
    let (whole, _) = page(&app, "/posts?q=tied&sort=title&per_page=100", None).await;
    assert_eq!(
        scroll(&app, "/posts?q=tied&sort=title&per_page=6", None).await,
        ids(&whole)
    );
}

/// Scrolling while an editor publishes posts (dated inside the list too) and deletes some, seen and not
/// yet seen: no post is shown twice, and every post that was there before and is still there is shown.
async fn scrolling_while_posts_come_and_go_sees_each_once(app: TestApp) {
    app.import(&tied_posts(40)).await;
    let editor = token(&app);
    let mut fresh = 0;
    for sort in SORTS {
        let (whole, _) = page(&app, &format!("/posts?sort={sort}&per_page=100"), None).await;
        let before = ids(&whole);
        let mut seen: Vec<i64> = Vec::new();
        let mut deleted_unseen: HashSet<i64> = HashSet::new();
        let path = format!("/posts?sort={sort}&per_page=7");
        let mut next = path.clone();
        loop {
            let (body, _) = page(&app, &next, None).await;
            seen.extend(ids(&body));
            // Between pages: a post dated in the middle of the list, one dated now, and two deletions.
            for published_at in ["2021-01-07T08:00:00Z", "2026-01-01T00:00:00Z"] {
                fresh += 1;
                let created = send(
                    &app,
                    reqwest::Method::POST,
                    "/posts",
                    Some(&editor),
                    Some(json!({"title": format!("Fresh {fresh}"), "author": "Ed",
                        "body_markdown": "New.", "tags": ["one"], "published_at": published_at})),
                )
                .await;
                assert_eq!(created.status(), 201);
            }
            let unseen = before
                .iter()
                .rev()
                .find(|id| !seen.contains(id) && !deleted_unseen.contains(id))
                .copied();
            let seen_one = seen.first().copied();
            for id in unseen.into_iter().chain(seen_one) {
                let path = format!("/posts/{id}");
                let deleted = send(&app, reqwest::Method::DELETE, &path, Some(&editor), None).await;
                if deleted.status() == 204 && unseen == Some(id) {
                    deleted_unseen.insert(id);
                }
            }
            let Some(cursor) = body["meta"]["next_cursor"].as_str() else {
                break;
            };
            next = with_cursor(&path, cursor);
        }
        let distinct: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            seen.len(),
            "{sort}: a post shown twice: {seen:?}"
        );
        for id in &before {
            assert!(
                distinct.contains(id) || deleted_unseen.contains(id),
                "{sort}: post {id} was skipped; seen {seen:?}"
            );
        }
        // Start the next order from a blog as big again.
        app.import(&tied_posts(40)).await;
    }
}

/// Another task publishes posts and deletes one while a reader scrolls every order by cursor, 7 a page:
/// each post that was there before the scroll and was not deleted is seen exactly once.
async fn a_scroll_beside_a_publishing_task_sees_each_post_once(app: TestApp) {
    app.import(&tied_posts(40)).await;
    let editor = token(&app);
    for sort in SORTS {
        let (whole, _) = page(&app, &format!("/posts?sort={sort}&per_page=100"), None).await;
        let before = ids(&whole);
        let victim = before[before.len() / 2];
        let done = std::sync::atomic::AtomicBool::new(false);
        let made = std::sync::atomic::AtomicUsize::new(0);
        let publisher = async {
            let mut published = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                published += 1;
                let at = if published % 2 == 0 {
                    "2021-01-06T08:00:00Z"
                } else {
                    "2026-01-01T00:00:00Z"
                };
                let created = send(
                    &app,
                    reqwest::Method::POST,
                    "/posts",
                    Some(&editor),
                    Some(
                        json!({"title": format!("Racing {sort} {published}"), "author": "Ed",
                        "body_markdown": "New.", "published_at": at}),
                    ),
                )
                .await;
                assert_eq!(created.status(), 201);
                if published == 3 {
                    let path = format!("/posts/{victim}");
                    let deleted =
                        send(&app, reqwest::Method::DELETE, &path, Some(&editor), None).await;
                    assert_eq!(deleted.status(), 204);
                }
                made.store(published, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            published
        };
        let reader = async {
            let path = format!("/posts?sort={sort}&per_page=7");
            let mut seen = Vec::new();
            let mut next = path.clone();
            loop {
                let (body, _) = page(&app, &next, None).await;
                seen.extend(ids(&body));
                // Between two pages the publisher writes at least once more (however slow a write is).
                let before_page = made.load(std::sync::atomic::Ordering::SeqCst);
                let deadline = std::time::Instant::now() + Duration::from_secs(10);
                while made.load(std::sync::atomic::Ordering::SeqCst) == before_page
                    && std::time::Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let Some(cursor) = body["meta"]["next_cursor"].as_str() else {
                    break;
                };
                next = with_cursor(&path, cursor);
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            seen
        };
        let (published, seen) = futures::join!(publisher, reader);
        assert!(
            published >= 3,
            "{sort}: the publisher ran {published} times"
        );
        for id in &before {
            let times = seen.iter().filter(|seen| *seen == id).count();
            if *id != victim {
                assert_eq!(times, 1, "{sort}: post {id} seen {times} times in {seen:?}");
            }
        }
        let distinct: HashSet<&i64> = seen.iter().collect();
        assert_eq!(distinct.len(), seen.len(), "{sort}: {seen:?}");
        app.import(&tied_posts(40)).await;
    }
}

/// A cursor continues only its own list: another sort, another filter, a changed or cut cursor, one with
/// `page`, one of another list or another deployment are each a 400 naming `cursor`, never a 500.
async fn a_cursor_only_continues_its_own_list(app: TestApp) {
    app.import(&tied_posts(40)).await;
    let (body, _) = page(&app, "/posts?sort=title&per_page=5", None).await;
    let cursor = body["meta"]["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_owned();
    let (comments, _) = page(&app, "/posts/1/comments?per_page=5", None).await;
    let comment_cursor = comments["meta"]["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_owned();
    assert_eq!(
        app.get(&format!("/posts?sort=title&cursor={cursor}"))
            .await
            .status(),
        200
    );
    let mut flipped = cursor.clone().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ASCII");
    let cut = &cursor[..cursor.len() - 4];
    let other = TestApp::spawn(app.backend).await.expect("another app");
    other.import(&tied_posts(40)).await;
    let bad = [
        (&app, format!("/posts?sort=-clicks&cursor={cursor}")),
        (&app, format!("/posts?cursor={cursor}")),
        (&app, format!("/posts?sort=title&tag=one&cursor={cursor}")),
        (&app, format!("/posts?sort=title&q=tied&cursor={cursor}")),
        (&app, format!("/posts?sort=title&cursor={flipped}")),
        (&app, format!("/posts?sort=title&cursor={cut}")),
        (&app, String::from("/posts?sort=title&cursor=%00%FF")),
        (&app, String::from("/posts?sort=title&cursor=")),
        (&app, format!("/posts?sort=title&page=2&cursor={cursor}")),
        (&app, format!("/posts?sort=title&cursor={comment_cursor}")),
        (&app, format!("/posts/1/comments?cursor={cursor}")),
        (&app, format!("/posts/2/comments?cursor={comment_cursor}")),
        (&other, format!("/posts?sort=title&cursor={cursor}")),
    ];
    for (app, path) in bad {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("application/problem+json"),
            "{path}"
        );
        let problem: Value = response.json().await.expect("a problem");
        assert!(problem.to_string().contains("cursor"), "{path}: {problem}");
    }
}

/// Comments scroll by cursor too, for readers (approved) and editors (every status).
async fn comments_scroll_by_cursor(app: TestApp) {
    app.import(&tied_posts(40)).await;
    let editor = token(&app);
    for (status, token) in [("", None), ("&status=all", Some(editor.as_str()))] {
        let (whole, _) = page(
            &app,
            &format!("/posts/1/comments?per_page=100{status}"),
            token,
        )
        .await;
        let whole = ids(&whole);
        assert_eq!(whole.len(), if token.is_some() { 40 } else { 34 });
        let scrolled = scroll(
            &app,
            &format!("/posts/1/comments?per_page=7{status}"),
            token,
        )
        .await;
        assert_eq!(scrolled, whole, "{status}");
    }
}

crate::on_both_backends!(
    cursor_pages_walk_every_order_like_one_long_page,
    scrolling_while_posts_come_and_go_sees_each_once,
    a_scroll_beside_a_publishing_task_sees_each_post_once,
    a_cursor_only_continues_its_own_list,
    comments_scroll_by_cursor,
);

/// On PostgreSQL, an index serves each order's keyset condition: with sequential scans off, each plan reads
/// the order's index (and sorts nothing).
#[actix_web::test]
async fn postgres_plans_read_each_keyset_from_its_index() {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }

    let Some(app) = TestApp::spawn(TestBackend::Postgres).await else {
        return;
    };
    app.import(&tied_posts(40)).await;
    let joined = "SELECT posts.id FROM posts LEFT JOIN categories ON categories.id = posts.category_id \
                  LEFT JOIN post_counters ON post_counters.post_id = posts.id WHERE posts.published_at <= now()";
    let cases = [
        (
            format!("{joined} AND (posts.published_at, posts.id) < ('2021-01-05 08:00:00', 12) \
                     ORDER BY posts.published_at DESC, posts.id DESC LIMIT 8"),
            "posts_published_at_idx",
        ),
        (
            format!("{joined} AND ((posts.published_at, posts.id) > ('2021-01-05 08:00:00', 12) \
                     OR posts.published_at IS NULL) ORDER BY posts.published_at ASC, posts.id ASC LIMIT 8"),
            "posts_published_at_idx",
        ),
        (
            format!("{joined} AND (LOWER(posts.title), posts.id) > (LOWER('Tied title 3'), 12) \
                     ORDER BY LOWER(posts.title) ASC, posts.id ASC LIMIT 8"),
            "posts_title_keyset_idx",
        ),
        (
            format!("{joined} AND post_counters.clicks IS NOT NULL \
                     AND (post_counters.clicks, post_counters.post_id) < (3, 12) \
                     ORDER BY post_counters.clicks DESC, post_counters.post_id DESC LIMIT 8"),
            "post_counters_keyset_idx",
        ),
        (
            String::from(
                "SELECT id FROM comments WHERE post_id = 1 AND status IN ('approved') \
                 AND (created_at, id) > ('2024-01-01 00:03:00', 12) ORDER BY created_at, id LIMIT 8",
            ),
            "comments_post_keyset_idx",
        ),
    ];
    let mut conn = app.pool.get().expect("a connection");
    let blog_api::db::DbConnection::Pg(pg) = &mut *conn else {
        panic!("a PostgreSQL connection");
    };
    diesel::sql_query("SET enable_seqscan = off")
        .execute(pg)
        .expect("set");
    for (query, index) in cases {
        let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN {query}"))
            .load(pg)
            .expect("a plan");
        let plan: Vec<String> = plan.into_iter().map(|line| line.line).collect();
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{query}\n{plan}");
        assert!(!plan.contains("Sort"), "{query}\n{plan}");
    }
    diesel::sql_query("RESET enable_seqscan")
        .execute(pg)
        .expect("reset");
}
