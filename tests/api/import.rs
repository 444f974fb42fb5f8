//! `blog-api import`: idempotent, all-or-nothing, and loud about the record it refuses.

use blog_api::db::schema::{categories, comments, post_counters, post_tags, posts, tags};
use blog_api::service::import::plan_from_json;
use diesel::prelude::*;

use crate::fixture::{sample_blog, small_blog};
use crate::helpers::{TestApp, TestBackend};

type Timestamp = chrono::NaiveDateTime;
/// Every column of `posts`, in table order.
type PostRow = (
    (i64, String, String, String),
    (String, String, String),
    (Option<i64>, Option<Timestamp>, Timestamp, Timestamp),
);

/// Every imported row of every table, in a stable order, as text.
fn snapshot(app: &TestApp) -> String {
    let mut conn = app.pool.get().expect("a connection");
    let categories: Vec<(i64, String, String)> = categories::table
        .order(categories::id)
        .load(&mut conn)
        .expect("categories");
    let tags: Vec<(i64, String, String)> =
        tags::table.order(tags::id).load(&mut conn).expect("tags");
    let posts: Vec<PostRow> = posts::table
        .select((
            (posts::id, posts::slug, posts::title, posts::excerpt),
            (posts::body_markdown, posts::body_html, posts::author),
            (
                posts::category_id,
                posts::published_at,
                posts::created_at,
                posts::updated_at,
            ),
        ))
        .order(posts::id)
        .load(&mut conn)
        .expect("posts");
    let links: Vec<(i64, i64)> = post_tags::table
        .order((post_tags::post_id, post_tags::tag_id))
        .load(&mut conn)
        .expect("links");
    let comments: Vec<(
        i64,
        i64,
        String,
        String,
        String,
        chrono::NaiveDateTime,
        String,
    )> = comments::table
        .order(comments::id)
        .load(&mut conn)
        .expect("comments");
    let counters: Vec<(i64, i64)> = post_counters::table
        .order(post_counters::post_id)
        .load(&mut conn)
        .expect("counters");
    format!("{categories:?}\n{tags:?}\n{posts:?}\n{links:?}\n{comments:?}\n{counters:?}")
}

async fn importing_the_same_file_twice_changes_nothing(app: TestApp) {
    let first = app.import(&small_blog()).await;
    assert_eq!(
        (
            first.posts.created,
            first.comments.created,
            first.tags.created
        ),
        (6, 7, 3)
    );
    let before = snapshot(&app);
    let second = app.import(&small_blog()).await;
    assert_eq!(snapshot(&app), before);
    assert_eq!(
        (
            second.posts.unchanged,
            second.comments.unchanged,
            second.categories.unchanged
        ),
        (6, 7, 3)
    );
    assert_eq!(second.posts.created + second.posts.updated, 0);
}

async fn a_changed_file_updates_only_what_changed_and_keeps_live_click_counts(app: TestApp) {
    app.import(&small_blog()).await;
    let changed = small_blog()
        .replace("\"Hello Rust\"", "\"Hello again, Rust\"")
        .replace("\"clicks\":10", "\"clicks\":99999");
    let report = app.import(&changed).await;
    assert_eq!((report.posts.updated, report.posts.unchanged), (1, 5));
    let post = app.get_json("/posts/1").await;
    assert_eq!(post["title"], "Hello again, Rust");
    assert_eq!(
        post["clicks"], 10,
        "a re-import must not overwrite a live click count"
    );
}

async fn imported_ids_are_kept_and_new_rows_get_fresh_ones(app: TestApp) {
    app.import(&small_blog()).await;
    assert_eq!(app.get_json("/posts/slug/zebra-notes").await["id"], 3);
    // A second blog whose ids collide with the first: its rows are added under new ids, references intact.
    let other = small_blog().replace("\"slug\":\"", "\"slug\":\"other-");
    let report = app.import(&other).await;
    assert_eq!(report.posts.created, 6);
    let post = app.get_json("/posts/slug/other-redis-counters").await;
    let id = post["id"].as_i64().expect("id");
    assert!(id > 6, "id {id} should be fresh");
    assert_eq!(post["category"]["slug"], "other-databases");
    assert_eq!(post["tags"].as_array().map(Vec::len), Some(2));
    // Comments are matched on the source record (section and file id) they were imported from, so the
    // second file's comments update the first's rather than duplicate.
    assert_eq!(report.comments.created, 0);
}

