//! Preview links (README "Preview links"): a secret link shows a post as it is now, whatever its status, to
//! a reviewer without a token, never counts a view, and stops working when revoked, when it expires (the
//! clock moved, not slept) and when its post is deleted; unknown, expired and revoked links are the same 404.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestOptions};
use crate::post_writes::{send, token};
use blog_api::domain::clock::Clock;

/// Creates a draft through the API and returns its id.
async fn draft(app: &TestApp, editor: &str) -> i64 {
    let created = send(
        app,
        Method::POST,
        "/posts",
        Some(editor),
        Some(json!({"title": "Not yet", "author": "Ann", "body_markdown": "Draft *text*."})),
    )
    .await;
    assert_eq!(created.status(), 201);
    let post: Value = created.json().await.expect("the post");
    post["id"].as_i64().expect("an id")
}

/// Makes a preview link to post `id` with `body` (none: the defaults) and returns the answer.
async fn make_link(app: &TestApp, editor: &str, id: i64, body: Option<Value>) -> reqwest::Response {
    send(
        app,
        Method::POST,
        &format!("/posts/{id}/preview-links"),
        Some(editor),
        body,
    )
    .await
}

async fn created_link(app: &TestApp, editor: &str, id: i64, body: Option<Value>) -> Value {
    let made = make_link(app, editor, id, body).await;
    assert_eq!(made.status(), 201);
    made.json().await.expect("the link")
}

fn instant(value: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("a date"))
        .expect("RFC 3339")
        .with_timezone(&chrono::Utc)
}

/// The parts of a 404 problem that do not depend on the path asked.
async fn not_found(app: &TestApp, path: &str) -> Value {
    let answer = app.get(path).await;
    assert_eq!(answer.status(), 404, "{path}");
    let problem: Value = answer.json().await.expect("a problem");
    json!({"type": problem["type"], "title": problem["title"], "detail": problem["detail"]})
}

async fn a_preview_link_shows_a_draft_until_it_is_revoked(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let id = draft(&app, &editor).await;
    assert_eq!(app.get(&format!("/posts/{id}")).await.status(), 404);

    let link = created_link(&app, &editor, id, None).await;
    let secret = link["token"].as_str().expect("a secret").to_owned();
    assert!(secret.starts_with("prv_"), "{secret}");
    assert_eq!(link["url"], format!("{}/preview/{secret}", app.address));
    let lasts = instant(&link["expires_at"]) - chrono::Utc::now();
    assert!(
        lasts > chrono::Duration::days(7) - chrono::Duration::minutes(1)
            && lasts <= chrono::Duration::days(7),
        "{lasts}"
    );

    let shown = app.get(&format!("/preview/{secret}")).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "private, no-store");
    assert_eq!(shown.headers()["x-robots-tag"], "noindex");
    assert!(shown.headers().get("etag").is_none());
    let post: Value = shown.json().await.expect("the post");
    assert_eq!(post["id"], id);
    assert_eq!(post["title"], "Not yet");
    assert_eq!(post["published_at"], Value::Null);
    assert!(post["body_html"]
        .as_str()
        .expect("html")
        .contains("<em>text</em>"));

    // An edit shows at once: the preview is the post as it is now.
    let edited = send(
        &app,
        Method::PATCH,
        &format!("/posts/{id}"),
        Some(&editor),
        Some(json!({"title": "Almost"})),
    )
    .await;
    assert_eq!(edited.status(), 200);
    assert_eq!(
        app.get_json(&format!("/preview/{secret}")).await["title"],
        "Almost"
    );

    // Editors list the links without their secrets.
    let listed = send(
        &app,
        Method::GET,
        &format!("/posts/{id}/preview-links"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.expect("a list");
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["data"][0]["id"], link["id"]);
    assert_eq!(listed["data"][0]["expired"], false);
    assert!(!listed.to_string().contains(&secret));
    assert!(listed["data"][0].get("token").is_none());

    let revoke = format!("/posts/{id}/preview-links/{}", link["id"]);
    let revoked = send(&app, Method::DELETE, &revoke, Some(&editor), None).await;
    assert_eq!(revoked.status(), 204);
    let gone = not_found(&app, &format!("/preview/{secret}")).await;
    let unknown = not_found(&app, "/preview/prv_nothing-like-a-real-secret").await;
    assert_eq!(
        gone, unknown,
        "a revoked link and an unknown one look alike"
    );
    let again = send(&app, Method::DELETE, &revoke, Some(&editor), None).await;
    assert_eq!(again.status(), 404);
}

