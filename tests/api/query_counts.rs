//! A list page costs the same number of SQL statements whatever its size (no query per post), and one
//! click-cache round trip; served again from the content cache, it costs one statement (the counts).
//! Taxonomy pages, which carry no clicks, cost nothing when served again.

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
    // Warm up: pooled connections opened, Redis scripts loaded.
    app.view("/posts").await;
    app.view("/posts/1").await;
    for filters in [
        "",
        "&tag=one",
        "&category=general&sort=-clicks",
        "&q=generated&sort=title",
    ] {
        let one = cost_of(&app, &format!("/posts?per_page=1{filters}")).await;
        let hundred = cost_of(&app, &format!("/posts?per_page=100{filters}")).await;
        assert_eq!(one, hundred, "filters {filters:?}");
        // count, page, tags, the next scheduled publication, then counters + ledger; one cache round trip
        // for all the posts' clicks
        assert_eq!(
            hundred,
            (5, 1),
            "statements and round trips for a page of 100 ({filters:?})"
        );
        // Again: the page from memory, only the counts fresh.
        let again = cost_of(&app, &format!("/posts?per_page=100{filters}")).await;
        assert_eq!(again, (1, 1), "a cached page of 100 ({filters:?})");
    }
    // A counted view of a post read before (the warm-up): the record script, then counters + ledger.
    assert_eq!(cost_of(&app, "/posts/1").await, (1, 1));
    // Of a post not in memory yet: the post and its tags too.
    assert_eq!(cost_of(&app, "/posts/2").await, (3, 1));
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
    app.view("/posts?per_page=1").await; // pooled connections opened, Redis scripts loaded
    let before = app.queries.get();
    together(&app, "/posts?per_page=100&q=generated&sort=title").await;
    // count, page, tags, next publication once; then each request's counts
    assert_eq!(app.queries.get() - before, 4 + 20);
    let before = app.queries.get();
    together(&app, "/posts/7").await;
    // post and tags once; then each view's counts
    assert_eq!(app.queries.get() - before, 2 + 20);
}

crate::on_both_backends!(
    a_list_page_costs_the_same_for_1_and_100_posts,
    requests_missing_the_cache_together_load_it_once,
);