/// A post made through the API holds an id the file names for another post: that file post gets an id no
/// row and no file post has (it used to take the next id from the sequence, one a later file post named, and
/// the whole import failed on a duplicate key).
async fn a_file_id_held_by_an_api_post_goes_elsewhere(app: TestApp) {
    let editor = crate::post_writes::token(&app);
    let made = crate::post_writes::send(
        &app,
        reqwest::Method::POST,
        "/posts",
        Some(&editor),
        Some(
            serde_json::json!({"title": "Made here", "author": "Ann", "body_markdown": "Hi.",
                                "published_at": "2024-05-01T00:00:00Z"}),
        ),
    )
    .await;
    assert_eq!(made.status(), 201);
    let made: serde_json::Value = made.json().await.expect("the post");
    assert_eq!(made["id"], 1, "the first post of an empty database");
    let report = app.import(&small_blog()).await;
    assert_eq!(report.posts.created, 6);
    assert_eq!(app.get_json("/posts/1").await["title"], "Made here");
    let moved = app.get_json("/posts/slug/hello-rust").await;
    assert!(moved["id"].as_i64().expect("an id") > 6, "{moved}");
    assert_eq!(app.get_json("/posts/slug/redis-counters").await["id"], 2);
    // The moved post's comments followed it; a post made next gets a fresh id.
    let comments = app
        .get_json(&format!("/posts/{}/comments", moved["id"]))
        .await;
    assert_eq!(comments["meta"]["total"], 3);
    let next = crate::post_writes::send(
        &app,
        reqwest::Method::POST,
        "/posts",
        Some(&editor),
        Some(serde_json::json!({"title": "Made after", "author": "Ann", "body_markdown": "Hi."})),
    )
    .await;
    assert_eq!(next.status(), 201);
}

/// A comment made through the API takes an id from the sequence the import's ids share: a file naming that
/// id for another comment must not move it, rewrite it, or change its status.
async fn an_import_never_rewrites_a_comment_it_did_not_create(app: TestApp) {
    app.import(&small_blog()).await;
    let made = crate::post_writes::send(
        &app,
        reqwest::Method::POST,
        "/posts/1/comments",
        None,
        Some(serde_json::json!({"author_name": "api reader", "body": "made through the API"})),
    )
    .await;
    assert_eq!(made.status(), 201);
    let made: serde_json::Value = made.json().await.expect("the comment");
    let api_id = made["id"].as_i64().expect("an id");
    let api_row = |app: &TestApp| {
        let mut conn = app.pool.get().expect("a connection");
        comments::table
            .find(api_id)
            .select((comments::post_id, comments::body, comments::status))
            .first::<(i64, String, String)>(&mut conn)
            .expect("the API's comment is still there")
    };
    let before = api_row(&app);
    assert_eq!(
        before,
        (
            1,
            String::from("made through the API"),
            String::from("pending")
        )
    );

    // A later export of the source blog has a comment under that very id, on another post, approved.
    let mut file: serde_json::Value = serde_json::from_str(&small_blog()).expect("JSON");
    file["comments"]
        .as_array_mut()
        .expect("comments")
        .push(serde_json::json!({
            "id": api_id, "post_id": 2, "author_name": "exported", "body": "from the file",
            "status": "approved", "created_at": "2024-02-03T00:00:00Z"
        }));
    let file = file.to_string();
    let report = app.import(&file).await;
    assert_eq!(api_row(&app), before, "the API's comment is untouched");
    assert_eq!(report.comments.created, 1);
    assert_eq!(report.renumbered_comments.len(), 1, "{report}");
    let (file_id, stored_id) = report.renumbered_comments[0];
    assert_eq!(file_id, api_id);
    assert_ne!(stored_id, api_id);
    assert!(
        report
            .to_string()
            .contains(&format!("{api_id} -> {stored_id}")),
        "{report}"
    );
    let stored: (i64, String) = {
        let mut conn = app.pool.get().expect("a connection");
        comments::table
            .find(stored_id)
            .select((comments::post_id, comments::body))
            .first(&mut conn)
            .expect("the file's comment")
    };
    assert_eq!(stored, (2, String::from("from the file")));

    // Importing the same file again changes nothing, and finds the file's comment where it put it.
    let snapshot_before = snapshot(&app);
    let again = app.import(&file).await;
    assert_eq!(
        (again.comments.created, again.comments.updated),
        (0, 0),
        "{again}"
    );
    assert!(again.renumbered_comments.is_empty());
    assert_eq!(snapshot(&app), snapshot_before);
}

