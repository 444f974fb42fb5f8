//! Bad input of every kind gets a 4xx problem+json naming what was wrong; nothing gets a 500.

use serde_json::Value;

use crate::fixture::small_blog;
use crate::helpers::TestApp;

/// (path, status, the parameter named in `errors`, or `None` where there is no parameter to name)
const BAD_REQUESTS: &[(&str, u16, Option<&str>)] = &[
    ("/posts?per_page=0", 400, Some("per_page")),
    ("/posts?per_page=101", 400, Some("per_page")),
    ("/posts?per_page=", 400, Some("per_page")),
    ("/posts?per_page=1e3", 400, Some("per_page")),
    ("/posts?page=-1", 400, Some("page")),
    ("/posts?page=0", 400, Some("page")),
    ("/posts?page=abc", 400, Some("page")),
    ("/posts?page=99999999999999999999", 400, Some("page")),
    ("/posts?page=1&page=2", 400, Some("page")),
    ("/posts?sort=bogus", 400, Some("sort")),
    ("/posts?sort=-title", 400, Some("sort")),
    ("/posts?foo=1", 400, Some("foo")),
    ("/posts?status=bogus", 400, Some("status")),
    ("/posts?category=Not%20A%20Slug", 400, Some("category")),
    ("/posts?tag=", 400, Some("tag")),
    ("/posts?q=", 400, Some("q")),
    ("/posts?q=%20%2A%2A%20", 400, Some("q")),
    ("/posts/abc", 400, Some("id")),
    ("/posts/0", 400, Some("id")),
    ("/posts/-5", 400, Some("id")),
    ("/posts/1.5", 400, Some("id")),
    ("/posts/99999999999999999999", 400, Some("id")),
    ("/posts/1?fields=secret", 400, Some("fields")),
    ("/posts/1?include=tags", 400, Some("include")),
    ("/posts/slug/Bad_Slug", 400, Some("slug")),
    ("/posts/abc/comments", 400, Some("id")),
    ("/posts/1/comments?per_page=500", 400, Some("per_page")),
    ("/posts/1/comments?sort=new", 400, Some("sort")),
    ("/categories?page=0", 400, Some("page")),
    ("/tags?q=x", 400, Some("q")),
    ("/posts/999", 404, None),
    ("/posts/slug/no-such-post", 404, None),
    ("/posts/999/comments", 404, None),
    ("/no-such-route", 404, None),
    ("/posts/1/nothing", 404, None),
];

async fn bad_inputs_get_a_problem_naming_the_parameter(app: TestApp) {
    app.import(&small_blog()).await;
    for (path, status, parameter) in BAD_REQUESTS {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), *status, "GET {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "GET {path}"
        );
        let body: Value = response.json().await.expect("problem JSON");
        assert_eq!(body["status"], *status, "GET {path}");
        assert!(
            body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:blog-api:problem:")),
            "{path}"
        );
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "GET {path}: {body}"
        );
        match parameter {
            Some(name) => {
                let messages = &body["errors"][name];
                assert!(
                    messages.as_array().is_some_and(|m| !m.is_empty()),
                    "GET {path}: {body}"
                );
            }
            None => assert!(body.get("errors").is_none(), "GET {path}: {body}"),
        }
    }
}

async fn a_wrong_method_gets_405_with_allow(app: TestApp) {
    let response = app
        .client
        .delete(format!("{}/posts", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

async fn health_and_readiness_answer(app: TestApp) {
    assert_eq!(app.get_json("/healthz").await["status"], "ok");
    let ready = app.get_json("/readyz").await;
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["cache"]["state"], "ok");
    let backend = match app.backend {
        crate::helpers::TestBackend::Sqlite => "memory",
        crate::helpers::TestBackend::Postgres => "redis",
    };
    assert_eq!(ready["cache"]["backend"], backend);
}

crate::on_both_backends!(
    bad_inputs_get_a_problem_naming_the_parameter,
    a_wrong_method_gets_405_with_allow,
    health_and_readiness_answer,
);
