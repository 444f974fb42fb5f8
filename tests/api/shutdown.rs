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

crate::on_both_backends!(sigterm_syncs_every_buffered_click_before_exit);
