//! `GET /posts/{id}/related`: published posts ranked by shared tags, then same category, then recency.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::fixture::{sample_blog, small_blog, DRAFT, SCHEDULED};
use crate::helpers::TestApp;

fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .map(|posts| {
            posts
                .iter()
                .filter_map(|post| post["id"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

async fn related_posts_rank_tags_then_category_then_recency(app: TestApp) {
    app.import(&small_blog()).await;
    // Post 2 (tags 1 and 2, category 2): post 1 shares tag 1; 3 and 6 share nothing, 3 is newer. The draft
    // (tag 2) and the scheduled post (tag 1, category 2) would rank first if they were shown.
    assert_eq!(ids(&app.get_json("/posts/2/related").await), [1, 3, 6]);
    // Post 1 (tag 1, category 1): 2 shares the tag, 3 the category.
    assert_eq!(ids(&app.get_json("/posts/1/related").await), [2, 3, 6]);
    assert_eq!(ids(&app.get_json("/posts/1/related?limit=1").await), [2]);
    let related = app.get_json("/posts/1/related").await;
    assert_eq!(related["data"][0]["slug"], "redis-counters");
    assert!(related["data"][0]["tags"].is_array() && related["data"][0]["clicks"].is_i64());

    for path in [
        format!("/posts/{DRAFT}/related"),
        format!("/posts/{SCHEDULED}/related"),
        String::from("/posts/999/related"),
    ] {
        assert_eq!(app.get(&path).await.status(), 404, "{path}");
    }
    for query in ["limit=0", "limit=21", "limit=five", "limit=", "per_page=5"] {
        let response = app.get(&format!("/posts/1/related?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|value| value.to_str().ok()),
            Some("application/problem+json"),
            "{query}"
        );
    }
}

/// The sample blog's post with the most tags, and its related posts ranked as the README says, computed
/// here from the import file itself.
async fn related_posts_of_the_sample_blog_follow_shared_tags(app: TestApp) {
    let Some(json) = sample_blog() else {
        return;
    };
    app.import(&json).await;
    let blog: Value = serde_json::from_str(&json).expect("JSON");
    let now = chrono::Utc::now().to_rfc3339();
    let posts: Vec<&Value> = blog["posts"].as_array().expect("posts").iter().collect();
    let published = |post: &Value| post["published_at"].as_str().is_some_and(|at| *at <= *now);
    let tags = |post: &Value| -> HashSet<i64> {
        post["tag_ids"]
            .as_array()
            .map(|tags| tags.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    };
    let by_id: HashMap<i64, &Value> = posts
        .iter()
        .filter_map(|post| Some((post["id"].as_i64()?, *post)))
        .collect();
    // A published post with five tags: some posts share three of them, many share one.
    let subject = posts
        .iter()
        .find(|post| published(post) && tags(post).len() == 5)
        .expect("a published post with five tags");
    let subject_id = subject["id"].as_i64().expect("an id");
    let shared = |post: &Value| tags(post).intersection(&tags(subject)).count();
    let mut expected: Vec<&Value> = posts
        .iter()
        .copied()
        .filter(|post| published(post) && post["id"] != subject["id"])
        .collect();
    expected.sort_by(|a, b| {
        let key = |post: &Value| {
            (
                shared(post),
                post["category_id"] == subject["category_id"] && !post["category_id"].is_null(),
                post["published_at"].as_str().unwrap_or_default().to_owned(),
                post["id"].as_i64().unwrap_or_default(),
            )
        };
        key(b).cmp(&key(a))
    });
    let expected: Vec<i64> = expected
        .iter()
        .take(20)
        .filter_map(|post| post["id"].as_i64())
        .collect();

    let related = ids(&app
        .get_json(&format!("/posts/{subject_id}/related?limit=20"))
        .await);
    assert_eq!(related, expected);
    let shares: Vec<usize> = related.iter().map(|id| shared(by_id[id])).collect();
    assert!(
        shares.windows(2).all(|pair| pair[0] >= pair[1]),
        "{shares:?}"
    );
    assert!(
        shares.first().is_some_and(|first| *first >= 3),
        "a post sharing three tags ranks first: {shares:?}"
    );
    assert!(
        related.iter().all(|id| published(by_id[id])),
        "no draft or scheduled post"
    );
}

crate::on_both_backends!(
    related_posts_rank_tags_then_category_then_recency,
    related_posts_of_the_sample_blog_follow_shared_tags,
);
