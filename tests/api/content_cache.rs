//! Reads served from each instance's content cache stay correct across instances: a write through one
//! instance (or straight into the database) is served by another that had cached the old content, within
//! the README's bound (under 1 s), and a watcher that lost its database for a while catches up by the
//! content version once it is back.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestBackend, TestOptions};
use crate::post_writes::{send, token};

/// The bound the README states for a write to be served by every instance.
const BOUND: Duration = Duration::from_secs(1);

/// Polls `path` on `app` until `done` holds for its JSON (or its status when not 200), within [`BOUND`];
/// returns how long that took.
async fn served_within(app: &TestApp, path: &str, done: impl Fn(u16, &Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let response = app.get(path).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if done(status, &body) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < BOUND,
            "{path} still served the old content after {BOUND:?}: {status} {body}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn writes_through_one_instance_are_served_by_another_within_the_bound(app: TestApp) {
    app.import(&small_blog()).await;
    let writer = app.another_instance(TestOptions::default()).await;
    let reader = app.another_instance(TestOptions::default()).await;
    let token = token(&app);
    // The reader caches the old content first.
    assert_eq!(reader.get_json("/posts/1").await["title"], "Hello Rust");
    assert_eq!(
        reader.get_json("/posts?per_page=100").await["meta"]["total"],
        4
    );
    assert_eq!(reader.get_json("/posts/2").await["comment_count"], 1);
    assert_ne!(reader.get_json("/categories/1").await["name"], "Code");
    assert!(reader.get_json("/categories").await["data"]
        .as_array()
        .is_some_and(|terms| terms.iter().all(|term| term["name"] != "Code")));

    let edited = send(
        &writer,
        Method::PATCH,
        "/posts/1",
        Some(&token),
        Some(json!({"title": "Hello again"})),
    )
    .await;
    assert_eq!(edited.status(), 200);
    served_within(&reader, "/posts/1", |_, post| {
        post["title"] == "Hello again"
    })
    .await;
    if let TestBackend::Postgres = app.backend {
        // PostgreSQL announced it: the reader heard (SQLite has no announcements; its instances poll).
        assert!(reader.metric("content_announcements_total").await > 0);
    }
    served_within(&reader, "/posts/slug/hello-rust", |_, post| {
        post["title"] == "Hello again"
    })
    .await;

    let renamed = send(
        &writer,
        Method::PATCH,
        "/categories/1",
        Some(&token),
        Some(json!({"name": "Code"})),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    served_within(&reader, "/posts/1", |_, post| {
        post["category"]["name"] == "Code"
    })
    .await;
    served_within(&reader, "/posts?per_page=100", |_, page| {
        page["data"].as_array().is_some_and(|posts| {
            posts
                .iter()
                .filter(|post| post["category"]["name"] == "Code")
                .count()
                == 2
        })
    })
    .await;
    served_within(&reader, "/categories/1", |_, term| {
        term["name"] == "Code" && term["post_count"] == 2
    })
    .await;
    served_within(&reader, "/categories", |_, page| {
        page["data"]
            .as_array()
            .is_some_and(|terms| terms.iter().any(|term| term["name"] == "Code"))
    })
    .await;

    // A reader's comment waits for moderation (nothing changes); its approval shows in the post's count.
    let comment = send(
        &reader,
        Method::POST,
        "/posts/2/comments",
        None,
        Some(json!({"author_name": "R", "body": "Hi"})),
    )
    .await;
    let comment: Value = comment.json().await.expect("JSON");
    let approved = send(
        &writer,
        Method::PATCH,
        &format!("/comments/{}", comment["id"]),
        Some(&token),
        Some(json!({"status": "approved"})),
    )
    .await;
    assert_eq!(approved.status(), 200);
    served_within(&reader, "/posts/2", |_, post| post["comment_count"] == 2).await;

    let deleted = send(&writer, Method::DELETE, "/posts/3", Some(&token), None).await;
    assert_eq!(deleted.status(), 204);
    served_within(&reader, "/posts/3", |status, _| status == 404).await;
    served_within(&reader, "/posts?per_page=100", |_, page| {
        page["meta"]["total"] == 3
    })
    .await;
    // Category 1 held posts 1 and 3: its count (cached by the reader after the rename) drops.
    served_within(&reader, "/categories/1", |_, term| term["post_count"] == 1).await;
}

/// A change made in the database by anything else (an import from another process, plain SQL) is caught
/// by the content version just the same.
async fn a_write_behind_the_api_is_caught_by_the_content_version(app: TestApp) {
    app.import(&small_blog()).await;
    let reader = app.another_instance(TestOptions::default()).await;
    assert_eq!(reader.get_json("/posts/6").await["title"], "apple pie");
    {
        use diesel::prelude::*;
        let mut conn = app.pool.get().expect("a connection");
        diesel::sql_query("UPDATE posts SET title = 'Apple crumble' WHERE id = 6")
            .execute(&mut conn)
            .expect("an update");
    }
    served_within(&reader, "/posts/6", |_, post| {
        post["title"] == "Apple crumble"
    })
    .await;
}

/// The reader's database goes away (its connections cut, as a network partition would) while a write
/// happens elsewhere; once it is back, the first version check drops what it had cached.
async fn a_watcher_cut_off_from_the_database_catches_up_when_it_is_back(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // a proxy in front of SQLite is meaningless: it is a file
    };
    app.import(&small_blog()).await;
    let options = TestOptions {
        statement_timeout: Duration::from_millis(500),
        ..TestOptions::default()
    };
    let (proxy, reader) = crate::outages::behind_a_proxy(&app, options).await;
    assert_eq!(reader.get_json("/posts/6").await["title"], "apple pie");
    proxy.cut();
    retitle_post_6(&app, "Pie, revised").await;
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    proxy.restore();
    // Reconnecting may take the pool a moment; then the version check answers within the bound.
    let started = Instant::now();
    loop {
        let response = reader.get("/posts/6").await;
        if response.status() == 200 {
            let post: Value = response.json().await.expect("JSON");
            if post["title"] == "Pie, revised" {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never caught up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An editor renames post 6 through `app`.
async fn retitle_post_6(app: &TestApp, title: &str) {
    let token = token(app);
    let edited = send(
        app,
        Method::PATCH,
        "/posts/6",
        Some(&token),
        Some(json!({ "title": title })),
    )
    .await;
    assert_eq!(edited.status(), 200);
}

/// The listener's own connection dies silently (its bytes held, nothing closed, as a dead network path
/// does) while the pool's connections work: reads stop being served from memory once
/// `CONTENT_CACHE_MAX_STALENESS_MS` passes without a successful check, so a write elsewhere shows within
/// that bound (it used to show only when TCP keepalives noticed, minutes later), and the metric says so.
async fn a_silently_dead_listener_leaves_nothing_stale_past_the_bound(app: TestApp) {
    let TestBackend::Postgres = app.backend else {
        return; // SQLite has no listener: a watcher reads the file
    };
    app.import(&small_blog()).await;
    let options = TestOptions {
        content_cache_max_staleness: Duration::from_millis(700),
        ..TestOptions::default()
    };
    let (proxy, reader) = crate::outages::behind_a_proxy(&app, options).await;
    assert_eq!(reader.get_json("/posts/6").await["title"], "apple pie");
    // The reader's listener, by the port its connection comes from, as PostgreSQL sees it. It connects on
    // its own task, so it may not be there the moment the reader first answers: look again for a while.
    let listener_ports = || -> Vec<i32> {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct Port {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            client_port: i32,
        }
        let mut conn = app.pool.get().expect("a connection");
        diesel::sql_query(
            "SELECT client_port FROM pg_stat_activity \
              WHERE application_name = 'blog-api-content-listener' AND datname = current_database()",
        )
        .load::<Port>(&mut conn)
        .expect("the listeners")
        .into_iter()
        .map(|row| row.client_port)
        .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ports = listener_ports();
    while ports.len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        ports = listener_ports();
    }
    let stalled = ports
        .iter()
        .filter_map(|port| u16::try_from(*port).ok())
        .filter(|port| proxy.stall_connection_from(*port))
        .count();
    assert_eq!(stalled, 1, "the reader's listener among {ports:?}");
    retitle_post_6(&app, "Pie, rewritten").await;
    let started = Instant::now();
    loop {
        let post = reader.get_json("/posts/6").await;
        if post["title"] == "Pie, rewritten" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "still stale after {:?}: {post}",
            started.elapsed()
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reader.metric("content_cache_bypassed_total").await > 0);
}

crate::on_both_backends!(
    a_silently_dead_listener_leaves_nothing_stale_past_the_bound,
    writes_through_one_instance_are_served_by_another_within_the_bound,
    a_write_behind_the_api_is_caught_by_the_content_version,
    a_watcher_cut_off_from_the_database_catches_up_when_it_is_back,
);
