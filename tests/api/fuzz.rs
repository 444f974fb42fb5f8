//! Random bodies and query strings at every write endpoint (and the read lists): never a 5xx, and the
//! database stays consistent. Seeded, so a failure replays; `FUZZ_SEED` and `FUZZ_ROUNDS` change the run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::fixture::small_blog;
use crate::helpers::TestApp;
use crate::post_writes::token;

const FIELDS: &[&str] = &[
    "title",
    "slug",
    "body_markdown",
    "excerpt",
    "author",
    "category",
    "tags",
    "published_at",
    "name",
    "status",
    "author_name",
    "body",
];

fn random_string(rng: &mut StdRng) -> String {
    match rng.random_range(0..9) {
        0 => String::new(),
        8 => format!(
            "a{}b",
            ['\0', '\u{1}', '\u{7f}', '\u{85}', '\t', '\n'][rng.random_range(0..6)]
        ),
        1 => "x".repeat(rng.random_range(250..400)),
        2 => [
            "rust",
            "redis",
            "programming",
            "hello-rust",
            "approved",
            "pending",
            "2099-01-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "-1",
            "../../etc",
            "'; DROP TABLE posts; --",
            "<script>x</script>",
        ][rng.random_range(0..12)]
        .to_owned(),
        3 => (0..rng.random_range(1..20))
            .map(|_| char::from_u32(rng.random_range(0..0x2FFF)).unwrap_or('?'))
            .collect(),
        _ => (0..rng.random_range(1..30))
            .map(|_| char::from(rng.random_range(b'a'..=b'z')))
            .collect(),
    }
}

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 2 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.random::<bool>()),
        2 => json!(rng.random::<i64>()),
        3 => json!(rng.random::<f64>() * 1e20),
        4 => json!(random_string(rng)),
        5 => Value::Array(
            (0..rng.random_range(0..5))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => random_object(rng, depth + 1),
    }
}

fn random_object(rng: &mut StdRng, depth: u32) -> Value {
    let mut object = Map::new();
    for _ in 0..rng.random_range(0..7) {
        let key = if rng.random_range(0..6) == 0 {
            random_string(rng)
        } else {
            FIELDS[rng.random_range(0..FIELDS.len())].to_owned()
        };
        let value = if depth < 2 && rng.random_range(0..3) == 0 {
            json!(random_string(rng))
        } else {
            random_value(rng, depth)
        };
        object.insert(key, value);
    }
    Value::Object(object)
}

/// A body that is valid for `path` but for one or two fields set to random values: it reaches deeper
/// than a wholly random object.
fn mutated_template(rng: &mut StdRng, path: &str) -> Value {
    let mut body = if path.ends_with("/comments") {
        json!({"author_name": "Reader", "body": "Hello"})
    } else if path.starts_with("/comments") {
        json!({"status": "approved"})
    } else if path.starts_with("/categories") || path.starts_with("/tags") {
        json!({"name": "Name"})
    } else {
        json!({"title": "Title", "author": "Ann", "body_markdown": "Body", "tags": ["rust"], "category": "programming"})
    };
    if let Value::Object(fields) = &mut body {
        for _ in 0..rng.random_range(1..3) {
            let key = FIELDS[rng.random_range(0..FIELDS.len())].to_owned();
            let value = if rng.random() {
                json!(random_string(rng))
            } else {
                random_value(rng, 1)
            };
            fields.insert(key, value);
        }
    }
    body
}

