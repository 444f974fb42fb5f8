//! What browsers and operators get on every response: CORS and a request id.

use crate::helpers::{TestApp, TestOptions};
use blog_api::config::CorsOrigins;
use futures::StreamExt;

async fn browsers_on_any_origin_may_call_the_api_by_default(app: TestApp) {
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/posts", app.address))
        .header("Origin", "https://spa.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("answers");
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://spa.example"
    );
    let methods = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        methods.contains("PATCH") && methods.contains("DELETE"),
        "{methods}"
    );

    let read = app
        .client
        .get(format!("{}/posts", app.address))
        .header("Origin", "https://spa.example")
        .send()
        .await
        .expect("answers");
    assert_eq!(
        read.headers()["access-control-allow-origin"],
        "https://spa.example"
    );
    let exposed = read.headers()["access-control-expose-headers"]
        .to_str()
        .expect("ASCII")
        .to_ascii_lowercase();
    for header in ["etag", "link", "x-total-count"] {
        assert!(exposed.contains(header), "{header} not exposed: {exposed}");
    }
}

async fn cors_origins_restricts_browsers_to_the_listed_origins(app: TestApp) {
    let options = TestOptions {
        cors_origins: CorsOrigins::List(vec![String::from("https://blog.example")]),
        ..TestOptions::default()
    };
    let app = app.another_instance(options).await;
    let from = |origin: &'static str| {
        app.client
            .get(format!("{}/posts", app.address))
            .header("Origin", origin)
            .send()
    };
    let allowed = from("https://blog.example").await.expect("answers");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://blog.example"
    );
    let other = from("https://evil.example").await.expect("answers");
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

async fn every_response_carries_a_request_id(app: TestApp) {
    for path in ["/posts", "/posts/999", "/posts?page=0"] {
        let response = app.get(path).await;
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(id.len() >= 32, "{path}: {id:?}");
    }
}

fn request_id_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A client's sane `X-Request-Id` comes back on the response; a 300-character or non-ASCII one is replaced.
async fn a_sane_client_request_id_round_trips_and_others_are_replaced(app: TestApp) {
    let send = |value: reqwest::header::HeaderValue| {
        app.client
            .get(format!("{}/posts", app.address))
            .header("x-request-id", value)
            .send()
    };
    let kept = send(reqwest::header::HeaderValue::from_static(
        "client-7f9c.42:a_b",
    ))
    .await
    .expect("answers");
    assert_eq!(request_id_of(&kept), "client-7f9c.42:a_b");
    let long = "a".repeat(300);
    let odd = reqwest::header::HeaderValue::from_bytes("caf\u{e9}-1".as_bytes()).expect("bytes");
    for (case, value) in [
        (
            "300 characters",
            reqwest::header::HeaderValue::from_str(&long).expect("ascii"),
        ),
        ("non-ASCII", odd),
    ] {
        let replaced = send(value).await.expect("answers");
        let id = request_id_of(&replaced);
        assert!(
            id.len() >= 32 && id.len() < 300 && id.is_ascii(),
            "{case}: {id:?}"
        );
    }
}

/// The request's log line carries the client's request id (the binary's own log, at the default level).
async fn the_request_id_is_on_the_request_log_line(app: TestApp) {
    let (line, _) = log_line_of(&[], &app, "trace-me-4242").await;
    assert!(
        line.contains("route=\"/posts\"") && line.contains("200"),
        "{line}"
    );
}

/// The log line of the request that sent `id`, and the whole log.
async fn log_line_of(env: &[(&str, &str)], app: &TestApp, id: &str) -> (String, String) {
    let server = crate::helpers::BinaryServer::start_with(&app.database.url, "info", env).await;
    let response = crate::helpers::http_client()
        .get(format!("{}/posts", server.base))
        .header("x-request-id", id)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    let text = server.stop_and_read_log();
    let line = text
        .lines()
        .find(|line| line.contains(id) && line.contains("request served"))
        .unwrap_or_else(|| panic!("no log line carries the request id:\n{text}"))
        .to_owned();
    (line, text)
}

async fn json_logs_carry_the_request_and_client_addresses_only_when_asked(app: TestApp) {
    let (line, text) = log_line_of(&[("LOG_FORMAT", "json")], &app, "json-line-1").await;
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not a JSON line: {line}"
        );
    }
    let fields: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(fields["span"]["request_id"], "json-line-1", "{line}");
    assert_eq!(fields["span"]["route"], "/posts", "{line}");
    assert_eq!(fields["status"], 200, "{line}");
    assert!(
        !text.contains("127.0.0.1\""),
        "no client address by default: {text}"
    );
    assert!(fields["span"].get("client_ip").is_none(), "{line}");

    let env = [("LOG_FORMAT", "json"), ("LOG_CLIENT_IP", "true")];
    let (line, _) = log_line_of(&env, &app, "json-line-2").await;
    let fields: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(fields["span"]["client_ip"], "127.0.0.1", "{line}");
}

