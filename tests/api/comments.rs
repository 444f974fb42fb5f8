//! `GET /posts/{id}/comments`.

use serde_json::Value;

use crate::fixture::small_blog;
use crate::helpers::TestApp;

fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect()
}

async fn comments_list_only_approved_ones_oldest_first(app: TestApp) {
    app.import(&small_blog()).await;
    let response = app.get("/posts/1/comments").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], "3");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(ids(&body), [1, 2, 5]);
    assert_eq!(
        body["data"][0],
        serde_json::json!({"id": 1, "post_id": 1, "author_name": "reader1", "body": "comment 1", "body_html": "<p>comment 1</p>\n",
                           "created_at": "2024-01-02T00:00:00Z"})
    );
    assert!(body["data"][0].get("status").is_none());
}

async fn comments_are_paged_like_posts(app: TestApp) {
    app.import(&small_blog()).await;
    let body = app.get_json("/posts/1/comments?per_page=2&page=2").await;
    assert_eq!(ids(&body), [5]);
    assert_eq!(
        body["meta"],
        serde_json::json!({"page": 2, "per_page": 2, "total": 3, "total_pages": 2})
    );
    let empty = app.get_json("/posts/3/comments").await;
    assert_eq!(ids(&empty), Vec::<i64>::new());
    assert_eq!(empty["meta"]["total"], 0);
}

crate::on_both_backends!(
    comments_list_only_approved_ones_oldest_first,
    comments_are_paged_like_posts
);
