//! The OpenAPI document: the committed copy is what the code generates, and what the server serves.

use crate::helpers::TestApp;

const REGENERATE: &str = "openapi/openapi.json is out of date: regenerate it with \
                          `cargo run -- openapi > openapi/openapi.json` and commit it";

fn committed() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    std::fs::read_to_string(path).unwrap_or_default()
}

async fn the_committed_document_is_what_the_code_generates_and_serves(app: TestApp) {
    let generated = blog_api::openapi::document_json();
    assert!(committed() == generated, "{REGENERATE}");
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(
        response.text().await.expect("a body") == generated,
        "GET /openapi.json differs from the code"
    );
}

async fn every_route_is_documented(app: TestApp) {
    let document = app.get_json("/openapi.json").await;
    let paths = document["paths"].as_object().expect("paths");
    let expected = [
        ("/posts", &["get", "post"][..]),
        ("/posts/{id}", &["get", "patch", "delete"]),
        ("/posts/slug/{slug}", &["get"]),
        ("/posts/{id}/clicks", &["post"]),
        ("/posts/{id}/comments", &["get", "post"]),
        ("/comments/{id}", &["patch", "delete"]),
        ("/categories", &["get", "post"]),
        ("/categories/{id}", &["get", "patch", "delete"]),
        ("/tags", &["get", "post"]),
        ("/tags/{id}", &["get", "patch", "delete"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
        ("/openapi.json", &["get"]),
    ];
    assert_eq!(paths.len(), expected.len());
    for (path, methods) in expected {
        for method in methods {
            let operation = &paths[path][method];
            assert!(operation.is_object(), "{method} {path} is not documented");
            let writes = ["post", "patch", "delete"].contains(method)
                && !path.ends_with("/clicks")
                && !(path.ends_with("/comments") && *method == "post");
            if writes {
                assert_eq!(
                    operation["security"],
                    serde_json::json!([{"bearer": []}]),
                    "{method} {path}"
                );
            }
        }
    }
}

async fn the_docs_page_and_its_assets_are_served_by_the_app(app: TestApp) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let redirect = client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        (
            redirect.status().as_u16(),
            redirect.headers()["location"].to_str().ok()
        ),
        (308, Some("/docs/"))
    );
    let page = app.get("/docs/").await.text().await.expect("HTML");
    assert!(page.contains("swagger-ui-bundle.js"), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page loads nothing from elsewhere"
    );
    let initializer = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .expect("JS");
    assert!(
        initializer.contains("\"url\": \"/openapi.json\""),
        "{initializer}"
    );
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.expect("JS").len() > 100_000);
}

crate::on_both_backends!(
    the_docs_page_and_its_assets_are_served_by_the_app,
    the_committed_document_is_what_the_code_generates_and_serves,
    every_route_is_documented,
);
