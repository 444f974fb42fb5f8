//! Click counting under load: a first-view burst on one and on three instances, and reads that never go
//! backwards nor past the clicks issued while syncs run every few milliseconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};

use crate::fixture::many_posts;
use crate::helpers::{TestApp, TestBackend, TestOptions, BROWSER};

pub const REQUESTS: usize = 10_000;
const CONNECTIONS: usize = 64;
const POSTS: i64 = 20;

pub fn syncing_every(ms: u64) -> TestOptions {
    TestOptions {
        sync_interval: Duration::from_millis(ms),
        ..TestOptions::default()
    }
}

/// Sends `REQUESTS` counted views of posts 1..=POSTS, round-robin over `instances`, `CONNECTIONS` at a
/// time; returns how many were answered 200, per post.
pub async fn burst(instances: &[TestApp]) -> HashMap<i64, i64> {
    // As helpers::http_client, with a pool as large as the load.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .pool_idle_timeout(Duration::from_secs(1))
        .build()
        .expect("client");
    let answered: Vec<(i64, bool)> = stream::iter(0..REQUESTS)
        .map(|n| {
            let client = client.clone();
            let post = (n as i64 % POSTS) + 1;
            let url = format!("{}/posts/{post}", instances[n % instances.len()].address);
            async move {
                let response = client.get(url).header("User-Agent", BROWSER).send().await;
                (post, response.is_ok_and(|r| r.status() == 200))
            }
        })
        .buffer_unordered(CONNECTIONS)
        .collect()
        .await;
    let mut ok = HashMap::new();
    for (post, success) in answered {
        if success {
            *ok.entry(post).or_insert(0) += 1;
        }
    }
    ok
}

/// Posts that have never been clicked: no counter in the database beyond zero, nothing in the cache.
pub fn fresh_posts() -> String {
    many_posts(POSTS).replace("\"clicks\":", "\"ignored_clicks\":")
}

pub async fn assert_exact(app: &TestApp, ok: &HashMap<i64, i64>) {
    assert_eq!(
        ok.values().sum::<i64>(),
        REQUESTS as i64,
        "every request answered"
    );
    for post in 1..=POSTS {
        let expected = ok.get(&post).copied().unwrap_or(0);
        assert_eq!(
            app.synced_clicks(post),
            expected,
            "post {post} in the database"
        );
        let shown = app.get_json(&format!("/posts/{post}")).await["clicks"].as_i64();
        assert_eq!(shown, Some(expected), "post {post} as shown");
    }
}

async fn a_first_view_burst_is_counted_exactly(app: TestApp) {
    app.import(&fresh_posts()).await;
    let mut server = app.another_instance(syncing_every(50)).await;
    let ok = burst(std::slice::from_ref(&server)).await;
    server.stop().await; // the final sync
    app.sync().await;
    assert_exact(&app, &ok).await;
}

async fn a_first_view_burst_on_three_instances_is_counted_exactly(app: TestApp) {
    if let TestBackend::Sqlite = app.backend {
        return; // several instances share PostgreSQL and Redis; the in-process cache is per process
    }
    app.import(&fresh_posts()).await;
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(app.another_instance(syncing_every(50)).await);
    }
    let ok = burst(&instances).await;
    for instance in &mut instances {
        instance.stop().await;
    }
    app.sync().await;
    assert_exact(&app, &ok).await;
}

async fn reads_never_go_backwards_nor_past_the_clicks_issued(app: TestApp) {
    app.import(&fresh_posts()).await;
    let count = match app.backend {
        TestBackend::Sqlite => 1,
        TestBackend::Postgres => 3,
    };
    let mut instances = Vec::new();
    for _ in 0..count {
        instances.push(app.another_instance(syncing_every(3)).await);
    }
    let issued = Arc::new(AtomicI64::new(0));
    let client = crate::helpers::http_client();
    let addresses: Vec<String> = instances.iter().map(|i| i.address.clone()).collect();

    let writer = {
        let (issued, client, addresses) = (issued.clone(), client.clone(), addresses.clone());
        stream::iter(0..3000_usize).for_each_concurrent(16, move |n| {
            let (issued, client) = (issued.clone(), client.clone());
            let url = format!("{}/posts/7", addresses[n % addresses.len()]);
            async move {
                issued.fetch_add(1, Ordering::SeqCst);
                let response = client.get(url).header("User-Agent", BROWSER).send().await;
                assert!(response.is_ok_and(|r| r.status() == 200));
            }
        })
    };
    let reader = async {
        let mut last = 0;
        let mut reads = 0;
        while issued.load(Ordering::SeqCst) < 3000 || reads < 50 {
            let address = &addresses[reads % addresses.len()];
            let path = if reads % 2 == 0 {
                "/posts/7"
            } else {
                "/posts?per_page=100&sort=published_at"
            };
            let body: serde_json::Value = client
                .get(format!("{address}{path}"))
                .send()
                .await
                .expect("answers")
                .json()
                .await
                .expect("JSON");
            let shown = if reads % 2 == 0 {
                body["clicks"].as_i64()
            } else {
                body["data"][6]["clicks"].as_i64()
            };
            let shown = shown.expect("a count");
            let ceiling = issued.load(Ordering::SeqCst);
            assert!(shown >= last, "went backwards: {last} then {shown}");
            assert!(
                shown <= ceiling,
                "{shown} shown with only {ceiling} clicks issued"
            );
            last = shown;
            reads += 1;
        }
        reads
    };
    let ((), reads) = futures::join!(writer, reader);
    assert!(reads >= 50);
    for instance in &mut instances {
        instance.stop().await;
    }
    app.sync().await;
    assert_eq!(app.synced_clicks(7), 3000);
}

crate::on_both_backends!(
    a_first_view_burst_is_counted_exactly,
    a_first_view_burst_on_three_instances_is_counted_exactly,
    reads_never_go_backwards_nor_past_the_clicks_issued,
);