async fn reading_a_preview_never_counts_a_view(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let before = app.get_json("/posts/1?fields=clicks").await["clicks"]
        .as_i64()
        .expect("a count");
    let link = created_link(&app, &editor, 1, Some(json!({}))).await;
    let path = format!("/preview/{}", link["token"].as_str().expect("a secret"));
    for _ in 0..5 {
        let shown = app.view(&path).await;
        assert_eq!(shown.status(), 200);
        let post: Value = shown.json().await.expect("the post");
        assert_eq!(post["clicks"], before);
    }
    app.sync().await;
    assert_eq!(app.synced_clicks(1), before);
    assert_eq!(
        app.get_json("/posts/1?fields=clicks").await["clicks"],
        before
    );
}

async fn a_preview_link_expires_when_the_clock_passes_it(app: TestApp) {
    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("a date")
            .naive_utc()
    };
    let clock = Clock::fixed(at("2031-03-01T10:00:00Z"));
    let options = TestOptions {
        clock: clock.clone(),
        ..TestOptions::default()
    };
    let app = app.another_instance(options).await;
    app.import(&small_blog()).await;
    let editor = token(&app);
    let id = draft(&app, &editor).await;
    let link = created_link(
        &app,
        &editor,
        id,
        Some(json!({"expires_at": "2031-03-01T11:00:00Z"})),
    )
    .await;
    assert_eq!(link["expires_at"], "2031-03-01T11:00:00Z");
    let path = format!("/preview/{}", link["token"].as_str().expect("a secret"));
    let unknown = not_found(&app, "/preview/prv_unknown").await;

    clock.set(at("2031-03-01T10:59:59Z"));
    assert_eq!(app.get(&path).await.status(), 200);
    clock.set(at("2031-03-01T11:00:00Z"));
    assert_eq!(
        not_found(&app, &path).await,
        unknown,
        "an expired link and an unknown one look alike"
    );

    let listed = send(
        &app,
        Method::GET,
        &format!("/posts/{id}/preview-links"),
        Some(&editor),
        None,
    )
    .await;
    let listed: Value = listed.json().await.expect("a list");
    assert_eq!(listed["data"][0]["expired"], true);
}

async fn bad_requests_for_links_are_refused_plainly(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let now = chrono::Utc::now();
    let rfc =
        |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (body, says) in [
        (
            json!({"expires_at": rfc(now - chrono::Duration::hours(1))}),
            "in the future",
        ),
        (
            json!({"expires_at": rfc(now + chrono::Duration::days(8))}),
            "PREVIEW_LINK_TTL",
        ),
        (json!({"expires_at": "tomorrow"}), "RFC 3339"),
        (json!({"expires": "2031-01-01T00:00:00Z"}), "unknown field"),
    ] {
        let refused = make_link(&app, &editor, 1, Some(body.clone())).await;
        assert_eq!(refused.status(), 422, "{body}");
        let problem: Value = refused.json().await.expect("a problem");
        assert!(problem.to_string().contains(says), "{body}: {problem}");
    }
    let not_json = app
        .client
        .post(format!("{}/posts/1/preview-links", app.address))
        .bearer_auth(&editor)
        .header("content-type", "text/plain")
        .body("expires_at=tomorrow")
        .send()
        .await
        .expect("answers");
    assert_eq!(not_json.status(), 400);
    let anonymous = send(&app, Method::POST, "/posts/1/preview-links", None, None).await;
    assert_eq!(anonymous.status(), 401);
    let listed_anonymously = send(&app, Method::GET, "/posts/1/preview-links", None, None).await;
    assert_eq!(listed_anonymously.status(), 401);
    assert_eq!(make_link(&app, &editor, 999_999, None).await.status(), 404);
    let too_big = make_link(
        &app,
        &editor,
        1,
        Some(json!({"expires_at": "x".repeat(4096)})),
    )
    .await;
    assert_eq!(too_big.status(), 413);
}

async fn deleting_the_post_revokes_its_links(app: TestApp) {
    app.import(&small_blog()).await;
    let editor = token(&app);
    let id = draft(&app, &editor).await;
    let link = created_link(&app, &editor, id, None).await;
    let path = format!("/preview/{}", link["token"].as_str().expect("a secret"));
    assert_eq!(app.get(&path).await.status(), 200);
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("/posts/{id}"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get(&path).await.status(), 404);
    let listed = send(
        &app,
        Method::GET,
        &format!("/posts/{id}/preview-links"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(listed.status(), 404);
}

crate::on_both_backends!(
    a_preview_link_shows_a_draft_until_it_is_revoked,
    reading_a_preview_never_counts_a_view,
    a_preview_link_expires_when_the_clock_passes_it,
    bad_requests_for_links_are_refused_plainly,
    deleting_the_post_revokes_its_links,
);
