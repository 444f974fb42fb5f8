//! Authors (README "Authors"): every post names an author (one per distinct name, made from imports, post
//! writes and at start-up for older posts); editors write authors; an author a post names cannot go.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestOptions};
use crate::post_writes::{send, token};

async fn ok_json(answer: reqwest::Response, status: u16) -> Value {
    assert_eq!(answer.status().as_u16(), status);
    answer.json().await.expect("JSON")
}

async fn every_post_names_an_author_counted_when_published(app: TestApp) {
    app.import(&small_blog()).await;
    // Every fixture post is by "Ada": 4 published, a draft and a scheduled one.
    let authors = app.get_json("/authors").await;
    assert_eq!(authors["meta"]["total"], 1);
    assert_eq!(authors["data"][0]["name"], "Ada");
    assert_eq!(authors["data"][0]["slug"], "ada");
    assert_eq!(authors["data"][0]["post_count"], 4);
    let ada = app.get_json("/authors/ada").await;
    assert_eq!(ada["post_count"], 4);
    assert_eq!(app.get("/authors/nobody").await.status(), 404);

    // A post written with a new name makes its author; a re-import changes nothing.
    let editor = token(&app);
    let created = send(
        &app,
        Method::POST,
        "/posts",
        Some(&editor),
        Some(
            json!({"title": "By Zed", "author": "Zed Zero", "body_markdown": "Hi.",
                    "published_at": "2025-01-01T00:00:00Z"}),
        ),
    )
    .await;
    assert_eq!(created.status(), 201);
    let zed = app.get_json("/authors/zed-zero").await;
    assert_eq!(zed["name"], "Zed Zero");
    assert_eq!(zed["post_count"], 1);
    app.import(&small_blog()).await;
    assert_eq!(app.get_json("/authors").await["meta"]["total"], 2);
}

async fn editors_write_authors(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let created = send(
        &app,
        Method::POST,
        "/authors",
        Some(&editor),
        Some(json!({"name": "Bea Bright", "bio": "Writes about *Redis*.",
                    "website": "https://bea.example.com"})),
    )
    .await;
    assert_eq!(created.headers()["location"], "/authors/bea-bright");
    let bea = ok_json(created, 201).await;
    assert_eq!(bea["slug"], "bea-bright");
    assert!(bea["bio_html"]
        .as_str()
        .expect("html")
        .contains("<em>Redis</em>"));
    assert_eq!(bea["website"], "https://bea.example.com");
    assert_eq!(bea["avatar_url"], Value::Null);
    assert_eq!(bea["post_count"], 0);

    // Bad fields are listed together; a taken slug is a 409; writes need a token.
    let refused = send(
        &app,
        Method::POST,
        "/authors",
        Some(&editor),
        Some(json!({"bio": 5, "website": "javascript:alert(1)", "avatar_url": "/relative.png"})),
    )
    .await;
    let problem = ok_json(refused, 422).await;
    for field in ["name", "bio", "website", "avatar_url"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let taken = send(
        &app,
        Method::POST,
        "/authors",
        Some(&editor),
        Some(json!({"name": "Another", "slug": "ada"})),
    )
    .await;
    assert_eq!(taken.status(), 409);
    let anonymous = send(
        &app,
        Method::POST,
        "/authors",
        None,
        Some(json!({"name": "X"})),
    )
    .await;
    assert_eq!(anonymous.status(), 401);

    // A rename shows on the posts the author wrote.
    let renamed = send(
        &app,
        Method::PATCH,
        "/authors/ada",
        Some(&editor),
        Some(json!({"name": "Ada Lovelace", "avatar_url": "https://img.example.com/ada.png"})),
    )
    .await;
    let ada = ok_json(renamed, 200).await;
    assert_eq!(ada["name"], "Ada Lovelace");
    assert_eq!(ada["slug"], "ada");
    assert_eq!(app.get_json("/posts/1").await["author"], "Ada Lovelace");
    let cleared = send(
        &app,
        Method::PATCH,
        "/authors/ada",
        Some(&editor),
        Some(json!({"avatar_url": null})),
    )
    .await;
    assert_eq!(ok_json(cleared, 200).await["avatar_url"], Value::Null);

    // An author a post names cannot be deleted; one no post names can.
    let in_use = send(&app, Method::DELETE, "/authors/ada", Some(&editor), None).await;
    let problem = ok_json(in_use, 409).await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("a detail")
            .contains("6 post"),
        "{problem}"
    );
    let deleted = send(
        &app,
        Method::DELETE,
        "/authors/bea-bright",
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get("/authors/bea-bright").await.status(), 404);
}