async fn a_broken_file_changes_nothing_and_names_the_record(app: TestApp) {
    app.import(&small_blog()).await;
    let before = snapshot(&app);
    let broken = small_blog().replace("\"tag_ids\":[1,2]", "\"tag_ids\":[1,77]");
    let error = plan_from_json(&broken)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        error,
        "posts[1] (id 2, slug \"redis-counters\"): `tag_ids` has 77, which is not in `tags`"
    );
    assert_eq!(snapshot(&app), before);
}

async fn the_cli_import_reports_and_refuses_like_the_library(app: TestApp) {
    if let TestBackend::Postgres = app.backend {
        return; // the command is the same for both; once is enough
    }
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("good.json");
    let bad = dir.path().join("bad.json");
    std::fs::write(&good, small_blog()).expect("write");
    std::fs::write(
        &bad,
        small_blog().replace("\"category_id\":2,", "\"category_id\":9,"),
    )
    .expect("write");
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_blog-api"))
            .arg("import")
            .arg(file)
            .env("DATABASE_URL", app.database.url.to_string())
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let output = run(&good);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("posts: 6 created"));
    let output = run(&bad);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("posts[1] (id 2, slug \"redis-counters\"): `category_id` 9"),
        "{stderr}"
    );
}

/// The sample blog committed in `examples/` (what the README's first steps import from a fresh clone).
async fn the_committed_example_blog_imports_and_serves_its_posts(app: TestApp) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-blog.json");
    let json = std::fs::read_to_string(&path).expect("examples/sample-blog.json is committed");
    assert!(json.len() < 512 * 1024, "well under 1 MB: {}", json.len());
    let report = app.import(&json).await;
    assert_eq!((report.posts.created, report.comments.created), (80, 400));
    let body = app.get_json("/posts?per_page=1").await;
    assert_eq!(body["meta"]["total"], 72, "72 published, 8 drafts");
    let again = app.import(&json).await;
    assert_eq!((again.posts.created, again.comments.created), (0, 0));
}

async fn the_sample_blog_imports_with_1816_published_posts(app: TestApp) {
    let Some(json) = sample_blog() else {
        return;
    };
    let first = app.import(&json).await;
    assert_eq!((first.posts.created, first.comments.created), (2000, 10000));
    let body = app.get_json("/posts?per_page=100").await;
    assert_eq!(body["meta"]["total"], 1816);
    let dates: Vec<&str> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| p["published_at"].as_str().expect("date"))
        .collect();
    assert!(
        dates.windows(2).all(|pair| pair[0] >= pair[1]),
        "newest first"
    );
    // One author per distinct name, each counting the published posts that name it.
    let file: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let mut names: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for post in file["posts"].as_array().expect("posts") {
        let published = !post["published_at"].is_null();
        *names
            .entry(post["author"].as_str().expect("author"))
            .or_default() += i64::from(published);
    }
    let authors = app.get_json("/authors?per_page=100").await;
    assert_eq!(authors["meta"]["total"], names.len());
    assert_eq!(first.authors.created, names.len() as u64);
    for author in authors["data"].as_array().expect("authors") {
        let name = author["name"].as_str().expect("name");
        assert_eq!(author["post_count"], names[name], "{name}");
    }
    let again = app.import(&json).await;
    assert_eq!(again.posts.unchanged + again.comments.unchanged, 12000);
}

