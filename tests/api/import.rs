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
    let again = app.import(&json).await;
    assert_eq!(again.posts.unchanged + again.comments.unchanged, 12000);
}

crate::on_both_backends!(
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
