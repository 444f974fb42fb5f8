//! `GET /posts`, `GET /posts/{id}`, `GET /posts/slug/{slug}`.

use serde_json::Value;

use crate::fixture::{small_blog, DRAFT, PUBLISHED_NEWEST_FIRST, SCHEDULED};
use blog_api::domain::clock::Clock;

use crate::helpers::{TestApp, TestOptions};

fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .expect("a data array")
        .iter()
        .map(|post| post["id"].as_i64().expect("an id"))
        .collect()
}

async fn list_shows_published_posts_newest_first_in_the_envelope(app: TestApp) {
    app.import(&small_blog()).await;
    let response = app.get("/posts").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], "4");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(ids(&body), PUBLISHED_NEWEST_FIRST);
    assert_eq!(
        body["meta"],
        serde_json::json!({"page": 1, "per_page": 20, "total": 4, "total_pages": 1})
    );
}

async fn list_posts_carry_category_tags_counts_and_no_body(app: TestApp) {
    app.import(&small_blog()).await;
    let body = app.get_json("/posts").await;
    let redis = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|p| p["id"] == 2)
        .expect("post 2")
        .clone();
    assert_eq!(redis["slug"], "redis-counters");
    assert_eq!(
        redis["category"],
        serde_json::json!({"id": 2, "slug": "databases", "name": "Databases"})
    );
    let tags: Vec<&str> = redis["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(tags, ["redis", "rust"]);
    assert_eq!(redis["clicks"], 50);
    assert_eq!(redis["comment_count"], 1);
    assert_eq!(redis["published_at"], "2024-02-01T10:00:00Z");
    assert_eq!(
        redis["excerpt"],
        "Redis hashes and Lua scripts count every view."
    );
    assert!(redis.get("body_markdown").is_none() && redis.get("body_html").is_none());
    let apple = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|p| p["id"] == 6)
        .expect("post 6")
        .clone();
    assert_eq!(apple["category"], Value::Null);
    assert_eq!(apple["tags"], serde_json::json!([]));
}

async fn comment_count_includes_only_approved_comments(app: TestApp) {
    app.import(&small_blog()).await;
    let body = app.get_json("/posts").await;
    let counts: Vec<(i64, i64)> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| {
            (
                p["id"].as_i64().expect("id"),
                p["comment_count"].as_i64().expect("count"),
            )
        })
        .collect();
    assert_eq!(counts, [(3, 0), (2, 1), (1, 3), (6, 0)]);
}

