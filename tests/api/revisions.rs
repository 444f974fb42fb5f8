//! Revisions (README "Revisions"): every create and update of a post (API, import, restore) keeps its
//! editable fields; a restore brings every field of an old revision back and is itself a revision; the
//! newest `POST_REVISIONS_KEEP` are kept; an import records what it changed, as `import`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixture::small_blog;
use crate::helpers::TestApp;
use crate::post_writes::send;

/// A token named `name`.
fn named_token(app: &TestApp, name: &str) -> String {
    let mut conn = app.pool.get().expect("connection");
    let name = blog_api::domain::token::TokenName::parse(name).expect("name");
    blog_api::service::tokens::create(&mut conn, &name).expect("token")
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    let answer = send(app, method.clone(), path, Some(token), body).await;
    assert!(
        answer.status().is_success(),
        "{method} {path}: {}",
        answer.status()
    );
    answer.json().await.expect("JSON")
}

async fn etag(app: &TestApp, id: i64, token: &str) -> String {
    let answer = send(app, Method::GET, &format!("/posts/{id}"), Some(token), None).await;
    answer.headers()["etag"]
        .to_str()
        .expect("an ETag")
        .to_owned()
}

async fn a_restore_brings_every_field_back_as_a_new_revision(app: TestApp) {
    app.import(&small_blog()).await;
    let ann = named_token(&app, "ann");
    let bo = named_token(&app, "bo");
    let first = json!({
        "title": "First title", "slug": "first-title", "body_markdown": "First *body*.",
        "excerpt": "Written by hand.", "author": "Ann", "category": "programming", "tags": ["rust", "redis"],
        "published_at": "2026-01-02T03:04:05Z", "meta_title": "First meta",
        "meta_description": "First description", "canonical_url": "https://example.com/first"
    });
    let created = call(&app, Method::POST, "/posts", &ann, Some(first.clone())).await;
    let id = created["id"].as_i64().expect("an id");
    let path = format!("/posts/{id}");
    let second = json!({
        "title": "Second title", "slug": "second-title", "body_markdown": "Second body.",
        "excerpt": null, "author": "Bo", "category": "databases", "tags": ["unused"],
        "published_at": null, "meta_title": null, "meta_description": "Second description",
        "canonical_url": null
    });
    call(&app, Method::PATCH, &path, &bo, Some(second)).await;
    call(
        &app,
        Method::PATCH,
        &path,
        &bo,
        Some(json!({"title": "Third title"})),
    )
    .await;

    let list = call(&app, Method::GET, &format!("{path}/revisions"), &ann, None).await;
    assert_eq!(list["meta"]["total"], 3);
    let numbers: Vec<i64> = list["data"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|revision| revision["number"].as_i64().expect("a number"))
        .collect();
    assert_eq!(numbers, [3, 2, 1], "newest first");
    assert_eq!(list["data"][0]["changed"], json!(["title"]));
    assert_eq!(list["data"][0]["token_name"], "bo");
    assert_eq!(list["data"][2]["token_name"], "ann");
    let changed_second: Vec<&str> = list["data"][1]["changed"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        changed_second.len(),
        12,
        "every field changed: {changed_second:?}"
    );

    // Revision 1 holds the fields as created, in the shape a PATCH takes.
    let one = call(
        &app,
        Method::GET,
        &format!("{path}/revisions/1"),
        &ann,
        None,
    )
    .await;
    assert_eq!(one["number"], 1);
    assert_eq!(one["post"]["tags"], json!(["redis", "rust"]));
    let mut expected = first.clone();
    expected["tags"] = json!(["redis", "rust"]);
    expected["authors"] = json!(["ann"]);
    assert_eq!(one["post"], expected);

    // A stale If-Match is refused; the current one restores every field.
    let unconditional = send(
        &app,
        Method::POST,
        &format!("{path}/revisions/1/restore"),
        Some(&bo),
        None,
    )
    .await;
    assert_eq!(
        unconditional.status(),
        200,
        "without If-Match a restore goes ahead"
    );
    let now_tag = etag(&app, id, &ann).await;
    call(
        &app,
        Method::PATCH,
        &path,
        &bo,
        Some(json!({"title": "Fourth title"})),
    )
    .await;
    let refused = app
        .client
        .post(format!("{}{path}/revisions/2/restore", app.address))
        .bearer_auth(&ann)
        .header("if-match", &now_tag)
        .send()
        .await
        .expect("answers");
    assert_eq!(refused.status(), 412);
    let current_tag = etag(&app, id, &ann).await;
    let restored = app
        .client
        .post(format!("{}{path}/revisions/1/restore", app.address))
        .bearer_auth(&ann)
        .header("if-match", &current_tag)
        .send()
        .await
        .expect("answers");
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.expect("the post");
    for field in [
        "title",
        "slug",
        "body_markdown",
        "excerpt",
        "author",
        "meta_title",
        "meta_description",
        "canonical_url",
    ] {
        assert_eq!(restored[field], first[field], "{field}");
    }
    assert_eq!(restored["published_at"], "2026-01-02T03:04:05Z");
    assert_eq!(restored["category"]["slug"], "programming");
    let mut tags: Vec<&str> = restored["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|tag| tag["slug"].as_str())
        .collect();
    tags.sort_unstable();
    assert_eq!(tags, ["redis", "rust"]);

    // The restore is itself the newest revision, and holds what revision 1 held.
    let list = call(&app, Method::GET, &format!("{path}/revisions"), &ann, None).await;
    let newest = list["data"][0]["number"].as_i64().expect("a number");
    assert_eq!(newest, 6);
    assert_eq!(list["data"][0]["token_name"], "ann");
    let latest = call(
        &app,
        Method::GET,
        &format!("{path}/revisions/{newest}"),
        &ann,
        None,
    )
    .await;
    assert_eq!(latest["post"], one["post"]);

    // Unknown revisions, anonymous readers, and a deleted post's history.
    assert_eq!(
        send(
            &app,
            Method::GET,
            &format!("{path}/revisions/99"),
            Some(&ann),
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        send(&app, Method::GET, &format!("{path}/revisions"), None, None)
            .await
            .status(),
        401
    );
    let deleted = send(&app, Method::DELETE, &path, Some(&ann), None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        send(
            &app,
            Method::GET,
            &format!("{path}/revisions"),
            Some(&ann),
            None
        )
        .await
        .status(),
        404
    );
}

async fn sixty_edits_keep_exactly_fifty(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = named_token(&app, "editor");
    for n in 1..=60 {
        call(
            &app,
            Method::PATCH,
            "/posts/1",
            &editor,
            Some(json!({"title": format!("Edit {n}")})),
        )
        .await;
    }
    // The import made revision 1; the 60 edits 2 to 61; the newest 50 are 12 to 61.
    let first = call(
        &app,
        Method::GET,
        "/posts/1/revisions?per_page=20",
        &editor,
        None,
    )
    .await;
    assert_eq!(first["meta"]["total"], 50);
    assert_eq!(first["data"][0]["number"], 61);
    let mut seen: Vec<i64> = Vec::new();
    let mut page = first;
    loop {
        seen.extend(
            page["data"]
                .as_array()
                .expect("revisions")
                .iter()
                .map(|revision| revision["number"].as_i64().expect("a number")),
        );
        let Some(cursor) = page["meta"]["next_cursor"].as_str() else {
            break;
        };
        let next = format!("/posts/1/revisions?per_page=20&cursor={cursor}");
        page = call(&app, Method::GET, &next, &editor, None).await;
    }
    assert_eq!(seen, (12..=61).rev().collect::<Vec<_>>());
    let gone = send(
        &app,
        Method::GET,
        "/posts/1/revisions/11",
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(gone.status(), 404);
    let kept = call(&app, Method::GET, "/posts/1/revisions/12", &editor, None).await;
    assert_eq!(kept["post"]["title"], "Edit 11");
    let numbered = call(
        &app,
        Method::GET,
        "/posts/1/revisions?page=3&per_page=20",
        &editor,
        None,
    )
    .await;
    assert_eq!(numbered["data"].as_array().map(Vec::len), Some(10));
}

async fn an_import_records_what_it_changes_as_import(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = named_token(&app, "editor");
    app.import(&small_blog()).await;
    let list = call(&app, Method::GET, "/posts/1/revisions", &editor, None).await;
    assert_eq!(
        list["meta"]["total"], 1,
        "an unchanged re-import records nothing"
    );
    assert_eq!(list["data"][0]["token_name"], "import");
    let changed = small_blog().replace("\"Hello Rust\"", "\"Hello again, Rust\"");
    assert_ne!(changed, small_blog());
    app.import(&changed).await;
    let list = call(&app, Method::GET, "/posts/1/revisions", &editor, None).await;
    assert_eq!(list["meta"]["total"], 2);
    assert_eq!(list["data"][0]["token_name"], "import");
    assert_eq!(list["data"][0]["changed"], json!(["title"]));
    let other = call(&app, Method::GET, "/posts/2/revisions", &editor, None).await;
    assert_eq!(other["meta"]["total"], 1);
}

crate::on_both_backends!(
    a_restore_brings_every_field_back_as_a_new_revision,
    sixty_edits_keep_exactly_fifty,
    an_import_records_what_it_changes_as_import,
);
