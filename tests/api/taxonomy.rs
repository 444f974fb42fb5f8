//! `GET /categories` and `GET /tags`.

use serde_json::{json, Value};

use crate::fixture::small_blog;
use crate::helpers::TestApp;

fn counts(body: &Value) -> Vec<(String, i64)> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|item| {
            (
                item["slug"].as_str().expect("slug").to_owned(),
                item["post_count"].as_i64().expect("count"),
            )
        })
        .collect()
}

async fn categories_count_published_posts_only(app: TestApp) {
    app.import(&small_blog()).await;
    let body = app.get_json("/categories").await;
    let expected: Vec<(String, i64)> = vec![
        ("databases".into(), 1),
        ("empty".into(), 0),
        ("programming".into(), 2),
    ];
    assert_eq!(counts(&body), expected);
    assert_eq!(
        body["data"][0],
        json!({"id": 2, "slug": "databases", "name": "Databases", "post_count": 1})
    );
    assert_eq!(body["meta"]["total"], 3);
}

async fn tags_count_published_posts_only(app: TestApp) {
    app.import(&small_blog()).await;
    let body = app.get_json("/tags").await;
    let expected: Vec<(String, i64)> = vec![
        ("redis".into(), 1),
        ("rust".into(), 2),
        ("unused".into(), 0),
    ];
    assert_eq!(counts(&body), expected);
}

async fn taxonomy_lists_are_paged(app: TestApp) {
    app.import(&small_blog()).await;
    let response = app.get("/tags?per_page=2&page=2").await;
    assert_eq!(response.headers()["x-total-count"], "3");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(counts(&body), vec![(String::from("unused"), 0)]);
    assert_eq!(body["meta"]["total_pages"], 2);
}

async fn an_empty_blog_has_empty_lists(app: TestApp) {
    for path in ["/posts", "/categories", "/tags"] {
        let body = app.get_json(path).await;
        assert_eq!(
            body,
            json!({"data": [], "meta": {"page": 1, "per_page": 20, "total": 0, "total_pages": 0}}),
            "{path}"
        );
    }
}

crate::on_both_backends!(
    categories_count_published_posts_only,
    tags_count_published_posts_only,
    taxonomy_lists_are_paged,
    an_empty_blog_has_empty_lists,
);