async fn metrics_count_clicks_statements_and_cache_state(app: TestApp) {
    app.import(&crate::fixture::small_blog()).await;
    for _ in 0..3 {
        app.view("/posts/1").await;
    }
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/plain")));
    let text = response.text().await.expect("text");
    let value = |name: &str| {
        text.lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse::<u64>().ok())
    };
    assert_eq!(value("blog_api_clicks_cached_total "), Some(3), "{text}");
    assert_eq!(value("blog_api_clicks_fallback_total "), Some(0));
    assert!(value("blog_api_db_statements_total ").is_some_and(|n| n > 0));
    assert!(value("blog_api_cache_round_trips_total ").is_some_and(|n| n >= 3));
    assert!(
        text.contains("blog_api_cache_available{backend=") && text.contains("} 1"),
        "{text}"
    );
}

async fn request_metrics_are_labelled_by_route_template_and_stay_bounded(app: TestApp) {
    app.import(&crate::fixture::small_blog()).await;
    let series = |text: &str, prefix: &str| -> Vec<String> {
        text.lines()
            .filter(|line| line.starts_with(prefix))
            .map(|line| {
                line.rsplit_once(' ')
                    .map_or(line, |(name, _)| name)
                    .to_owned()
            })
            .collect()
    };
    let count = |text: &str, labels: &str| -> u64 {
        text.lines()
            .find_map(|line| {
                line.strip_prefix(&format!(
                    "blog_api_http_request_duration_seconds_count{{{labels}}} "
                ))
            })
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    let post = r#"method="GET",route="/posts/{id}",status="200""#;
    let missing = r#"method="GET",route="unmatched",status="404""#;
    let before = app.get("/metrics").await.text().await.expect("text");
    for id in [1, 2, 1, 2, 1] {
        assert_eq!(app.get(&format!("/posts/{id}")).await.status(), 200);
    }
    let moved = app.get("/metrics").await.text().await.expect("text");
    assert_eq!(count(&moved, post) - count(&before, post), 5, "{moved}");
    assert!(
        moved.contains(&format!(
            "blog_api_http_request_duration_seconds_bucket{{{post},le=\"+Inf\"}} 5"
        )),
        "{moved}"
    );
    assert!(!moved.contains("/posts/1\""), "raw paths are never labels");

    // A scanner: 10,000 distinct unknown paths (and made-up methods) add no series beyond one.
    let client = crate::helpers::http_client();
    futures::stream::iter(0..10_000)
        .for_each_concurrent(32, |n| {
            let (client, address) = (client.clone(), app.address.clone());
            async move {
                let path = format!("{address}/wp-admin/{n}/x.php?id={n}");
                let response = if n % 100 == 0 {
                    let method = reqwest::Method::from_bytes(format!("SCAN{n}").as_bytes());
                    client.request(method.expect("a token"), path).send().await
                } else {
                    client.get(path).send().await
                };
                assert!(response.is_ok_and(|r| r.status().is_client_error()));
            }
        })
        .await;
    let scanned = app.get("/metrics").await.text().await.expect("text");
    let name = "blog_api_http_request_duration_seconds_count";
    let new: Vec<String> = series(&scanned, name)
        .into_iter()
        .filter(|line| !series(&moved, name).contains(line))
        .collect();
    assert!(new.len() <= 3, "new series: {new:?}");
    assert!(count(&scanned, missing) >= 9_900, "{scanned}");
}

/// `GET path` with `If-None-Match: tag` (and a token when given): status and the new `ETag`.
async fn revalidate(app: &TestApp, path: &str, tag: &str, token: Option<&str>) -> (u16, String) {
    let mut request = app
        .client
        .get(format!("{}{path}", app.address))
        .header("if-none-match", tag);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("answers");
    let tag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (response.status().as_u16(), tag)
}

async fn etag_of(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=0",
        "{path}"
    );
    assert!(
        response
            .headers()
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.contains("Authorization"))),
        "{path}"
    );
    response.headers()["etag"]
        .to_str()
        .expect("ASCII")
        .to_owned()
}

