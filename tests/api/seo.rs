//! SEO fields (README "SEO fields"): `meta_title`, `meta_description` and `canonical_url` are written with a
//! post, filled from the title and excerpt when unset, refused when malformed, kept by a re-import; a detail
//! carries a schema.org `BlogPosting` whose `url` appears only when the settings say where the post lives.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestOptions};
use crate::post_writes::{send, token};

async fn write(app: &TestApp, editor: &str, method: Method, path: &str, body: Value) -> Value {
    let answer = send(app, method, path, Some(editor), Some(body)).await;
    assert!(answer.status().is_success(), "{}", answer.status());
    answer.json().await.expect("the post")
}

async fn seo_fields_are_written_filled_and_cleared(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let post = write(
        &app,
        &editor,
        Method::POST,
        "/posts",
        json!({"title": "Hello", "author": "Ann", "body_markdown": "Some *words* here.",
               "excerpt": "A short one.", "tags": ["rust"], "published_at": "2026-01-02T03:04:05Z"}),
    )
    .await;
    let id = post["id"].as_i64().expect("an id");
    // Unset: filled from the title and the excerpt.
    assert_eq!(post["meta_title"], "Hello");
    assert_eq!(post["meta_description"], "A short one.");
    assert_eq!(post["canonical_url"], Value::Null);
    let read = app.get_json(&format!("/posts/{id}")).await;
    assert_eq!(read["meta_title"], "Hello");
    assert_eq!(read["meta_description"], "A short one.");

    let patched = write(
        &app,
        &editor,
        Method::PATCH,
        &format!("/posts/{id}"),
        json!({"meta_title": "Hello, search engines", "meta_description": "What this post says.",
               "canonical_url": "https://elsewhere.example.com/hello"}),
    )
    .await;
    assert_eq!(patched["meta_title"], "Hello, search engines");
    let read = app.get_json(&format!("/posts/{id}")).await;
    assert_eq!(read["meta_title"], "Hello, search engines");
    assert_eq!(read["meta_description"], "What this post says.");
    assert_eq!(read["canonical_url"], "https://elsewhere.example.com/hello");
    assert_eq!(read["title"], "Hello", "the title itself is unchanged");

    // A patch of other fields keeps them; null clears one back to its fill.
    write(
        &app,
        &editor,
        Method::PATCH,
        &format!("/posts/{id}"),
        json!({"title": "Hello again"}),
    )
    .await;
    let read = app.get_json(&format!("/posts/{id}")).await;
    assert_eq!(read["meta_title"], "Hello, search engines");
    write(
        &app,
        &editor,
        Method::PATCH,
        &format!("/posts/{id}"),
        json!({"meta_title": null, "canonical_url": null}),
    )
    .await;
    let read = app.get_json(&format!("/posts/{id}")).await;
    assert_eq!(read["meta_title"], "Hello again");
    assert_eq!(read["meta_description"], "What this post says.");
    assert_eq!(read["canonical_url"], Value::Null);
}

async fn malformed_seo_fields_are_listed_in_one_422(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let refused = send(
        &app,
        Method::PATCH,
        "/posts/1",
        Some(&editor),
        Some(
            json!({"meta_title": "", "meta_description": "x".repeat(1001),
                    "canonical_url": "ftp://example.com/file"}),
        ),
    )
    .await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.expect("a problem");
    for field in ["meta_title", "meta_description", "canonical_url"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    for url in [
        "/relative/path",
        "https://",
        "https://exa mple.com/",
        "not a url",
    ] {
        let refused = send(
            &app,
            Method::PATCH,
            "/posts/1",
            Some(&editor),
            Some(json!({"canonical_url": url})),
        )
        .await;
        assert_eq!(refused.status(), 422, "{url}");
    }
    let long = format!("https://example.com/{}", "a".repeat(2000));
    let refused = send(
        &app,
        Method::PATCH,
        "/posts/1",
        Some(&editor),
        Some(json!({"canonical_url": long})),
    )
    .await;
    assert_eq!(refused.status(), 422);
}

async fn json_ld_describes_the_post(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let post = write(
        &app,
        &editor,
        Method::POST,
        "/posts",
        json!({"title": "Typed posts", "author": "Ann", "body_markdown": "One two three four.",
               "tags": ["rust"], "published_at": "2026-01-02T03:04:05Z", "slug": "typed-posts"}),
    )
    .await;
    let id = post["id"].as_i64().expect("an id");
    let read = app.get_json(&format!("/posts/{id}")).await;
    let ld = &read["json_ld"];
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "BlogPosting");
    assert_eq!(ld["headline"], "Typed posts");
    assert_eq!(ld["datePublished"], "2026-01-02T03:04:05Z");
    assert_eq!(ld["dateModified"], read["updated_at"]);
    assert_eq!(ld["author"], json!([{"@type": "Person", "name": "Ann"}]));
    assert_eq!(ld["wordCount"], 4);
    let tag = read["tags"][0]["name"].clone();
    assert_eq!(ld["keywords"], json!([tag]));
    assert_eq!(ld["description"], read["meta_description"]);
    // Without SITE_URL a relative POST_URL_PATTERN names no page.
    assert!(ld.get("url").is_none(), "{ld}");

    // Asked for alone, it is complete, and alone.
    let sparse = app.get_json(&format!("/posts/{id}?fields=json_ld")).await;
    assert_eq!(sparse["json_ld"], *ld);
    let keys: Vec<&String> = sparse.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["id", "json_ld"]);

    // With SITE_URL, the page is there; a canonical URL wins over it.
    let mut options = TestOptions::default();
    options.site.url = Some(String::from("https://blog.example.com"));
    let site = app.another_instance(options).await;
    let ld = site.get_json(&format!("/posts/{id}")).await["json_ld"].clone();
    assert_eq!(ld["url"], "https://blog.example.com/posts/typed-posts");
    write(
        &site,
        &editor,
        Method::PATCH,
        &format!("/posts/{id}"),
        json!({"canonical_url": "https://first.example.org/typed"}),
    )
    .await;
    let ld = site.get_json(&format!("/posts/{id}")).await["json_ld"].clone();
    assert_eq!(ld["url"], "https://first.example.org/typed");

    // A draft has no publication date.
    let draft = write(
        &app,
        &editor,
        Method::POST,
        "/posts",
        json!({"title": "Later", "author": "Bo", "body_markdown": "Soon."}),
    )
    .await;
    assert!(draft["json_ld"].get("datePublished").is_none());
    assert_eq!(draft["json_ld"]["headline"], "Later");
}

async fn a_reimport_keeps_the_seo_fields(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    write(
        &app,
        &editor,
        Method::PATCH,
        "/posts/1",
        json!({"meta_title": "Kept", "canonical_url": "https://example.com/kept"}),
    )
    .await;
    app.import(&small_blog()).await;
    let read = app.get_json("/posts/1").await;
    assert_eq!(read["meta_title"], "Kept");
    assert_eq!(read["canonical_url"], "https://example.com/kept");
}

crate::on_both_backends!(
    seo_fields_are_written_filled_and_cleared,
    malformed_seo_fields_are_listed_in_one_422,
    json_ld_describes_the_post,
    a_reimport_keeps_the_seo_fields,
);
