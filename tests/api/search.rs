//! Search (README "Search"): the relevance test set over the sample blog, highlights, facets, suggestions,
//! scrolling a ranking, and the index following writes, on both backends.

use serde_json::{json, Value};

use crate::fixture::{sample_blog, small_blog};
use crate::helpers::TestApp;
use crate::post_writes::{send, token};

/// The relevance test set: its posts and tag added to the sample blog.
fn relevance_set() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/relevance.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the relevance set")).expect("JSON")
}

fn slugs(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|posts| {
            posts
                .iter()
                .filter_map(|post| post["slug"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn folded(text: &str) -> String {
    blog_api::domain::search::text::tokens(text)
        .into_iter()
        .map(|token| token.word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whatever `expected` says of the answer to its query, or why not.
fn judged(expected: &Value, body: &Value) -> Result<(), String> {
    let found = slugs(body);
    if let Some(first) = expected["first"].as_array() {
        let first: Vec<&str> = first.iter().filter_map(Value::as_str).collect();
        if found
            .iter()
            .take(first.len())
            .map(String::as_str)
            .ne(first.iter().copied())
        {
            return Err(format!(
                "first {first:?}, got {:?}",
                &found[..found.len().min(first.len() + 2)]
            ));
        }
    }
    for excluded in expected["excludes"].as_array().into_iter().flatten() {
        if found
            .iter()
            .any(|slug| Some(slug.as_str()) == excluded.as_str())
        {
            return Err(format!("{excluded} must not be found"));
        }
    }
    if let Some(words) = expected["titles_contain"].as_array() {
        let titles = body["data"].as_array().cloned().unwrap_or_default();
        if titles.len() < 10 {
            return Err(format!("only {} results", titles.len()));
        }
        for post in titles.iter().take(10) {
            let title = folded(post["title"].as_str().unwrap_or_default());
            let words: Vec<&str> = words.iter().filter_map(Value::as_str).collect();
            if !words
                .iter()
                .all(|word| title.split(' ').any(|have| have == *word))
            {
                return Err(format!("{title:?} lacks one of {words:?}"));
            }
        }
    }
    if expected["none"] == true && !found.is_empty() {
        return Err(format!("expected nothing, got {found:?}"));
    }
    if expected["some"] == true && found.is_empty() {
        return Err(String::from("expected results"));
    }
    Ok(())
}

async fn the_relevance_set_ranks_as_written(app: TestApp) {
    let Some(sample) = sample_blog() else {
        return;
    };
    let set = relevance_set();
    let mut blog: Value = serde_json::from_str(&sample).expect("the sample blog");
    for (list, extra) in [("tags", &set["tags"]), ("posts", &set["posts"])] {
        let added = extra.as_array().cloned().unwrap_or_default();
        if let Some(items) = blog[list].as_array_mut() {
            items.extend(added);
        }
    }
    for post in blog["posts"].as_array_mut().into_iter().flatten() {
        post["author"] = post.get("author").cloned().unwrap_or(json!("Ada"));
    }
    app.import(&blog.to_string()).await;
    let mut failures = Vec::new();
    let queries = set["queries"].as_array().cloned().unwrap_or_default();
    assert!(queries.len() >= 30, "at least 30 queries");
    for expected in &queries {
        let q = expected["q"].as_str().unwrap_or_default();
        let path = format!("/posts?per_page=20&fields=slug,title&q={}", urlencoding(q));
        let response = app.get(&path).await;
        if response.status() != 200 {
            failures.push(format!("{q:?}: status {}", response.status()));
            continue;
        }
        let body: Value = response.json().await.expect("JSON");
        if let Err(why) = judged(expected, &body) {
            failures.push(format!("{q:?}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn urlencoding(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn results_carry_escaped_highlights_and_facets(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let created = send(
        &app,
        reqwest::Method::POST,
        "/posts",
        Some(&token),
        Some(json!({
            "title": "<b>Redis</b> & friends",
            "body_markdown": format!("{} Then redis latency, measured. {}", "Intro words. ".repeat(40), "More text. ".repeat(40)),
            "author": "Ann",
            "category": "databases",
            "tags": ["redis"],
            "published_at": "2024-05-01T00:00:00Z"
        })),
    )
    .await;
    assert_eq!(created.status(), 201);
    let body = app.get_json("/posts?q=redis+latency").await;
    let first = &body["data"][0];
    assert_eq!(first["title"], "<b>Redis</b> & friends", "both words first");
    assert_eq!(
        first["highlights"]["title"],
        "&lt;b&gt;<mark>Redis</mark>&lt;/b&gt; &amp; friends"
    );
    let excerpt = first["highlights"]["excerpt"].as_str().unwrap_or_default();
    assert!(
        excerpt.contains("<mark>redis</mark> <mark>latency</mark>") && excerpt.starts_with("… "),
        "{excerpt}"
    );
    assert!(
        excerpt
            .replace("<mark>", "")
            .replace("</mark>", "")
            .chars()
            .count()
            <= 300,
        "{excerpt}"
    );
    // Facets: every match of `q`, each facet without its own filter.
    let in_programming = app.get_json("/posts?q=redis&category=programming").await;
    assert_eq!(
        in_programming["meta"]["total"], 0,
        "{}",
        in_programming["meta"]
    );
    assert_eq!(
        in_programming["meta"]["facets"]["categories"],
        json!([{"slug": "databases", "count": 2}])
    );
    let facets = &app.get_json("/posts?q=redis").await["meta"]["facets"];
    assert_eq!(
        facets["tags"],
        json!([{"slug": "redis", "count": 2}, {"slug": "rust", "count": 1}])
    );
    // Selected with `fields`; absent without `q`.
    let only = app.get_json("/posts?q=redis&fields=highlights").await;
    assert_eq!(
        only["data"][0]
            .as_object()
            .map(|post| post.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["highlights".to_owned(), "id".to_owned()])
    );
    let plain = app.get_json("/posts").await;
    assert!(plain["data"][0].get("highlights").is_none() && plain["meta"].get("facets").is_none());
    // `relevance` needs `q`; every other sort works with it.
    assert_eq!(app.get("/posts?sort=relevance").await.status(), 400);
    let by_title = app.get_json("/posts?q=redis&sort=title").await;
    assert_eq!(by_title["data"][0]["title"], "<b>Redis</b> & friends");
    assert!(by_title["data"][0]["highlights"]["title"].is_string());
    let trending = app.get_json("/posts?q=redis&sort=trending").await;
    assert_eq!(trending["meta"]["total"], 2, "{}", trending["meta"]);
    assert!(
        trending["data"][0]["highlights"]["title"].is_string(),
        "{}",
        trending["data"][0]
    );
    assert_eq!(trending["meta"]["facets"]["tags"][0]["slug"], "redis");
}

async fn a_ranking_scrolls_by_cursor_showing_each_match_once(app: TestApp) {
    app.import(&crate::fixture::many_posts(60)).await;
    let whole = app.get_json("/posts?q=post+number+1&per_page=100").await;
    let expected = slugs(&whole);
    assert_eq!(expected.len(), 60);
    assert_eq!(expected[0], "post-1", "all words, whole, first");
    let mut seen = Vec::new();
    let mut path = String::from("/posts?q=post+number+1&per_page=7");
    loop {
        let page = app.get_json(&path).await;
        seen.extend(slugs(&page));
        match page["meta"]["next_cursor"].as_str() {
            Some(cursor) => path = format!("/posts?q=post+number+1&per_page=7&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

async fn suggestions_complete_published_titles_and_names(app: TestApp) {
    app.import(&small_blog()).await;
    let body = app.get_json("/search/suggest?q=re").await;
    let shown: Vec<(String, String)> = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| {
            (
                item["kind"].as_str().unwrap_or_default().to_owned(),
                item["title"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    // The tag named "redis", then the post with Redis in its title; the draft about Redis never.
    assert_eq!(
        shown,
        [
            ("tag".to_owned(), "redis".to_owned()),
            ("post".to_owned(), "Counting clicks with Redis".to_owned())
        ]
    );
    let hello = app.get_json("/search/suggest?q=hello+ru&limit=1").await;
    assert_eq!(
        hello["data"],
        json!([{"kind": "post", "id": 1, "slug": "hello-rust", "title": "Hello Rust"}])
    );
    let future = app.get_json("/search/suggest?q=futu").await;
    assert_eq!(
        future["data"],
        json!([]),
        "a scheduled post is never suggested"
    );
    for bad in [
        "/search/suggest",
        "/search/suggest?q=",
        "/search/suggest?q=re&limit=11",
        "/search/suggest?q=re&limit=0",
    ] {
        assert_eq!(app.get(bad).await.status(), 400, "{bad}");
    }
}

async fn the_index_follows_writes_at_once(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    assert!(slugs(&app.get_json("/posts?q=quokka").await).is_empty());
    let created: Value = send(
        &app,
        reqwest::Method::POST,
        "/posts",
        Some(&token),
        Some(json!({"title": "Quokka facts", "author": "Ann", "body_markdown": "Small and happy.", "published_at": "2024-05-01T00:00:00Z"})),
    )
    .await
    .json()
    .await
    .expect("JSON");
    let path = format!("/posts/{}", created["id"]);
    assert_eq!(
        slugs(&app.get_json("/posts?q=quokka").await),
        ["quokka-facts"]
    );
    send(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"title": "Wombat facts"})),
    )
    .await;
    assert!(slugs(&app.get_json("/posts?q=quokka").await).is_empty());
    assert_eq!(
        slugs(&app.get_json("/posts?q=wombat").await),
        ["quokka-facts"]
    );
    // A renamed tag is searched by its new name.
    let renamed = send(
        &app,
        reqwest::Method::PATCH,
        "/tags/2",
        Some(&token),
        Some(json!({"name": "valkey"})),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(
        slugs(&app.get_json("/posts?q=valkey").await),
        ["redis-counters"]
    );
    send(&app, reqwest::Method::DELETE, &path, Some(&token), None).await;
    assert!(slugs(&app.get_json("/posts?q=wombat").await).is_empty());
}

crate::on_both_backends!(
    the_relevance_set_ranks_as_written,
    results_carry_escaped_highlights_and_facets,
    a_ranking_scrolls_by_cursor_showing_each_match_once,
    suggestions_complete_published_titles_and_names,
    the_index_follows_writes_at_once,
);
