//! What browsers and operators get on every response: CORS and a request id.

use crate::helpers::{TestApp, TestOptions};
use blog_api::config::CorsOrigins;

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

async fn metrics_count_clicks_statements_and_cache_state(app: TestApp) {
    app.import(&crate::fixture::small_blog());
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

crate::on_both_backends!(
    metrics_count_clicks_statements_and_cache_state,
    browsers_on_any_origin_may_call_the_api_by_default,
    cors_origins_restricts_browsers_to_the_listed_origins,
    every_response_carries_a_request_id,
);