fn random_query(rng: &mut StdRng) -> String {
    let names = [
        "page", "per_page", "category", "tag", "q", "sort", "status", "x", "",
    ];
    (0..rng.random_range(0..4))
        .map(|_| {
            let value: String = random_string(rng).chars().take(40).collect();
            format!(
                "{}={}",
                names[rng.random_range(0..names.len())],
                urlencode(&value)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

async fn random_requests_never_get_a_5xx_and_leave_the_database_consistent(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261125_u64);
    let rounds = std::env::var("FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000_u32);
    // First every field of every valid body, in turn, set to each awkward string.
    let edges = [
        "a\u{0}b",
        "\u{1}",
        "a\u{7f}",
        "\u{85}",
        " \t\n ",
        "",
        "é😀\u{200b}",
        "x\r\ny",
    ];
    let templates = [
        (
            "/posts",
            json!({"title": "T", "author": "A", "body_markdown": "B", "excerpt": "E", "slug": "s-1"}),
        ),
        (
            "/posts/1",
            json!({"title": "T", "author": "A", "body_markdown": "B", "excerpt": "E"}),
        ),
        ("/categories", json!({"name": "N", "slug": "n-1"})),
        ("/tags/1", json!({"name": "N"})),
        (
            "/posts/1/comments",
            json!({"author_name": "A", "body": "B"}),
        ),
    ];
    for (path, template) in &templates {
        let method = if path.matches('/').count() == 2 && !path.ends_with("comments") {
            Method::PATCH
        } else {
            Method::POST
        };
        let Value::Object(fields) = template else {
            continue;
        };
        for field in fields.keys() {
            for edge in edges {
                let mut body = fields.clone();
                body.insert(field.clone(), json!(edge));
                let response = app
                    .client
                    .request(method.clone(), format!("{}{path}", app.address))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .expect("answers");
                let status = response.status();
                assert!(
                    status.as_u16() < 500,
                    "{method} {path} with {field} = {edge:?} -> {status}"
                );
            }
        }
    }
    for query in [
        "q=a%00b",
        "q=%01",
        "tag=a%00",
        "category=%00",
        "sort=%00",
        "page=%00",
    ] {
        let status = app.get(&format!("/posts?{query}")).await.status();
        assert_eq!(status, 400, "{query}");
    }

    let mut rng = StdRng::seed_from_u64(seed);
    for round in 0..rounds {
        let id = rng.random_range(0..9);
        let (method, path) = match rng.random_range(0..11) {
            0 => (Method::POST, String::from("/posts")),
            1 | 2 => (Method::PATCH, format!("/posts/{id}")),
            3 => (
                Method::POST,
                String::from(if rng.random() { "/categories" } else { "/tags" }),
            ),
            4 => (
                Method::PATCH,
                format!("/{}/{id}", if rng.random() { "categories" } else { "tags" }),
            ),
            5 => (Method::POST, format!("/posts/{id}/comments")),
            6 => (Method::PATCH, format!("/comments/{id}")),
            7 => (Method::POST, format!("/posts/{id}/clicks")),
            8 => (Method::GET, format!("/posts?{}", random_query(&mut rng))),
            9 => (
                Method::GET,
                format!("/posts/{id}/comments?{}", random_query(&mut rng)),
            ),
            _ => (
                Method::DELETE,
                format!(
                    "/{}/{id}",
                    ["posts", "comments", "tags", "categories"][rng.random_range(0..4)]
                ),
            ),
        };
        let mut request = app
            .client
            .request(method.clone(), format!("{}{path}", app.address));
        if rng.random_range(0..4) > 0 {
            request = request.bearer_auth(&token);
        }
        request = match rng.random_range(0..10) {
            0 => request
                .header("Content-Type", "application/json")
                .body(random_string(&mut rng)),
            1 => request
                .header("Content-Type", "text/plain")
                .body(random_object(&mut rng, 0).to_string()),
            2..=5 => request.json(&mutated_template(&mut rng, &path)),
            _ => request.json(&random_object(&mut rng, 0)),
        };
        let response = request.send().await.expect("answers");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(
            status.as_u16() < 500,
            "round {round} (seed {seed}): {method} {path} -> {status}: {body}"
        );
    }

    use blog_api::db::schema::{comments, post_counters, post_tags, posts, tags};
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("connection");
    let orphan_links: i64 = post_tags::table
        .filter(diesel::dsl::not(
            post_tags::post_id.eq_any(posts::table.select(posts::id)),
        ))
        .or_filter(diesel::dsl::not(
            post_tags::tag_id.eq_any(tags::table.select(tags::id)),
        ))
        .count()
        .get_result(&mut conn)
        .expect("count");
    let orphan_counters: i64 = post_counters::table
        .filter(diesel::dsl::not(
            post_counters::post_id.eq_any(posts::table.select(posts::id)),
        ))
        .count()
        .get_result(&mut conn)
        .expect("count");
    let orphan_comments: i64 = comments::table
        .filter(diesel::dsl::not(
            comments::post_id.eq_any(posts::table.select(posts::id)),
        ))
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!((orphan_links, orphan_counters, orphan_comments), (0, 0, 0));
    let bad_slugs: Vec<String> = posts::table
        .select(posts::slug)
        .load::<String>(&mut conn)
        .expect("slugs")
        .into_iter()
        .filter(|slug| blog_api::domain::Slug::parse("slug", slug).is_err())
        .collect();
    assert!(bad_slugs.is_empty(), "{bad_slugs:?}");
    drop(conn);
    let report = app.sync().await;
    assert_eq!(report.applied + report.already_applied, report.drained);
}

crate::on_both_backends!(random_requests_never_get_a_5xx_and_leave_the_database_consistent);
