//! The OpenAPI document: the committed copy is what the code generates, and what the server serves.

use crate::helpers::{self, TestApp};

const REGENERATE: &str = "openapi/openapi.json is out of date: regenerate it with \
                          `cargo run -- openapi > openapi/openapi.json` and commit it";

fn committed() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    std::fs::read_to_string(path).unwrap_or_default()
}

async fn the_committed_document_is_what_the_code_generates_and_serves(app: TestApp) {
    let generated = blog_api::routes::openapi::document_json();
    assert!(committed() == generated, "{REGENERATE}");
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(
        response.text().await.expect("a body") == generated,
        "GET /openapi.json differs from the code"
    );
}

/// The route table ([`blog_api::routes::ROUTES`], from which the server registers its routes) and the
/// document's operations are the same set: no route undocumented, no operation without a route.
async fn every_route_is_documented(app: TestApp) {
    let document = app.get_json("/openapi.json").await;
    let paths = document["paths"].as_object().expect("paths");
    let documented: std::collections::BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let registered: std::collections::BTreeSet<(String, String)> = blog_api::routes::ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(
        documented, registered,
        "the document and the route table differ"
    );
    assert_eq!(registered.len(), 67, "an operation was added or lost");
    for (method, path) in &registered {
        let operation = &paths[path.as_str()][method.as_str()];
        assert!(operation.is_object(), "{method} {path} is not documented");
        // A short plain summary (the docs page shows it raw: no Markdown, one line) and a tag.
        let summary = operation["summary"].as_str().unwrap_or_default();
        assert!(
            !summary.is_empty()
                && summary.len() <= 60
                && !summary.contains(['`', '\n', '/'])
                && summary.starts_with(|c: char| c.is_ascii_uppercase()),
            "{method} {path}: summary {summary:?}"
        );
        assert!(
            operation["tags"]
                .as_array()
                .is_some_and(|tags| !tags.is_empty()),
            "{method} {path} has no tag"
        );
        let writes = ["post", "patch", "delete"].contains(&method.as_str())
            && !path.ends_with("/clicks")
            && !(path.ends_with("/comments") && method == "post");
        if writes {
            assert_eq!(
                operation["security"],
                serde_json::json!([{"bearer": []}]),
                "{method} {path}"
            );
        }
    }
}

/// Each registered route answers (not with actix's bare 404 for an unknown path): the table the test above
/// reads is the one the server serves.
async fn every_registered_route_is_served(app: TestApp) {
    let client = helpers::http_client();
    for (method, path) in blog_api::routes::ROUTES {
        let url = format!(
            "{}{}",
            app.address,
            path.replace("{id}", "1").replace("{slug}", "no-such-post")
        );
        let method =
            reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
        let response = client
            .request(method.clone(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("answers");
        assert_ne!(response.status(), 405, "{method} {path}");
        let problem_kind = if response.status().is_success() {
            String::new()
        } else {
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            body["detail"].as_str().unwrap_or_default().to_owned()
        };
        assert_ne!(
            problem_kind, "no such resource",
            "{method} {path} is not routed"
        );
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
    every_registered_route_is_served,
);
