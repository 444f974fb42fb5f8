//! A list page costs the same number of SQL statements whatever its size (no query per post), and one
//! click-cache round trip; served again from the content cache, with every total held by the click cache, it
//! costs no statement at all. A total the click cache does not hold yet costs one statement for all of a
//! page's posts (counters and ledger) and a second round trip (the seed). Taxonomy pages, which carry no
//! clicks, cost nothing when served again.

use crate::fixture::many_posts;
use crate::helpers::TestApp;

/// (SQL statements, cache round trips) that serving `path` to a browser cost.
async fn cost_of(app: &TestApp, path: &str) -> (u64, u64) {
    let cache = app.clicks.cache();
    let (statements, round_trips) = (app.queries.get(), cache.round_trips());
    let response = app.view(path).await;
    assert_eq!(response.status(), 200, "{path}");
    (
        app.queries.get() - statements,
        cache.round_trips() - round_trips,
    )
}

async fn a_list_page_costs_the_same_for_1_and_100_posts(app: TestApp) {
    app.import(&many_posts(120)).await;
    // Warm-up: pooled connections opened, Redis scripts loaded. The first page's totals are not held yet:
    // the page (count, page, tags, the next scheduled publication), counters + ledger for its posts, and
    // a second round trip to seed them.
    assert_eq!(cost_of(&app, "/posts?per_page=100").await.1, 2);
    assert_eq!(cost_of(&app, "/posts?per_page=100").await, (0, 1));
    assert_eq!(
        cost_of(&app, "/posts?per_page=100&page=2").await,
        (5, 2),
        "20 posts whose totals are not held yet: one statement and one seed for all of them"
    );
    // A search, once: the search index is built (every post's stamp in three statements, their words in one).
    cost_of(&app, "/posts?per_page=1&q=generated").await;
    for filters in [
        "",
        "&tag=one",
        "&category=general&sort=-clicks",
        "&q=generated&sort=title",
    ] {
        app.content.invalidate();
        let one = cost_of(&app, &format!("/posts?per_page=1{filters}")).await;
        app.content.invalidate();
        let hundred = cost_of(&app, &format!("/posts?per_page=100{filters}")).await;
        assert_eq!(one, hundred, "filters {filters:?}");
        // count, page, tags, the next scheduled publication; every post's count from the click cache in one
        // round trip. A search asks whether the content changed since its index was brought up to date (the
        // content version, which the drop did not move) and reads the words of the page for its highlights,
        // but takes the next scheduled publication from its index.
        let search = u64::from(filters.contains("q="));
        assert_eq!(
            hundred,
            (4 + search, 1),
            "statements and round trips for a page of 100 ({filters:?})"
        );
        // Again: the page from memory, the counts from the click cache: no statement at all.
        let again = cost_of(&app, &format!("/posts?per_page=100{filters}")).await;
        assert_eq!(again, (0, 1), "a cached page of 100 ({filters:?})");
    }
    // A counted view of a post not in memory: the post and its tags, then the record script (its total is
    // held). Again: the record script alone.
    assert_eq!(cost_of(&app, "/posts/1").await, (2, 1));
    assert_eq!(cost_of(&app, "/posts/1").await, (0, 1));
    assert_eq!(
        cost_of(&app, "/posts/1/comments?per_page=100").await,
        (3, 0)
    );
    // The page, the next scheduled publication; then from memory.
    assert_eq!(cost_of(&app, "/categories?per_page=100").await, (3, 0));
    assert_eq!(cost_of(&app, "/categories?per_page=100").await, (0, 0));
    assert_eq!(cost_of(&app, "/tags/1").await, (2, 0));
    assert_eq!(cost_of(&app, "/tags/1").await, (0, 0));
}

/// Twenty views of `path` at once, each answered 200.
async fn together(app: &TestApp, path: &str) {
    futures::future::join_all((0..20).map(|_| async {
        let response = app.view(path).await;
        assert_eq!(response.status(), 200, "{path}");
    }))
    .await;
}

/// Requests that miss the content cache together (after a write dropped it, say) read the database once:
/// one loads the page or post, the others wait for it and are served what it kept.
async fn requests_missing_the_cache_together_load_it_once(first: TestApp) {
    // Past CONTENT_CACHE_MAX_STALENESS_MS without a successful version check, reads bypass the cache by
    // design (tested in content_cache.rs); on a machine busy with the whole suite a check can come late,
    // which would be counted here as a second load. This test is about loading once, so the bound is wide.
    let app = first
        .another_instance(crate::helpers::TestOptions {
            content_cache_max_staleness: std::time::Duration::from_secs(600),
            ..crate::helpers::TestOptions::default()
        })
        .await;
    app.import(&many_posts(120)).await;
    // Pooled connections opened, Redis scripts loaded, and every post's total held by the click cache: what
    // is measured below is loading the content.
    app.view("/posts?per_page=100").await;
    app.view("/posts?per_page=100&page=2").await;
    // The search index, built.
    app.view("/posts?per_page=1&q=generated").await;
    app.content.invalidate();
    let before = app.queries.get();
    together(&app, "/posts?per_page=100&q=generated&sort=title").await;
    // once: whether the content changed since the search index was brought up to date, then count, page,
    // tags and the page's words (for its highlights; the next publication is the index's); the counts from
    // the click cache
    assert_eq!(app.queries.get() - before, 5);
    let before = app.queries.get();
    together(&app, "/posts/7").await;
    // post and tags once; each view one script call
    assert_eq!(app.queries.get() - before, 2);
}

crate::on_both_backends!(
    a_list_page_costs_the_same_for_1_and_100_posts,
    requests_missing_the_cache_together_load_it_once,
);