/// Unchanged public reads answer 304 to `If-None-Match`; any change of what they show, counts included,
/// gives a new validator; a request with a token is never answered from a validator.
async fn public_reads_revalidate_and_every_change_shows(app: TestApp) {
    app.import(&crate::fixture::small_blog()).await;
    let token = crate::post_writes::token(&app);
    let paths = [
        "/posts",
        "/posts/1",
        "/posts/1/comments",
        "/categories",
        "/tags/1",
    ];
    let mut tags = std::collections::HashMap::new();
    for path in paths {
        let tag = etag_of(&app, path).await;
        let (status, again) = revalidate(&app, path, &tag, None).await;
        assert_eq!(
            (status, again.as_str()),
            (304, tag.as_str()),
            "{path} unchanged"
        );
        tags.insert(path, tag);
    }
    let (status, _) = revalidate(&app, "/posts", &tags["/posts"], Some(&token)).await;
    assert_eq!(status, 200, "no 304 for a request carrying a token");
    let private = app
        .client
        .get(format!("{}/posts", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(private.headers()["cache-control"], "private, no-store");

    let write = |method: reqwest::Method, path: &str, body: serde_json::Value| {
        app.client
            .request(method, format!("{}{path}", app.address))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    // A click (the beacon, from a browser): the post and the list show a new count.
    let clicked = app
        .client
        .post(format!("{}/posts/1/clicks", app.address))
        .header("User-Agent", crate::helpers::BROWSER)
        .send()
        .await
        .expect("answers");
    assert_eq!(clicked.status(), 200);
    for path in ["/posts/1", "/posts"] {
        let (status, _) = revalidate(&app, path, &tags[path], None).await;
        assert_eq!(status, 200, "{path} after a click");
    }
    // An edit, a comment approval, a taxonomy rename.
    let tag = etag_of(&app, "/posts/1").await;
    let edited = write(
        reqwest::Method::PATCH,
        "/posts/1",
        serde_json::json!({"title": "Renamed"}),
    )
    .await
    .expect("answers");
    assert_eq!(edited.status(), 200);
    assert_eq!(
        revalidate(&app, "/posts/1", &tag, None).await.0,
        200,
        "after an edit"
    );
    let approved = write(
        reqwest::Method::PATCH,
        "/comments/3",
        serde_json::json!({"status": "approved"}),
    )
    .await
    .expect("answers");
    assert_eq!(approved.status(), 200);
    let (status, _) = revalidate(&app, "/posts/1/comments", &tags["/posts/1/comments"], None).await;
    assert_eq!(status, 200, "after a comment approval");
    let renamed = write(
        reqwest::Method::PATCH,
        "/tags/1",
        serde_json::json!({"name": "Renamed"}),
    )
    .await
    .expect("answers");
    assert_eq!(renamed.status(), 200);
    assert_eq!(
        revalidate(&app, "/tags/1", &tags["/tags/1"], None).await.0,
        200,
        "after a rename"
    );
    // The tag of a read still names the post's content version for If-Match.
    let current = etag_of(&app, "/posts/1").await;
    let guarded = app
        .client
        .patch(format!("{}/posts/1", app.address))
        .bearer_auth(&token)
        .header("if-match", &current)
        .json(&serde_json::json!({"title": "Again"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(guarded.status(), 200, "If-Match with a read's tag");
}

/// The names in a response's `Vary`, lower-cased.
fn varies_on(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("vary")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect()
}

/// A body that `Accept-Encoding` chooses the encoding of says so in `Vary`, once, whether it was encoded
/// or not, and so does a 304 (a cache merges its headers into the answer it keeps).
async fn every_answer_whose_encoding_may_vary_says_so(app: TestApp) {
    app.import(&crate::fixture::small_blog()).await;
    let encoding = |response: &reqwest::Response| {
        response
            .headers()
            .get("content-encoding")
            .map(|value| value.to_str().unwrap_or_default().to_owned())
    };
    for path in [
        "/posts",
        "/posts/1",
        "/posts/999999",
        "/openapi.json",
        "/feed.rss",
    ] {
        let plain = app.get(path).await;
        assert_eq!(encoding(&plain), None, "{path}");
        let names = varies_on(&plain);
        assert_eq!(
            names
                .iter()
                .filter(|name| *name == "accept-encoding")
                .count(),
            1,
            "{path} without Accept-Encoding: Vary {names:?}"
        );
        let gzip = app
            .client
            .get(format!("{}{path}", app.address))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("answers");
        assert_eq!(encoding(&gzip).as_deref(), Some("gzip"), "{path}");
        let names = varies_on(&gzip);
        assert_eq!(
            names
                .iter()
                .filter(|name| *name == "accept-encoding")
                .count(),
            1,
            "{path} in gzip: Vary {names:?}"
        );
    }
    let tag = etag_of(&app, "/posts").await;
    let not_modified = app
        .client
        .get(format!("{}/posts", app.address))
        .header("if-none-match", &tag)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("answers");
    assert_eq!(not_modified.status(), 304);
    let names = varies_on(&not_modified);
    assert!(
        names.contains(&String::from("accept-encoding"))
            && names.contains(&String::from("authorization")),
        "{names:?}"
    );
}

crate::on_both_backends!(
    every_answer_whose_encoding_may_vary_says_so,
    public_reads_revalidate_and_every_change_shows,
    metrics_count_clicks_statements_and_cache_state,
    request_metrics_are_labelled_by_route_template_and_stay_bounded,
    browsers_on_any_origin_may_call_the_api_by_default,
    cors_origins_restricts_browsers_to_the_listed_origins,
    every_response_carries_a_request_id,
    a_sane_client_request_id_round_trips_and_others_are_replaced,
    the_request_id_is_on_the_request_log_line,
    json_logs_carry_the_request_and_client_addresses_only_when_asked,
);