async fn older_posts_get_their_authors_at_start_up(app: TestApp) {
    app.import(&small_blog()).await;
    {
        use diesel::RunQueryDsl as _;
        let mut conn = app.pool.get().expect("a connection");
        diesel::delete(blog_api::db::schema::post_authors::table)
            .execute(&mut conn)
            .expect("links gone");
        diesel::delete(blog_api::db::schema::authors::table)
            .execute(&mut conn)
            .expect("authors gone");
    }
    let restarted = app.another_instance(TestOptions::default()).await;
    let authors = restarted.get_json("/authors").await;
    assert_eq!(authors["meta"]["total"], 1);
    assert_eq!(authors["data"][0]["name"], "Ada");
    assert_eq!(authors["data"][0]["post_count"], 4);
}

async fn posts_carry_their_authors_and_filter_by_one(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    for (title, author) in [("By Zed", "Zed Zero"), ("Zed again", "Zed Zero")] {
        let created = send(
            &app,
            Method::POST,
            "/posts",
            Some(&editor),
            Some(
                json!({"title": title, "author": author, "body_markdown": "Hi.",
                        "published_at": "2025-01-01T00:00:00Z"}),
            ),
        )
        .await;
        assert_eq!(created.status(), 201);
    }
    let post = app.get_json("/posts/1").await;
    assert_eq!(post["author"], "Ada");
    let ada = &post["authors"][0];
    assert_eq!(ada["slug"], "ada");
    assert_eq!(ada["name"], "Ada");
    assert!(ada["id"].is_i64());
    assert_eq!(post["authors"].as_array().map(Vec::len), Some(1));

    let list = app.get_json("/posts?author=zed-zero").await;
    assert_eq!(list["meta"]["total"], 2);
    for post in list["data"].as_array().expect("posts") {
        assert_eq!(post["authors"][0]["slug"], "zed-zero");
        assert_eq!(post["author"], "Zed Zero");
    }
    assert_eq!(app.get_json("/posts?author=ada").await["meta"]["total"], 4);
    // Tags alone, and authors alone, each read in a statement of their own kind.
    let tags_only = app.get_json("/posts/2?fields=tags").await;
    assert_eq!(tags_only["tags"].as_array().map(Vec::len), Some(2));
    let listed = app.get_json("/posts?fields=tags&per_page=3").await;
    assert!(listed["data"][0]["tags"].is_array());
    let authors_only = app.get_json("/posts/2?fields=authors").await;
    assert_eq!(authors_only["authors"][0]["slug"], "ada");
    assert_eq!(
        app.get_json("/posts?author=nobody").await["meta"]["total"],
        0
    );
    assert_eq!(app.get("/posts?author=Not%20A%20Slug").await.status(), 400);
    // `fields=authors` alone, and a cursor that stays within the author's posts.
    let sparse = app
        .get_json("/posts?author=zed-zero&fields=authors&per_page=1")
        .await;
    let keys: Vec<&String> = sparse["data"][0]
        .as_object()
        .expect("a post")
        .keys()
        .collect();
    assert_eq!(keys, ["authors", "id"]);
    let cursor = sparse["meta"]["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    let next = app
        .get_json(&format!(
            "/posts?author=zed-zero&fields=authors&per_page=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(next["data"][0]["authors"][0]["slug"], "zed-zero");
    let wrong = app
        .get(&format!(
            "/posts?author=ada&fields=authors&per_page=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(wrong.status(), 400, "a cursor is bound to its filter");
}

async fn writes_name_several_authors_in_order(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let bea = send(
        &app,
        Method::POST,
        "/authors",
        Some(&editor),
        Some(json!({"name": "Bea"})),
    )
    .await;
    assert_eq!(bea.status(), 201);
    let created = send(
        &app,
        Method::POST,
        "/posts",
        Some(&editor),
        Some(
            json!({"title": "Two hands", "authors": ["bea", "ada"], "body_markdown": "Hi.",
                    "published_at": "2025-01-01T00:00:00Z"}),
        ),
    )
    .await;
    let post = ok_json(created, 201).await;
    let id = post["id"].as_i64().expect("an id");
    assert_eq!(post["author"], "Bea", "the primary author's name");
    let slugs: Vec<&str> = post["authors"]
        .as_array()
        .expect("authors")
        .iter()
        .filter_map(|author| author["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["bea", "ada"]);
    // The post is in both authors' lists, and counts for both.
    for author in ["bea", "ada"] {
        let list = app
            .get_json(&format!("/posts?author={author}&per_page=100"))
            .await;
        assert!(
            list["data"]
                .as_array()
                .expect("posts")
                .iter()
                .any(|post| post["id"] == id),
            "{author}"
        );
    }
    assert_eq!(app.get_json("/authors/bea").await["post_count"], 1);
    assert_eq!(app.get_json("/authors/ada").await["post_count"], 5);

    // Reordering makes the other the primary author.
    let reordered = send(
        &app,
        Method::PATCH,
        &format!("/posts/{id}"),
        Some(&editor),
        Some(json!({"authors": ["ada", "bea"]})),
    )
    .await;
    let post = ok_json(reordered, 200).await;
    assert_eq!(post["author"], "Ada");
    assert_eq!(post["authors"][0]["slug"], "ada");
    assert_eq!(post["authors"][1]["slug"], "bea");

    // Unknown authors are listed with the other bad fields; an empty or over-long list is refused.
    let refused = send(
        &app,
        Method::PATCH,
        &format!("/posts/{id}"),
        Some(&editor),
        Some(json!({"authors": ["nobody", "ada"], "category": "no-such", "title": ""})),
    )
    .await;
    let problem = ok_json(refused, 422).await;
    assert!(
        problem["errors"]["authors"].to_string().contains("nobody"),
        "{problem}"
    );
    assert!(problem["errors"]["category"].is_array());
    assert!(problem["errors"]["title"].is_array());
    let eleven: Vec<String> = (0..11).map(|n| format!("a{n}")).collect();
    for authors in [json!([]), json!(eleven), json!(null)] {
        let refused = send(
            &app,
            Method::PATCH,
            &format!("/posts/{id}"),
            Some(&editor),
            Some(json!({"authors": authors})),
        )
        .await;
        assert_eq!(refused.status(), 422, "{authors}");
    }
    // A create needs `author` or `authors`.
    let nameless = send(
        &app,
        Method::POST,
        "/posts",
        Some(&editor),
        Some(json!({"title": "Nobody's", "body_markdown": "Hi."})),
    )
    .await;
    let problem = ok_json(nameless, 422).await;
    assert!(problem["errors"]["author"].is_array(), "{problem}");
}

async fn authors_have_feeds_and_sitemap_entries(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let bea = send(
        &app,
        Method::POST,
        "/authors",
        Some(&editor),
        Some(json!({"name": "Bea"})),
    )
    .await;
    assert_eq!(bea.status(), 201);
    let created = send(
        &app,
        Method::POST,
        "/posts",
        Some(&editor),
        Some(
            json!({"title": "Written by two", "authors": ["bea", "ada"], "body_markdown": "Hi.",
                    "published_at": "2025-06-01T00:00:00Z"}),
        ),
    )
    .await;
    assert_eq!(created.status(), 201);
    // The post is in both authors' feeds; another author's post is only in hers.
    for (path, media) in [
        ("/authors/bea/feed.rss", "application/rss+xml"),
        ("/authors/ada/feed.atom", "application/atom+xml"),
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status(), 200, "{path}");
        assert!(answer.headers()["content-type"]
            .to_str()
            .expect("a type")
            .starts_with(media));
        let xml = answer.text().await.expect("a feed");
        assert!(xml.contains("Written by two"), "{path}: {xml}");
    }
    let bea_feed = app
        .get("/authors/bea/feed.rss")
        .await
        .text()
        .await
        .expect("a feed");
    assert!(!bea_feed.contains("Hello Rust"), "{bea_feed}");
    assert!(bea_feed.contains("Blog: Bea"), "{bea_feed}");
    assert_eq!(app.get("/authors/nobody/feed.rss").await.status(), 404);

    // Author pages are in the sitemap only when AUTHOR_URL_PATTERN says where they are.
    let sitemap = app
        .get("/sitemap.xml")
        .await
        .text()
        .await
        .expect("a sitemap");
    assert!(!sitemap.contains("/authors/"), "{sitemap}");
    let mut options = TestOptions::default();
    options.site.url = Some(String::from("https://blog.example.com"));
    options.site.author_url_pattern = Some(String::from("/people/{slug}"));
    let site = app.another_instance(options).await;
    let sitemap = site
        .get("/sitemap.xml")
        .await
        .text()
        .await
        .expect("a sitemap");
    assert!(
        sitemap.contains("https://blog.example.com/people/bea"),
        "{sitemap}"
    );
    assert!(
        sitemap.contains("https://blog.example.com/people/ada"),
        "{sitemap}"
    );
    let feed = site
        .get("/authors/bea/feed.atom")
        .await
        .text()
        .await
        .expect("a feed");
    assert!(
        feed.contains("https://blog.example.com/people/bea"),
        "{feed}"
    );
}

crate::on_both_backends!(
    authors_have_feeds_and_sitemap_entries,
    writes_name_several_authors_in_order,
    posts_carry_their_authors_and_filter_by_one,
    every_post_names_an_author_counted_when_published,
    editors_write_authors,
    older_posts_get_their_authors_at_start_up,
);