/// A file with an `authors` section and posts that name theirs by id, beside a post that names only an
/// `author` string.
fn authored_blog() -> serde_json::Value {
    serde_json::json!({
        "authors": [
            {"id": 7, "slug": "ann", "name": "Ann Lee", "bio": "Writes about *Redis*."},
            {"id": 8, "slug": "bob", "name": "Bob", "website": "https://bob.example.com"}
        ],
        "posts": [
            {"id": 1, "slug": "pair", "title": "Pair", "author_ids": [8, 7, 8],
             "body_markdown": "Hi.", "published_at": "2024-01-01T00:00:00Z"},
            {"id": 2, "slug": "solo", "title": "Solo", "author": "Cy Young",
             "body_markdown": "Hi.", "published_at": "2024-01-02T00:00:00Z"}
        ]
    })
}

async fn a_file_names_authors_by_id_in_order(app: TestApp) {
    let file = authored_blog();
    let report = app.import(&file.to_string()).await;
    assert_eq!(
        (report.authors.created, report.posts.created),
        (3, 2),
        "two from the file and one by name: {report}"
    );
    let pair = app.get_json("/posts/slug/pair").await;
    assert_eq!(pair["author"], "Bob", "the first id is the primary author");
    let slugs: Vec<&str> = pair["authors"]
        .as_array()
        .expect("authors")
        .iter()
        .map(|a| a["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(
        slugs,
        ["bob", "ann"],
        "in the file's order, without the repeat"
    );
    assert_eq!(
        pair["authors"][1]["id"], 7,
        "the file's id is kept where free"
    );
    let ann = app.get_json("/authors/ann").await;
    assert!(ann["bio_html"]
        .as_str()
        .expect("bio_html")
        .contains("<em>Redis</em>"));
    assert_eq!(
        app.get_json("/authors/bob").await["website"],
        "https://bob.example.com"
    );
    assert_eq!(
        app.get_json("/posts/slug/solo").await["authors"][0]["slug"],
        "cy-young"
    );
    assert_eq!(app.get_json("/posts?author=ann").await["meta"]["total"], 1);

    // Once more: nothing changes.
    let before = snapshot(&app);
    let again = app.import(&file.to_string()).await;
    assert_eq!(
        (
            again.authors.unchanged,
            again.authors.created + again.authors.updated
        ),
        (2, 0),
        "{again}"
    );
    assert_eq!(again.posts.unchanged, 2, "{again}");
    assert_eq!(snapshot(&app), before);

    // A renamed author and a new byline: the post follows, and a field the file leaves out stays.
    let mut changed = file.clone();
    changed["authors"][0]["name"] = "Ann Smith".into();
    changed["posts"][0]["author_ids"] = serde_json::json!([7]);
    let report = app.import(&changed.to_string()).await;
    assert_eq!(
        (report.authors.updated, report.posts.updated),
        (1, 1),
        "{report}"
    );
    let pair = app.get_json("/posts/slug/pair").await;
    assert_eq!(pair["author"], "Ann Smith");
    assert_eq!(pair["authors"].as_array().map(Vec::len), Some(1));
    assert!(app.get_json("/authors/ann").await["bio_html"]
        .as_str()
        .expect("bio_html")
        .contains("<em>Redis</em>"));
    let revisions = app.pool.get().map(|mut conn| {
        blog_api::db::schema::post_revisions::table
            .filter(blog_api::db::schema::post_revisions::post_id.eq(1))
            .count()
            .get_result::<i64>(&mut conn)
            .expect("revisions")
    });
    assert_eq!(revisions.ok(), Some(2), "the changed byline is a revision");

    // Authors made through the API after an import with explicit ids get fresh ones.
    let editor = crate::post_writes::token(&app);
    let made = crate::post_writes::send(
        &app,
        reqwest::Method::POST,
        "/authors",
        Some(&editor),
        Some(serde_json::json!({"name": "Dee"})),
    )
    .await;
    assert_eq!(made.status(), 201);
}

crate::on_both_backends!(
    a_file_names_authors_by_id_in_order,
    importing_the_same_file_twice_changes_nothing,
    a_changed_file_updates_only_what_changed_and_keeps_live_click_counts,
    imported_ids_are_kept_and_new_rows_get_fresh_ones,
    a_file_id_held_by_an_api_post_goes_elsewhere,
    an_import_never_rewrites_a_comment_it_did_not_create,
    a_broken_file_changes_nothing_and_names_the_record,
    the_cli_import_reports_and_refuses_like_the_library,
    the_sample_blog_imports_with_1816_published_posts,
    the_committed_example_blog_imports_and_serves_its_posts,
);
