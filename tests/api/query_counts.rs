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

crate::on_both_backends!(a_list_page_costs_the_same_for_1_and_100_posts);
