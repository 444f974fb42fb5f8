//! SIGTERM: the real binary stops accepting, finishes its requests and syncs every buffered click before
//! it exits (here with the in-process cache, which would otherwise lose them).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestBackend};

async fn sigterm_syncs_every_buffered_click_before_exit(app: TestApp) {
    let TestBackend::Sqlite = app.backend else {
        return; // the binary and its in-process cache; once is enough
    };
    app.import(&small_blog()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port");
    let mut server = Command::new(env!("CARGO_BIN_EXE_blog-api"))
        .arg("serve")
        .env("DATABASE_URL", app.database.url.to_string())
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("CLICK_SYNC_INTERVAL_MS", "3600000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "the server never answered");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let client = crate::helpers::http_client();
    for _ in 0..25 {
        let response = client
            .get(format!("{base}/posts/1"))
            .header("User-Agent", crate::helpers::BROWSER)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.synced_clicks(1), 10, "buffered, not synced yet");

    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    let exit = server.wait().expect("the server exits");
    assert!(exit.success(), "{exit:?}");
    assert_eq!(app.synced_clicks(1), 35, "the final sync moved every click");
}

/// A stop is bounded by `SHUTDOWN_TIMEOUT_MS` and syncs first: with a webhook receiver that never answers
/// (attempts may take 20 s) and `docker stop`'s grace period, the buffered clicks reach the database.
async fn a_stop_syncs_clicks_first_and_ends_within_the_shutdown_timeout(app: TestApp) {
    let TestBackend::Sqlite = app.backend else {
        return; // the binary and its in-process cache
    };
    app.import(&small_blog()).await;
    let token = crate::post_writes::token(&app);
    let receiver = crate::webhooks::Receiver::start();
    receiver.script("/hang", &[crate::webhooks::Answer::Hang]);
    let server = crate::helpers::BinaryServer::start_with(
        &app.database.url,
        "info",
        &[
            ("CLICK_SYNC_INTERVAL_MS", "3600000"),
            ("WEBHOOKS_ALLOW_PRIVATE", "true"),
            ("WEBHOOK_POLL_INTERVAL_MS", "20"),
            ("WEBHOOK_TIMEOUT_MS", "20000"),
            ("SHUTDOWN_TIMEOUT_MS", "2000"),
        ],
    )
    .await;
    let client = crate::helpers::http_client();
    let subscribed = client
        .post(format!("{}/webhooks", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"url": receiver.url("/hang"), "events": ["post.updated"]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(subscribed.status(), 201);
    let updated = client
        .patch(format!("{}/posts/3", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "Zebra notes, revised"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(updated.status(), 200);
    crate::webhooks::eventually("the hanging attempt to open", || {
        !receiver.received("/hang").is_empty()
    })
    .await;
    for _ in 0..12 {
        let response = client
            .get(format!("{}/posts/1", server.base))
            .header("User-Agent", crate::helpers::BROWSER)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.synced_clicks(1), 10, "buffered, not synced yet");

    let (took, by_itself, log) = server.stop_within(Duration::from_secs(10));
    assert_eq!(
        app.synced_clicks(1),
        22,
        "the stop synced every click first: {log}"
    );
    assert!(by_itself, "it exited before docker stop's SIGKILL: {log}");
    assert!(
        took < Duration::from_secs(4),
        "the stop took {took:?}, past SHUTDOWN_TIMEOUT_MS=2000 by far: {log}"
    );
    assert!(
        log.contains("webhook attempts still open") && log.contains("attempts=1"),
        "what was left open is logged with its count: {log}"
    );
}

crate::on_both_backends!(
    sigterm_syncs_every_buffered_click_before_exit,
    a_stop_syncs_clicks_first_and_ends_within_the_shutdown_timeout,
);
