//! `GET /sync`: an offline app's replica, kept by delta sync through random writes, equals the API's lists.

use std::collections::BTreeMap;

use chrono::{Duration as TimeDelta, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Value};

use crate::fixture::{many_posts, small_blog};
use crate::helpers::{TestApp, TestBackend, TestOptions};
use crate::post_writes::{send, token};
use blog_api::domain::clock::Clock;

/// What an app holds: every kind by id, and its token.
#[derive(Default)]
struct Replica {
    kinds: BTreeMap<&'static str, BTreeMap<i64, Value>>,
    token: Option<String>,
    pages: usize,
}

const KINDS: [&str; 4] = ["posts", "categories", "tags", "authors"];

impl Replica {
    /// Syncs until `has_more` is false, applying each page as the README says: `deleted` first, then `data`.
    async fn sync(&mut self, app: &TestApp) {
        loop {
            let path = match &self.token {
                Some(token) => format!("/sync?since={token}"),
                None => String::from("/sync"),
            };
            let page = app.get_json(&path).await;
            self.pages += 1;
            for kind in KINDS {
                let held = self.kinds.entry(kind).or_default();
                for id in page["deleted"][kind].as_array().expect("deleted ids") {
                    held.remove(&id.as_i64().expect("an id"));
                }
                for row in page["data"][kind].as_array().expect("rows") {
                    held.insert(row["id"].as_i64().expect("an id"), row.clone());
                }
            }
            self.token = Some(
                page["meta"]["next_sync_token"]
                    .as_str()
                    .expect("a token")
                    .to_owned(),
            );
            if page["meta"]["has_more"] == false {
                return;
            }
        }
    }

    fn held(&self, kind: &str) -> BTreeMap<i64, Value> {
        self.kinds.get(kind).cloned().unwrap_or_default()
    }
}

/// Every item of a paged list, by id (`page` and `per_page=100`).
async fn listed(app: &TestApp, path: &str) -> BTreeMap<i64, Value> {
    let mut items = BTreeMap::new();
    for page in 1.. {
        let separator = if path.contains('?') { '&' } else { '?' };
        let body = app
            .get_json(&format!("{path}{separator}per_page=100&page={page}"))
            .await;
        let data = body["data"].as_array().expect("a list");
        for item in data {
            items.insert(item["id"].as_i64().expect("an id"), item.clone());
        }
        if data.len() < 100 {
            break;
        }
    }
    items
}

/// The replica against the API: the same posts (every field a list shows but the live count, and the body a
/// post's own page shows), categories, tags and authors (their post counts included).
async fn assert_replica_matches(app: &TestApp, replica: &Replica, step: &str) {
    let posts = listed(app, "/posts").await;
    let held = replica.held("posts");
    assert_eq!(
        held.keys().collect::<Vec<_>>(),
        posts.keys().collect::<Vec<_>>(),
        "{step}: the replica holds the published posts"
    );
    for (id, listed) in &posts {
        let kept = &held[id];
        for (field, value) in listed.as_object().expect("a post") {
            if field != "clicks" {
                assert_eq!(&kept[field], value, "{step}: post {id}'s {field}");
            }
        }
    }
    if let Some((id, _)) = posts.iter().next_back() {
        let page = app.get_json(&format!("/posts/{id}")).await;
        for field in [
            "body_markdown",
            "body_html",
            "meta_title",
            "meta_description",
            "json_ld",
        ] {
            assert_eq!(held[id][field], page[field], "{step}: post {id}'s {field}");
        }
    }
    for (kind, path) in [
        ("categories", "/categories"),
        ("tags", "/tags"),
        ("authors", "/authors"),
    ] {
        assert_eq!(
            replica.held(kind),
            listed(app, path).await,
            "{step}: the replica's {kind}"
        );
    }
}

fn instant(text: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("an instant")
        .naive_utc()
}

fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// 500 random writes through the API (posts created published, scheduled or as drafts, edited, moved,
/// retagged, unpublished, published again, deleted; tags and categories created, renamed, deleted; authors
/// renamed) and the clock moving on so that scheduled posts come due, with a sync every few writes: the
/// replica equals the lists after each.
async fn a_replica_kept_by_sync_equals_the_lists_through_500_random_writes(backend: TestBackend) {
    let start = instant("2026-06-01T00:00:00Z");
    let clock = Clock::fixed(start);
    let options = TestOptions {
        clock: clock.clone(),
        ..TestOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    app.import(&small_blog()).await;
    let token = token(&app);
    let write = |method: Method, path: String, body: Option<Value>| {
        let token = token.clone();
        let app = &app;
        async move {
            let response = send(app, method.clone(), &path, Some(&token), body.clone()).await;
            let status = response.status().as_u16();
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            assert!(
                status < 300 || status == 409 || status == 422,
                "{method} {path} {body:?}: {status} {answer}"
            );
            (status, answer)
        }
    };
    let authors = ["Ann", "Bob", "Cy"];
    for name in authors {
        let (status, _) = write(
            Method::POST,
            String::from("/authors"),
            Some(json!({"name": name})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let mut replica = Replica::default();
    replica.sync(&app).await;
    assert_replica_matches(&app, &replica, "first sync").await;

    let mut rng = StdRng::seed_from_u64(20_261_207);
    let mut now = start;
    let mut posts: Vec<i64> = vec![1, 2, 3, 4, 5, 6];
    let mut categories: Vec<(i64, String)> = vec![
        (1, String::from("programming")),
        (2, String::from("databases")),
        (3, String::from("empty")),
    ];
    let mut tags: Vec<(i64, String)> = vec![
        (1, String::from("rust")),
        (2, String::from("redis")),
        (3, String::from("unused")),
    ];
    let mut made = 0;
    for step in 0..500 {
        let publication = |rng: &mut StdRng, now: NaiveDateTime| match rng.random_range(0..4) {
            0 => Value::Null,
            1 => json!(rfc3339(now + TimeDelta::minutes(rng.random_range(1..30)))),
            _ => json!(rfc3339(
                now - TimeDelta::minutes(rng.random_range(0..10_000))
            )),
        };
        let some_tags = |rng: &mut StdRng, tags: &[(i64, String)]| {
            let mut chosen: Vec<String> = tags
                .iter()
                .filter(|_| rng.random_bool(0.3))
                .map(|(_, slug)| slug.clone())
                .collect();
            chosen.dedup();
            chosen
        };
        match rng.random_range(0..100) {
            0..=19 => {
                made += 1;
                let category = (!categories.is_empty() && rng.random_bool(0.8))
                    .then(|| categories[rng.random_range(0..categories.len())].1.clone());
                let (status, post) = write(
                    Method::POST,
                    String::from("/posts"),
                    Some(json!({
                        "title": format!("Post {made}"),
                        "author": authors[rng.random_range(0..authors.len())],
                        "body_markdown": format!("Words of post {made}."),
                        "category": category,
                        "tags": some_tags(&mut rng, &tags),
                        "published_at": publication(&mut rng, now),
                    })),
                )
                .await;
                if status == 201 {
                    posts.push(post["id"].as_i64().expect("an id"));
                }
            }
            20..=39 if !posts.is_empty() => {
                let id = posts[rng.random_range(0..posts.len())];
                let body = match rng.random_range(0..5) {
                    0 => json!({"title": format!("Edited {step}")}),
                    1 => json!({"tags": some_tags(&mut rng, &tags)}),
                    2 => json!({"category": (!categories.is_empty())
                        .then(|| categories[rng.random_range(0..categories.len())].1.clone())}),
                    3 => json!({"published_at": publication(&mut rng, now)}),
                    _ => json!({"author": authors[rng.random_range(0..authors.len())]}),
                };
                write(Method::PATCH, format!("/posts/{id}"), Some(body)).await;
            }
            40..=46 if !posts.is_empty() => {
                let id = posts.swap_remove(rng.random_range(0..posts.len()));
                write(Method::DELETE, format!("/posts/{id}"), None).await;
            }
            47..=54 => {
                let name = format!("tag {step}");
                let (status, tag) = write(
                    Method::POST,
                    String::from("/tags"),
                    Some(json!({"name": name})),
                )
                .await;
                if status == 201 {
                    tags.push((
                        tag["id"].as_i64().expect("an id"),
                        tag["slug"].as_str().expect("a slug").to_owned(),
                    ));
                }
            }
            55..=59 if !tags.is_empty() => {
                let index = rng.random_range(0..tags.len());
                let (status, tag) = write(
                    Method::PATCH,
                    format!("/tags/{}", tags[index].0),
                    Some(json!({"name": format!("renamed {step}"), "slug": format!("renamed-{step}")})),
                )
                .await;
                if status == 200 {
                    tag["slug"]
                        .as_str()
                        .expect("a slug")
                        .clone_into(&mut tags[index].1);
                }
            }
            60..=63 if !tags.is_empty() => {
                let (id, _) = tags.swap_remove(rng.random_range(0..tags.len()));
                write(Method::DELETE, format!("/tags/{id}"), None).await;
            }
            64..=67 => {
                let (status, category) = write(
                    Method::POST,
                    String::from("/categories"),
                    Some(json!({"name": format!("category {step}")})),
                )
                .await;
                if status == 201 {
                    categories.push((
                        category["id"].as_i64().expect("an id"),
                        category["slug"].as_str().expect("a slug").to_owned(),
                    ));
                }
            }
            68..=70 if !categories.is_empty() => {
                let index = rng.random_range(0..categories.len());
                let (status, category) = write(
                    Method::PATCH,
                    format!("/categories/{}", categories[index].0),
                    Some(json!({"name": format!("Renamed {step}")})),
                )
                .await;
                if status == 200 {
                    category["slug"]
                        .as_str()
                        .expect("a slug")
                        .clone_into(&mut categories[index].1);
                }
            }
            71..=72 if !categories.is_empty() => {
                let (id, _) = categories.swap_remove(rng.random_range(0..categories.len()));
                write(Method::DELETE, format!("/categories/{id}"), None).await;
            }
            73..=75 => {
                let slug = authors[rng.random_range(0..authors.len())].to_ascii_lowercase();
                write(
                    Method::PATCH,
                    format!("/authors/{slug}"),
                    Some(json!({"bio": format!("Bio {step}"), "website": format!("https://{slug}.example/{step}")})),
                )
                .await;
            }
            _ => {
                // Time passes: scheduled posts come due without a write.
                now += TimeDelta::minutes(rng.random_range(1..15));
                clock.set(now);
            }
        }
        if step % 20 == 19 {
            replica.sync(&app).await;
            assert_replica_matches(&app, &replica, &format!("after step {step}")).await;
        }
    }
    replica.sync(&app).await;
    assert_replica_matches(&app, &replica, "at the end").await;
    // A sync with nothing new: one empty page.
    let token = replica.token.clone().expect("a token");
    let page = app.get_json(&format!("/sync?since={token}")).await;
    for kind in KINDS {
        assert_eq!(page["data"][kind], json!([]), "{kind}");
        assert_eq!(page["deleted"][kind], json!([]), "{kind}");
    }
    assert_eq!(page["meta"]["has_more"], false);
}

/// A first sync of 250 posts comes in pages of at most 100 rows, each row once; writes made while an app
/// pages through reach it by the next sync, and concurrent writers commit their positions in order.
async fn a_first_sync_pages_through_everything_and_concurrent_writes_follow(app: TestApp) {
    app.import(&many_posts(250)).await;
    let token = token(&app);
    let mut replica = Replica::default();
    let first = app.get_json("/sync").await;
    let rows: usize = KINDS
        .iter()
        .map(|kind| first["data"][kind].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(rows, 100, "a page holds at most 100 rows");
    assert_eq!(first["meta"]["has_more"], true);
    replica.sync(&app).await;
    assert!(replica.pages >= 3, "{} pages", replica.pages);
    assert_eq!(replica.held("posts").len(), 250);
    assert_replica_matches(&app, &replica, "first sync").await;

    // Twenty writers at once, while the app keeps syncing.
    let writers = (0..20).map(|index| {
        let token = token.clone();
        let app = &app;
        async move {
            let response = send(
                app,
                Method::POST,
                "/posts",
                Some(&token),
                Some(
                    json!({"title": format!("Concurrent {index}"), "author": "Ann",
                    "body_markdown": "Words.", "published_at": "2020-01-01T00:00:00Z"}),
                ),
            )
            .await;
            assert_eq!(response.status(), 201);
        }
    });
    let syncing = async {
        for _ in 0..5 {
            replica.sync(&app).await;
        }
    };
    let ((), _) = tokio::join!(syncing, futures::future::join_all(writers));
    replica.sync(&app).await;
    assert_eq!(replica.held("posts").len(), 270);
    assert_replica_matches(&app, &replica, "after concurrent writes").await;
}

/// A token this API did not seal, or one from before the newest pruned deletion, is a 410 problem.
async fn changed_and_too_old_tokens_are_refused(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let mut replica = Replica::default();
    replica.sync(&app).await;
    let held = replica.token.clone().expect("a token");
    for forged in [
        String::from("abc"),
        held[..held.len() - 2].to_owned(),
        format!("{held}x"),
        String::new(),
    ] {
        let response = app.get(&format!("/sync?since={forged}")).await;
        assert_eq!(response.status(), 410, "{forged}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.expect("a problem");
        assert_eq!(problem["type"], "urn:blog-api:problem:sync-restart");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("without `since`")),
            "{problem}"
        );
    }
    assert_eq!(app.get("/sync?since_id=1").await.status(), 400);
    // A cursor of a list is no sync token.
    let cursor = app.get_json("/posts?per_page=1").await["meta"]["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    assert_eq!(
        app.get(&format!("/sync?since={cursor}")).await.status(),
        410
    );

    // A deletion, then its tombstone pruned: the token from before it could miss it.
    let response = send(&app, Method::DELETE, "/posts/1", Some(&token), None).await;
    assert_eq!(response.status(), 204);
    {
        let mut conn = app.pool.get().expect("a connection");
        let later = chrono::Utc::now().naive_utc() + TimeDelta::days(1);
        assert_eq!(
            blog_api::db::sync::prune(&mut conn, later).expect("pruned"),
            1
        );
    }
    let response = app.get(&format!("/sync?since={held}")).await;
    assert_eq!(response.status(), 410);
    let problem: Value = response.json().await.expect("a problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("older")),
        "{problem}"
    );
    // Starting again works, and from there on deltas do too.
    let mut fresh = Replica::default();
    fresh.sync(&app).await;
    assert!(!fresh.held("posts").contains_key(&1));
    let response = send(&app, Method::DELETE, "/posts/2", Some(&token), None).await;
    assert_eq!(response.status(), 204);
    fresh.sync(&app).await;
    assert_replica_matches(&app, &fresh, "after starting again").await;
}

crate::on_both_backends!(
    a_first_sync_pages_through_everything_and_concurrent_writes_follow,
    changed_and_too_old_tokens_are_refused,
);

mod random_writes {
    crate::with_each_backend!(a_replica_kept_by_sync_equals_the_lists_through_500_random_writes);
    use super::a_replica_kept_by_sync_equals_the_lists_through_500_random_writes;
}
