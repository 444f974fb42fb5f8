//! `POST /posts`, `PATCH /posts/{id}`, `DELETE /posts/{id}`: tokens, validation, conflicts, If-Match, and
//! what anonymous readers see at each step of a post's life.

use serde_json::{json, Value};

use crate::fixture::small_blog;
use crate::helpers::TestApp;

pub fn token(app: &TestApp) -> String {
    let mut conn = app.pool.get().expect("connection");
    let name = blog_api::domain::token::TokenName::parse(&format!(
        "editor-{}",
        uuid::Uuid::new_v4().simple()
    ))
    .expect("name");
    blog_api::service::tokens::create(&mut conn, &name).expect("token")
}

pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("answers")
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.expect("problem JSON")
}

async fn writes_need_a_valid_token(app: TestApp) {
    app.import(&small_blog()).await;
    let body = json!({"title": "T", "author": "A", "body_markdown": "B"});
    for token in [None, Some("blog_nope")] {
        let created = send(
            &app,
            reqwest::Method::POST,
            "/posts",
            token,
            Some(body.clone()),
        )
        .await;
        let challenge = created.headers()["www-authenticate"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        problem(created, 401).await;
        problem(
            send(
                &app,
                reqwest::Method::PATCH,
                "/posts/1",
                token,
                Some(json!({"title": "x"})),
            )
            .await,
            401,
        )
        .await;
        problem(
            send(&app, reqwest::Method::DELETE, "/posts/1", token, None).await,
            401,
        )
        .await;
    }
    assert_eq!(app.get_json("/posts/1").await["title"], "Hello Rust");
}

async fn a_post_is_created_with_a_generated_slug_and_location(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let body = json!({
        "title": "Hello Rust", "author": "Ann", "body_markdown": "First *post*.",
        "category": "programming", "tags": ["rust", "redis"], "published_at": "2024-05-01T08:00:00Z"
    });
    let created = send(
        &app,
        reqwest::Method::POST,
        "/posts",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(created.headers().contains_key("etag"));
    let post: Value = created.json().await.expect("JSON");
    assert_eq!(location, format!("/posts/{}", post["id"]));
    assert_eq!(
        post["slug"], "hello-rust-2",
        "hello-rust is taken by the fixture"
    );
    assert_eq!(post["body_html"], "<p>First <em>post</em>.</p>\n");
    assert_eq!(post["excerpt"], "First post.");
    assert_eq!(post["category"]["slug"], "programming");
    assert_eq!(post["tags"].as_array().map(Vec::len), Some(2));
    assert_eq!(post["clicks"], 0);
    assert_eq!(app.get_json(&location).await["title"], "Hello Rust");
}

async fn bad_bodies_get_400_413_and_422_listing_every_field(app: TestApp) {
    let token = token(&app);
    let bad = json!({"title": "", "slug": "Not A Slug", "author": 7, "published_at": "soon",
                     "category": "nope", "tags": "rust", "color": "red"});
    let body = problem(
        send(
            &app,
            reqwest::Method::POST,
            "/posts",
            Some(&token),
            Some(bad),
        )
        .await,
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_object()
        .expect("errors")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "author",
            "body_markdown",
            "category",
            "color",
            "published_at",
            "slug",
            "tags",
            "title"
        ],
        "an unknown category is named with the other bad fields"
    );
    assert_eq!(
        body["errors"]["category"][0], "no category has the slug `nope`",
        "{body}"
    );

    let both = json!({"title": "", "author": "A", "body_markdown": "B", "published_at": "soon",
                      "category": "nope", "tags": ["rust", "nope-tag"]});
    let body = problem(
        send(
            &app,
            reqwest::Method::POST,
            "/posts",
            Some(&token),
            Some(both),
        )
        .await,
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_object()
        .expect("errors")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        ["category", "published_at", "tags", "title"],
        "an unknown category and tag in the same 422 as a bad title and date: {body}"
    );

    let unknown = json!({"title": "T", "author": "A", "body_markdown": "B", "category": "nope", "tags": ["x", "rust"]});
    let body = problem(
        send(
            &app,
            reqwest::Method::POST,
            "/posts",
            Some(&token),
            Some(unknown),
        )
        .await,
        422,
    )
    .await;
    assert!(
        body["errors"]["category"].is_array() && body["errors"]["tags"].is_array(),
        "{body}"
    );

    // A body of 5,000 unknown keys (as large as the tests' 64 KiB limit allows): a small answer naming 20
    // of them and how many more (5,003 errors: the keys, and the three required fields missing).
    let mut keys = serde_json::Map::new();
    for n in 0..5_000 {
        keys.insert(format!("k{n:05}"), serde_json::Value::from(1));
    }
    let response = app
        .client
        .post(format!("{}/posts", app.address))
        .bearer_auth(&token)
        .json(&serde_json::Value::Object(keys))
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    assert_eq!(status, 422);
    assert!(text.len() < 8 * 1024, "a 422 of {} bytes", text.len());
    let body: Value = serde_json::from_str(&text).expect("problem JSON");
    assert_eq!(
        body["errors"].as_object().map(serde_json::Map::len),
        Some(20)
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("and 4983 more not listed")),
        "{body}"
    );

    for raw in ["{", "[]", "\"text\"", ""] {
        let response = app
            .client
            .post(format!("{}/posts", app.address))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("answers");
        problem(response, 400).await;
    }
    let wrong_type = app
        .client
        .post(format!("{}/posts", app.address))
        .bearer_auth(&token)
        .header("Content-Type", "text/plain")
        .body(r#"{"title": "T"}"#)
        .send()
        .await
        .expect("answers");
    problem(wrong_type, 400).await;
    let huge = json!({"title": "T", "author": "A", "body_markdown": "x".repeat(300 * 1024)});
    problem(
        send(
            &app,
            reqwest::Method::POST,
            "/posts",
            Some(&token),
            Some(huge),
        )
        .await,
        413,
    )
    .await;
}

async fn slug_conflicts_get_409(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let taken = json!({"title": "T", "author": "A", "body_markdown": "B", "slug": "hello-rust"});
    problem(
        send(
            &app,
            reqwest::Method::POST,
            "/posts",
            Some(&token),
            Some(taken),
        )
        .await,
        409,
    )
    .await;
    problem(
        send(
            &app,
            reqwest::Method::PATCH,
            "/posts/2",
            Some(&token),
            Some(json!({"slug": "hello-rust"})),
        )
        .await,
        409,
    )
    .await;
    let same = send(
        &app,
        reqwest::Method::PATCH,
        "/posts/1",
        Some(&token),
        Some(json!({"slug": "hello-rust"})),
    )
    .await;
    assert_eq!(same.status(), 200, "a post keeps its own slug");
}

async fn patch_changes_only_the_fields_sent_and_honours_if_match(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let read = app.get("/posts/2").await;
    let etag = read.headers()["etag"].to_str().expect("ASCII").to_owned();
    let before: Value = read.json().await.expect("JSON");

    let patched = app
        .client
        .patch(format!("{}/posts/2", app.address))
        .bearer_auth(&token)
        .header("If-Match", &etag)
        .json(&json!({"title": "Counting, revised", "tags": ["redis"]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(patched.status(), 200);
    let new_etag = patched.headers()["etag"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert_ne!(new_etag, etag);
    let after: Value = patched.json().await.expect("JSON");
    assert_eq!(after["title"], "Counting, revised");
    assert_eq!(
        after["tags"],
        json!([{"id": 2, "slug": "redis", "name": "redis"}])
    );
    for kept in [
        "slug",
        "body_markdown",
        "author",
        "category",
        "published_at",
        "excerpt",
        "clicks",
    ] {
        assert_eq!(after[kept], before[kept], "{kept} must not change");
    }

    let stale = app
        .client
        .patch(format!("{}/posts/2", app.address))
        .bearer_auth(&token)
        .header("If-Match", &etag)
        .json(&json!({"title": "Lost update"}))
        .send()
        .await
        .expect("answers");
    problem(stale, 412).await;
    let stale_delete = app
        .client
        .delete(format!("{}/posts/2", app.address))
        .bearer_auth(&token)
        .header("If-Match", &etag)
        .send()
        .await
        .expect("answers");
    problem(stale_delete, 412).await;
    assert_eq!(app.get_json("/posts/2").await["title"], "Counting, revised");
    problem(
        send(
            &app,
            reqwest::Method::PATCH,
            "/posts/999",
            Some(&token),
            Some(json!({"title": "x"})),
        )
        .await,
        404,
    )
    .await;
    problem(
        send(
            &app,
            reqwest::Method::DELETE,
            "/posts/999",
            Some(&token),
            None,
        )
        .await,
        404,
    )
    .await;
}

async fn ids(app: &TestApp, path: &str) -> Vec<i64> {
    app.get_json(path).await["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}

async fn post_count(app: &TestApp, path: &str, slug: &str) -> i64 {
    app.get_json(path).await["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|item| item["slug"] == slug)
        .and_then(|item| item["post_count"].as_i64())
        .expect("listed")
}

async fn a_post_life_as_anonymous_readers_see_it(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let draft = json!({"title": "Life", "author": "A", "body_markdown": "Born.", "category": "databases", "tags": ["unused"]});
    let created: Value = send(
        &app,
        reqwest::Method::POST,
        "/posts",
        Some(&token),
        Some(draft),
    )
    .await
    .json()
    .await
    .expect("JSON");
    let id = created["id"].as_i64().expect("id");
    let path = format!("/posts/{id}");

    // A draft: invisible to readers, visible to its editor.
    assert_eq!(app.get(&path).await.status(), 404);
    assert!(!ids(&app, "/posts?per_page=100").await.contains(&id));
    assert_eq!(post_count(&app, "/categories", "databases").await, 1);
    assert_eq!(post_count(&app, "/tags", "unused").await, 0);
    let drafts = app
        .client
        .get(format!("{}/posts?status=draft", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    let drafts: Value = drafts.json().await.expect("JSON");
    assert!(drafts["data"]
        .as_array()
        .expect("data")
        .iter()
        .any(|p| p["id"] == id));
    let preview = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(preview.status(), 200);
    assert_eq!(
        app.get("/posts?status=draft").await.status(),
        401,
        "anonymous readers cannot ask for drafts"
    );

    // Scheduled: still invisible.
    let patch = json!({"published_at": "2099-01-01T00:00:00Z"});
    assert_eq!(
        send(
            &app,
            reqwest::Method::PATCH,
            &path,
            Some(&token),
            Some(patch)
        )
        .await
        .status(),
        200
    );
    assert_eq!(app.get(&path).await.status(), 404);
    let scheduled = app
        .client
        .get(format!("{}/posts?status=scheduled", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    let scheduled: Value = scheduled.json().await.expect("JSON");
    assert!(scheduled["data"]
        .as_array()
        .expect("data")
        .iter()
        .any(|p| p["id"] == id));

    // Published: everywhere, counted in its category and tag.
    let patch = json!({"published_at": "2025-06-01T00:00:00Z"});
    assert_eq!(
        send(
            &app,
            reqwest::Method::PATCH,
            &path,
            Some(&token),
            Some(patch)
        )
        .await
        .status(),
        200
    );
    assert_eq!(app.get_json(&path).await["title"], "Life");
    assert!(ids(&app, "/posts?per_page=100").await.contains(&id));
    assert_eq!(app.get_json("/posts").await["meta"]["total"], 5);
    assert_eq!(post_count(&app, "/categories", "databases").await, 2);
    assert_eq!(post_count(&app, "/tags", "unused").await, 1);
    assert_eq!(ids(&app, "/posts?tag=unused").await, [id]);

    // Edited.
    let patch = json!({"body_markdown": "Grown up.", "category": null});
    let edited: Value = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(&token),
        Some(patch),
    )
    .await
    .json()
    .await
    .expect("JSON");
    assert_eq!(
        (edited["excerpt"].as_str(), edited["category"].is_null()),
        (Some("Grown up."), true)
    );
    assert_eq!(post_count(&app, "/categories", "databases").await, 1);
    assert_eq!(ids(&app, "/posts?q=grown").await, [id]);
    assert!(
        ids(&app, "/posts?q=born").await.is_empty(),
        "the search index follows the body"
    );

    // Deleted, with clicks still buffered.
    app.view(&path).await;
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &path, Some(&token), None)
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&path).await.status(), 404);
    assert_eq!(app.get_json("/posts").await["meta"]["total"], 4);
    assert_eq!(post_count(&app, "/tags", "unused").await, 0);
    let report = app.sync().await;
    assert_eq!(
        report.applied, report.drained,
        "pending clicks of a deleted post do not break the sync"
    );
}

crate::on_both_backends!(
    writes_need_a_valid_token,
    a_post_is_created_with_a_generated_slug_and_location,
    bad_bodies_get_400_413_and_422_listing_every_field,
    slug_conflicts_get_409,
    patch_changes_only_the_fields_sent_and_honours_if_match,
    a_post_life_as_anonymous_readers_see_it,
);
