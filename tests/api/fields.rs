//! `fields=`: every read of posts, comments, categories and tags returns only the fields asked for (`id`
//! always), refuses unknown names, and does only the work those fields need.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::fixture::{many_posts, small_blog};
use crate::helpers::TestApp;

/// The keys of a JSON object.
fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// Each read with `fields` shows exactly those fields (and `id`), with the values the full read shows.
async fn every_read_returns_the_fields_asked_for(app: TestApp) {
    app.import(&small_blog()).await;
    let lists = [
        ("/posts", "title,slug", &["id", "title", "slug"][..]),
        ("/posts", "clicks", &["id", "clicks"][..]),
        (
            "/posts/1/related",
            "tags,category",
            &["id", "tags", "category"][..],
        ),
        (
            "/posts/1/comments",
            "author_name",
            &["id", "author_name"][..],
        ),
        (
            "/categories",
            "name,post_count",
            &["id", "name", "post_count"][..],
        ),
        ("/tags", "id", &["id"][..]),
    ];
    for (path, fields, expected) in lists {
        let whole_page = app.get_json(path).await;
        let sparse = app.get_json(&format!("{path}?fields={fields}")).await;
        assert_eq!(sparse["meta"], whole_page["meta"], "{path}");
        let (full, items) = (
            whole_page["data"].as_array().expect("data"),
            sparse["data"].as_array().expect("data"),
        );
        assert!(!items.is_empty() && items.len() == full.len(), "{path}");
        for (item, whole) in items.iter().zip(full) {
            assert_eq!(keys(item), set(expected), "{path}?fields={fields}");
            for name in expected {
                assert_eq!(item[name], whole[name], "{path} {name}");
            }
        }
    }
    let singles = [
        (
            "/posts/2",
            "title,body_html,tags",
            &["id", "title", "body_html", "tags"][..],
        ),
        ("/posts/slug/redis-counters", "slug", &["id", "slug"][..]),
        ("/categories/1", "slug", &["id", "slug"][..]),
        ("/tags/2", "post_count", &["id", "post_count"][..]),
    ];
    for (path, fields, expected) in singles {
        let full = app.get_json(path).await;
        let sparse = app.get_json(&format!("{path}?fields={fields}")).await;
        assert_eq!(keys(&sparse), set(expected), "{path}?fields={fields}");
        for name in expected {
            assert_eq!(sparse[name], full[name], "{path} {name}");
        }
    }
    // Hidden posts stay hidden however little is asked of them.
    assert_eq!(app.get("/posts/4?fields=id").await.status(), 404);
    assert_eq!(app.get("/posts/5?fields=title").await.status(), 404);
}

/// An unknown or empty field name is a 400 naming it and listing the allowed names.
async fn unknown_fields_are_refused_naming_them(app: TestApp) {
    app.import(&small_blog()).await;
    let cases = [
        (
            "/posts?fields=title,body_html",
            "body_html",
            "reading_time_minutes",
        ),
        (
            "/posts/1?fields=title,password",
            "password",
            "body_markdown",
        ),
        ("/posts/1/related?fields=nope", "nope", "comment_count"),
        ("/posts/1/comments?fields=email", "email", "author_name"),
        ("/categories?fields=posts", "posts", "post_count"),
        ("/tags/1?fields=", "empty", "post_count"),
        ("/posts?fields=id,,title", "empty", "excerpt"),
    ];
    for (path, named, allowed) in cases {
        let response = app.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
        let problem: Value = response.json().await.expect("a problem");
        let detail = problem.to_string();
        assert!(detail.contains("fields"), "{path}: {detail}");
        assert!(detail.contains(named), "{path}: {detail}");
        assert!(detail.contains(allowed), "{path}: {detail}");
    }
}

/// A list with `fields=id,title` reads no body, no tags, no comment count, and asks the click cache
/// nothing; the statements the server sent say so. The full list, for contrast, does all of that.
async fn a_sparse_read_does_only_the_work_its_fields_need(app: TestApp) {
    app.import(&many_posts(30)).await;
    app.get("/posts?per_page=1").await; // pooled connections opened
    let cache = app.clicks.cache();

    let statements_of = |path: &'static str| {
        let app = &app;
        async move {
            app.queries.record_statements();
            let round_trips = cache.round_trips();
            let response = app.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            let body: Value = response.json().await.expect("JSON");
            (
                app.queries.take_statements().join("\n"),
                cache.round_trips() - round_trips,
                body,
            )
        }
    };

    let (sql, round_trips, body) = statements_of("/posts?fields=id,title&per_page=100").await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(30));
    assert!(sql.contains("posts.title"), "the page was read: {sql}");
    for column in [
        "body_markdown",
        "body_html",
        "excerpt",
        "post_tags",
        "FROM comments",
    ] {
        assert!(!sql.contains(column), "{column} read for id,title: {sql}");
    }
    assert_eq!(round_trips, 0, "the click cache was asked");

    // One post, not in memory: no body column either, and no counts without `clicks` (a read by a client
    // that is not a browser does not count a view).
    let (sql, round_trips, body) = statements_of("/posts/7?fields=id,title").await;
    assert_eq!(keys(&body), set(&["id", "title"]));
    assert!(sql.contains("posts.title"), "{sql}");
    for column in ["body_markdown", "body_html", "post_tags", "FROM comments"] {
        assert!(!sql.contains(column), "{column} read for id,title: {sql}");
    }
    assert_eq!(round_trips, 0, "the click cache was asked");

    // The full list reads the tags and the comment counts and asks for the clicks: the click cache holds
    // none of these totals yet, so they are read (counters and ledger) and seeded, a second round trip.
    let (sql, round_trips, _) = statements_of("/posts?per_page=100").await;
    assert!(
        sql.contains("post_tags") && sql.contains("FROM comments"),
        "{sql}"
    );
    assert!(sql.contains("counter_batches"), "{sql}");
    assert_eq!(round_trips, 2);
    // With `clicks`, the counts are fresh, held by the click cache now: one round trip.
    let (_, round_trips, _) = statements_of("/posts?fields=clicks&per_page=100").await;
    assert_eq!(round_trips, 1);
}

/// Conditional requests stay right per field set: each has its own tag, and a change to a field shown
/// changes it.
async fn each_field_set_has_its_own_etag(app: TestApp) {
    app.import(&small_blog()).await;
    let etag = |path: &'static str| {
        let app = &app;
        async move {
            let response = app.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            response
                .headers()
                .get("etag")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
                .expect("an ETag")
        }
    };
    let titles = etag("/posts?fields=title").await;
    let slugs = etag("/posts?fields=slug").await;
    assert_ne!(titles, slugs);
    let response = app
        .client
        .get(format!("{}/posts?fields=title", app.address))
        .header("If-None-Match", &titles)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 304);
    let response = app
        .client
        .get(format!("{}/posts?fields=slug", app.address))
        .header("If-None-Match", &titles)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
}

crate::on_both_backends!(
    every_read_returns_the_fields_asked_for,
    unknown_fields_are_refused_naming_them,
    a_sparse_read_does_only_the_work_its_fields_need,
    each_field_set_has_its_own_etag,
);