async fn pagination_walks_the_list_with_link_headers(app: TestApp) {
    app.import(&small_blog()).await;
    let response = app.get("/posts?per_page=1&page=2").await;
    assert_eq!(response.status(), 200);
    let link = response.headers()["link"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert_eq!(
        link,
        "</posts?per_page=1&page=1>; rel=\"first\", </posts?per_page=1&page=1>; rel=\"prev\", \
         </posts?per_page=1&page=3>; rel=\"next\", </posts?per_page=1&page=4>; rel=\"last\""
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(ids(&body), [PUBLISHED_NEWEST_FIRST[1]]);
    assert_eq!(body["meta"]["total_pages"], 4);

    let last = app.get_json("/posts?per_page=3&page=2").await;
    assert_eq!(ids(&last), [PUBLISHED_NEWEST_FIRST[3]]);

    let beyond = app.get_json("/posts?page=5").await;
    assert_eq!(ids(&beyond), Vec::<i64>::new());
    assert_eq!(beyond["meta"]["total"], 4);

    let everything = app.get_json("/posts?per_page=100").await;
    assert_eq!(ids(&everything), PUBLISHED_NEWEST_FIRST);
}

async fn each_sort_orders_the_list(app: TestApp) {
    app.import(&small_blog()).await;
    let cases: [(&str, [i64; 4]); 4] = [
        ("-published_at", [3, 2, 1, 6]),
        ("published_at", [6, 1, 2, 3]),
        ("-clicks", [2, 6, 1, 3]),
        ("title", [6, 2, 1, 3]),
    ];
    for (sort, expected) in cases {
        let body = app.get_json(&format!("/posts?sort={sort}")).await;
        assert_eq!(ids(&body), expected, "sort={sort}");
    }
}

async fn category_and_tag_filters_hide_unpublished_posts(app: TestApp) {
    app.import(&small_blog()).await;
    let cases: [(&str, &[i64]); 6] = [
        ("category=programming", &[3, 1]),
        ("category=databases", &[2]),
        ("category=empty", &[]),
        ("category=no-such-category", &[]),
        ("tag=rust", &[2, 1]),
        ("tag=redis&category=databases", &[2]),
    ];
    for (query, expected) in cases {
        let body = app.get_json(&format!("/posts?{query}")).await;
        assert_eq!(ids(&body), expected, "{query}");
        assert_eq!(body["meta"]["total"], expected.len(), "{query}");
    }
}

/// A common word matching every post: the search index counts every match exactly (no cap), pages to the
/// end, and counts the facets of all of them.
async fn a_search_counts_every_match(app: TestApp) {
    app.import(&crate::fixture::many_posts(1_050)).await;
    let all = app.get_json("/posts?q=generated&per_page=100").await;
    assert_eq!(all["meta"]["total"], 1050, "{}", all["meta"]);
    assert!(all["meta"].get("total_capped").is_none());
    assert_eq!(all["meta"]["total_pages"], 11);
    assert_eq!(all["meta"]["facets"]["categories"][0]["count"], 1050);
    let last = app
        .get_json("/posts?q=generated&per_page=100&page=11")
        .await;
    assert_eq!(last["data"].as_array().map(Vec::len), Some(50));
    let narrow = app.get_json("/posts?q=number+1049").await;
    assert_eq!(narrow["meta"]["total"], 1050, "{}", narrow["meta"]);
    assert_eq!(
        narrow["data"][0]["title"]
            .as_str()
            .map(|title| title.contains("1049")),
        Some(true),
        "all words first: {}",
        narrow["data"][0]
    );
}

async fn search_matches_title_and_body_words_of_published_posts(app: TestApp) {
    app.import(&small_blog()).await;
    let cases: [(&str, &[i64]); 6] = [
        ("q=redis", &[2]),
        ("q=ownership", &[1]),
        ("q=Zebra", &[3]),
        ("q=lua%20scripts", &[2]),
        // Post 1 has the word in its title or body, post 2 in a tag: tags are searched too, below titles.
        ("q=rust", &[1, 2]),
        ("q=nothingmatchesthis", &[]),
    ];
    for (query, expected) in cases {
        let body = app.get_json(&format!("/posts?{query}")).await;
        assert_eq!(ids(&body), expected, "{query}");
    }
    // Search syntax characters are words, not operators, and never an error.
    let body = app
        .get_json("/posts?q=%22redis%22%20OR%20(lua*)%20-NEAR")
        .await;
    assert_eq!(
        body["meta"]["total"].as_u64().map(|total| total <= 4),
        Some(true)
    );
}

async fn detail_by_id_and_by_slug_returns_the_body(app: TestApp) {
    app.import(&small_blog()).await;
    let by_id = app.get_json("/posts/1").await;
    assert_eq!(by_id["slug"], "hello-rust");
    assert_eq!(
        by_id["body_markdown"],
        "Rust is **fast**.\n\nOwnership and borrowing keep memory safe."
    );
    assert_eq!(
        by_id["body_html"],
        "<p>Rust is <strong>fast</strong>.</p>\n<p>Ownership and borrowing keep memory safe.</p>\n"
    );
    assert_eq!(by_id["comment_count"], 3);
    assert_eq!(by_id["tags"][0]["slug"], "rust");
    let by_slug = app.get_json("/posts/slug/hello-rust").await;
    assert_eq!(by_id, by_slug);
}

async fn drafts_and_scheduled_posts_are_not_found(app: TestApp) {
    app.import(&small_blog()).await;
    for path in [
        format!("/posts/{DRAFT}"),
        format!("/posts/{SCHEDULED}"),
        String::from("/posts/slug/draft-post"),
        String::from("/posts/slug/scheduled-post"),
        format!("/posts/{DRAFT}/comments"),
        String::from("/posts/999"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.expect("problem JSON");
        assert_eq!(body["detail"], "post not found", "{path}");
    }
}

/// The clock the app serves at decides what is published: a scheduled post appears, in lists, by id and in
/// its category's count, the moment its time comes, with no write and no job.
async fn a_scheduled_post_appears_when_its_time_comes(app: TestApp) {
    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("a date")
            .naive_utc()
    };
    let clock = Clock::fixed(at("2098-12-31T23:59:59Z"));
    let options = TestOptions {
        clock: clock.clone(),
        ..TestOptions::default()
    };
    let app = app.another_instance(options).await;
    app.import(&small_blog()).await;
    let before = app.get_json("/posts?per_page=100").await;
    assert_eq!(app.get(&format!("/posts/{SCHEDULED}")).await.status(), 404);
    // The scheduled post is in category 2 and tagged 1: their counts (cached now) grow when it appears.
    let category = app.get_json("/categories/2").await["post_count"]
        .as_i64()
        .expect("a count");
    let tag_1 = |tags: Value| {
        tags["data"]
            .as_array()
            .and_then(|tags| tags.iter().find(|tag| tag["id"] == 1))
            .and_then(|tag| tag["post_count"].as_i64())
            .expect("tag 1 with a count")
    };
    let tagged = tag_1(app.get_json("/tags?per_page=100").await);

    clock.set(at("2099-01-01T00:00:00Z"));
    let after = app.get_json("/posts?per_page=100").await;
    assert_eq!(
        after["meta"]["total"],
        before["meta"]["total"].as_u64().expect("a total") + 1
    );
    assert_eq!(after["data"][0]["id"], SCHEDULED, "newest first");
    assert_eq!(app.get(&format!("/posts/{SCHEDULED}")).await.status(), 200);
    assert_eq!(
        app.get_json("/categories/2").await["post_count"],
        category + 1
    );
    assert_eq!(tag_1(app.get_json("/tags?per_page=100").await), tagged + 1);
}

async fn head_answers_like_get_without_a_body(app: TestApp) {
    app.import(&small_blog()).await;
    let response = app
        .client
        .head(format!("{}/posts/1", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.expect("body").len(), 0);
}

crate::on_both_backends!(
    a_search_counts_every_match,
    list_shows_published_posts_newest_first_in_the_envelope,
    list_posts_carry_category_tags_counts_and_no_body,
    comment_count_includes_only_approved_comments,
    pagination_walks_the_list_with_link_headers,
    each_sort_orders_the_list,
    category_and_tag_filters_hide_unpublished_posts,
    search_matches_title_and_body_words_of_published_posts,
    detail_by_id_and_by_slug_returns_the_body,
    drafts_and_scheduled_posts_are_not_found,
    a_scheduled_post_appears_when_its_time_comes,
    head_answers_like_get_without_a_body,
);
