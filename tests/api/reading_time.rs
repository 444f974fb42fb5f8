//! Every post carries its word count and reading time, derived when it is written (API or import), and
//! posts written before the columns existed get theirs at start-up.

use reqwest::Method;
use serde_json::json;

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestOptions};
use crate::post_writes::{send, token};

async fn lists_and_posts_carry_word_count_and_reading_time(app: TestApp) {
    app.import(&small_blog()).await;
    // "Rust is **fast**.\n\nOwnership and borrowing keep memory safe." reads as 9 words.
    let post = app.get_json("/posts/1").await;
    assert_eq!(post["word_count"], 9, "{post}");
    assert_eq!(post["reading_time_minutes"], 1);
    let list = app.get_json("/posts?per_page=100").await;
    let listed = list["data"]
        .as_array()
        .and_then(|posts| posts.iter().find(|post| post["id"] == 1))
        .cloned()
        .expect("post 1 listed");
    assert_eq!(listed["word_count"], 9);
    assert_eq!(listed["reading_time_minutes"], 1);

    // A new body of 461 words takes 3 minutes at 230 a minute.
    let token = token(&app);
    let edited = send(
        &app,
        Method::PATCH,
        "/posts/1",
        Some(&token),
        Some(json!({"body_markdown": format!("# Long\n\n{}", "word ".repeat(460))})),
    )
    .await;
    assert_eq!(edited.status(), 200);
    let edited: serde_json::Value = edited.json().await.expect("JSON");
    assert_eq!(edited["word_count"], 461);
    assert_eq!(edited["reading_time_minutes"], 3);
    let created = send(
        &app,
        Method::POST,
        "/posts",
        Some(&token),
        Some(json!({"title": "Picture", "author": "A", "body_markdown": "![a diagram](https://example.com/d.png)"})),
    )
    .await;
    let created: serde_json::Value = created.json().await.expect("JSON");
    assert_eq!(created["word_count"], 0, "{created}");
    assert_eq!(created["reading_time_minutes"], 0);
}

async fn posts_older_than_the_columns_get_them_at_start_up(app: TestApp) {
    app.import(&small_blog()).await;
    {
        use diesel::prelude::*;
        let mut conn = app.pool.get().expect("a connection");
        diesel::sql_query("UPDATE posts SET word_count = NULL, reading_time_minutes = NULL")
            .execute(&mut conn)
            .expect("an update");
    }
    // Another instance starting on the same database fills them in before it serves.
    let started = app.another_instance(TestOptions::default()).await;
    let post = started.get_json("/posts/1").await;
    assert_eq!(post["word_count"], 9, "{post}");
    assert_eq!(post["reading_time_minutes"], 1);
    use blog_api::db::schema::posts;
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("a connection");
    let missing: i64 = posts::table
        .filter(posts::word_count.is_null())
        .count()
        .get_result(&mut conn)
        .expect("a count");
    assert_eq!(missing, 0);
}

crate::on_both_backends!(
    lists_and_posts_carry_word_count_and_reading_time,
    posts_older_than_the_columns_get_them_at_start_up,
);
