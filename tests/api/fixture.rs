//! A small blog whose every answer is known: published, draft and scheduled posts, comments in each status.
//!
//! Published, newest first: zebra-notes (3), redis-counters (2), hello-rust (1), apple-pie (6).
//! Hidden: draft-post (4, a draft), scheduled-post (5, published in 2099).

use serde_json::json;

pub const PUBLISHED_NEWEST_FIRST: [i64; 4] = [3, 2, 1, 6];
pub const DRAFT: i64 = 4;
pub const SCHEDULED: i64 = 5;

/// The sample blog (`../shared/data/blog-2000.json`: 2,000 posts, 1,816 published), or `None` with a
/// `SKIPPED` line when it is not beside the repository.
pub fn sample_blog() -> Option<String> {
    use std::io::Write as _;
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/blog-2000.json");
    let json = std::fs::read_to_string(&path).ok();
    if json.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {} is not there",
            path.display()
        );
    }
    json
}

pub fn small_blog() -> String {
    json!({
        "categories": [
            {"id": 1, "slug": "programming", "name": "Programming"},
            {"id": 2, "slug": "databases", "name": "Databases"},
            {"id": 3, "slug": "empty", "name": "Empty"}
        ],
        "tags": [
            {"id": 1, "slug": "rust", "name": "rust"},
            {"id": 2, "slug": "redis", "name": "redis"},
            {"id": 3, "slug": "unused", "name": "unused"}
        ],
        "posts": [
            post(1, "hello-rust", "Hello Rust", Some(1), &[1], Some("2024-01-01T10:00:00Z"), 10,
                 "Rust is **fast**.\n\nOwnership and borrowing keep memory safe."),
            post(2, "redis-counters", "Counting clicks with Redis", Some(2), &[1, 2],
                 Some("2024-02-01T10:00:00Z"), 50, "Redis hashes and Lua scripts count every view."),
            post(3, "zebra-notes", "Zebra notes", Some(1), &[], Some("2024-03-01T10:00:00Z"), 5,
                 "Stripes, mostly."),
            post(4, "draft-post", "Secret draft", Some(1), &[2], None, 0, "Unfinished thoughts on Redis."),
            post(5, "scheduled-post", "Future post", Some(2), &[1], Some("2099-01-01T00:00:00Z"), 0,
                 "Rust in the future."),
            post(6, "apple-pie", "apple pie", None, &[], Some("2023-12-01T10:00:00Z"), 20,
                 "A recipe, not a program.")
        ],
        "comments": [
            comment(1, 1, "approved", "2024-01-02T00:00:00Z"),
            comment(2, 1, "approved", "2024-01-03T00:00:00Z"),
            comment(3, 1, "pending", "2024-01-04T00:00:00Z"),
            comment(4, 1, "rejected", "2024-01-05T00:00:00Z"),
            comment(5, 1, "approved", "2024-01-06T00:00:00Z"),
            comment(6, 2, "approved", "2024-02-02T00:00:00Z"),
            comment(7, 4, "approved", "2024-02-03T00:00:00Z")
        ]
    })
    .to_string()
}

/// `count` published posts, one a day from 2020-01-01, each with two tags and a comment.
pub fn many_posts(count: i64) -> String {
    let posts: Vec<_> = (1..=count)
        .map(|id| {
            let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("a date")
                + chrono::Days::new(id.unsigned_abs());
            let published = format!("{day}T12:00:00Z");
            post(
                id,
                &format!("post-{id}"),
                &format!("Post number {id}"),
                Some(1),
                &[1, 2],
                Some(&published),
                id,
                "Generated body text.",
            )
        })
        .collect();
    let comments: Vec<_> = (1..=count)
        .map(|id| comment(id, id, "approved", "2024-01-01T00:00:00Z"))
        .collect();
    json!({
        "categories": [{"id": 1, "slug": "general", "name": "General"}],
        "tags": [{"id": 1, "slug": "one", "name": "one"}, {"id": 2, "slug": "two", "name": "two"}],
        "posts": posts,
        "comments": comments
    })
    .to_string()
}

/// `count` posts whose every order has ties: three posts a day, clicks `id % 5`, titles repeating every seven
/// posts in either case; every ninth a draft. Post 1 has `count` comments, four at each instant.
pub fn tied_posts(count: i64) -> String {
    let posts: Vec<_> = (1..=count)
        .map(|id| {
            let day = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).expect("a date")
                + chrono::Days::new((id / 3).unsigned_abs());
            let published = (id % 9 != 0).then(|| format!("{day}T08:00:00Z"));
            let title = if id % 2 == 0 {
                format!("Tied title {}", id % 7)
            } else {
                format!("TIED TITLE {}", id % 7)
            };
            post(
                id,
                &format!("tied-{id}"),
                &title,
                Some(1),
                &[1],
                published.as_deref(),
                id % 5,
                "Tied body.",
            )
        })
        .collect();
    let comments: Vec<_> = (1..=count)
        .map(|id| {
            let at = format!("2024-01-01T00:{:02}:00Z", id / 4);
            comment(id, 1, if id % 6 == 0 { "pending" } else { "approved" }, &at)
        })
        .collect();
    json!({
        "categories": [{"id": 1, "slug": "general", "name": "General"}],
        "tags": [{"id": 1, "slug": "one", "name": "one"}, {"id": 2, "slug": "two", "name": "two"}],
        "posts": posts,
        "comments": comments
    })
    .to_string()
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per field of a post record"
)]
fn post(
    id: i64,
    slug: &str,
    title: &str,
    category_id: Option<i64>,
    tag_ids: &[i64],
    published_at: Option<&str>,
    clicks: i64,
    body: &str,
) -> serde_json::Value {
    json!({
        "id": id, "slug": slug, "title": title, "author": "Ada", "body_markdown": body, "excerpt": null,
        "category_id": category_id, "tag_ids": tag_ids, "published_at": published_at, "clicks": clicks
    })
}

fn comment(id: i64, post_id: i64, status: &str, created_at: &str) -> serde_json::Value {
    json!({
        "id": id, "post_id": post_id, "author_name": format!("reader{id}"), "body": format!("comment {id}"),
        "status": status, "created_at": created_at
    })
}
