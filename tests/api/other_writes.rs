//! Writes to categories, tags and comments; rate limits; stored XSS.

use serde_json::{json, Value};

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestBackend, TestOptions};
use crate::post_writes::{send, token};

use reqwest::Method;

async fn categories_and_tags_are_created_renamed_and_deleted(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    for (path, taken) in [("/categories", "programming"), ("/tags", "rust")] {
        let created = send(
            &app,
            Method::POST,
            path,
            Some(&token),
            Some(json!({"name": "Été Notes"})),
        )
        .await;
        assert_eq!(created.status(), 201, "{path}");
        let location = created.headers()["location"]
            .to_str()
            .expect("ASCII")
            .to_owned();
        let item: Value = created.json().await.expect("JSON");
        assert_eq!(
            (item["slug"].as_str(), item["post_count"].as_i64()),
            (Some("ete-notes"), Some(0))
        );
        assert_eq!(app.get_json(&location).await, item);

        let again = send(
            &app,
            Method::POST,
            path,
            Some(&token),
            Some(json!({"name": "Ete notes"})),
        )
        .await;
        assert_eq!(
            again.json::<Value>().await.expect("JSON")["slug"],
            "ete-notes-2",
            "{path}"
        );
        let conflict = send(
            &app,
            Method::POST,
            path,
            Some(&token),
            Some(json!({"name": "X", "slug": taken})),
        )
        .await;
        assert_eq!(conflict.status(), 409, "{path}");
        let conflict = send(
            &app,
            Method::PATCH,
            &location,
            Some(&token),
            Some(json!({"slug": taken})),
        )
        .await;
        assert_eq!(conflict.status(), 409, "{path}");
        let invalid = send(
            &app,
            Method::POST,
            path,
            Some(&token),
            Some(json!({"slug": "Bad Slug", "name": ""})),
        )
        .await;
        assert_eq!(invalid.status(), 422, "{path}");
        let body: Value = invalid.json().await.expect("JSON");
        assert!(
            body["errors"]["slug"].is_array() && body["errors"]["name"].is_array(),
            "{body}"
        );

        let renamed = send(
            &app,
            Method::PATCH,
            &location,
            Some(&token),
            Some(json!({"name": "Summer"})),
        )
        .await;
        assert_eq!(
            renamed.json::<Value>().await.expect("JSON")["name"],
            "Summer"
        );
        assert_eq!(
            send(&app, Method::DELETE, &location, None, None)
                .await
                .status(),
            401
        );
        assert_eq!(
            send(&app, Method::DELETE, &location, Some(&token), None)
                .await
                .status(),
            204
        );
        assert_eq!(app.get(&location).await.status(), 404);
        assert_eq!(
            send(&app, Method::DELETE, &location, Some(&token), None)
                .await
                .status(),
            404
        );
        assert_eq!(
            send(
                &app,
                Method::PATCH,
                &location,
                Some(&token),
                Some(json!({"name": "x"}))
            )
            .await
            .status(),
            404
        );
    }
    // Deleting a category keeps its posts, without one; deleting a tag takes it off its posts.
    assert_eq!(
        send(&app, Method::DELETE, "/categories/2", Some(&token), None)
            .await
            .status(),
        204
    );
    assert_eq!(app.get_json("/posts/2").await["category"], Value::Null);
    assert_eq!(
        send(&app, Method::DELETE, "/tags/2", Some(&token), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_json("/posts/2").await["tags"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

async fn comments_are_posted_pending_and_moderated(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let comment = json!({"author_name": "Reader", "body": "Nice **post**."});
    let created = send(
        &app,
        Method::POST,
        "/posts/2/comments",
        None,
        Some(comment.clone()),
    )
    .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("JSON");
    assert_eq!(
        (created["status"].as_str(), created["body_html"].as_str()),
        (
            Some("pending"),
            Some("<p>Nice <strong>post</strong>.</p>\n")
        )
    );
    let id = created["id"].as_i64().expect("id");
    assert_eq!(
        app.get_json("/posts/2/comments").await["meta"]["total"],
        1,
        "pending comments are hidden"
    );
    assert_eq!(app.get_json("/posts/2").await["comment_count"], 1);

    let queue = app
        .client
        .get(format!("{}/posts/2/comments?status=pending", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    let queue: Value = queue.json().await.expect("JSON");
    assert_eq!(queue["data"][0]["id"], id);
    assert_eq!(
        app.get("/posts/2/comments?status=pending").await.status(),
        401
    );

    let path = format!("/comments/{id}");
    assert_eq!(
        send(
            &app,
            Method::PATCH,
            &path,
            None,
            Some(json!({"status": "approved"}))
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        send(
            &app,
            Method::PATCH,
            &path,
            Some(&token),
            Some(json!({"status": "spam"}))
        )
        .await
        .status(),
        422
    );
    let approved = send(
        &app,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"status": "approved"})),
    )
    .await;
    assert_eq!(
        approved.json::<Value>().await.expect("JSON")["status"],
        "approved"
    );
    assert_eq!(app.get_json("/posts/2/comments").await["meta"]["total"], 2);
    assert_eq!(app.get_json("/posts/2").await["comment_count"], 2);
    assert_eq!(
        send(&app, Method::DELETE, &path, Some(&token), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        send(&app, Method::DELETE, &path, Some(&token), None)
            .await
            .status(),
        404
    );
    assert_eq!(app.get_json("/posts/2").await["comment_count"], 1);

    for (post, status) in [
        ("/posts/4/comments", 404),
        ("/posts/5/comments", 404),
        ("/posts/999/comments", 404),
        ("/posts/x/comments", 400),
    ] {
        assert_eq!(
            send(&app, Method::POST, post, None, Some(comment.clone()))
                .await
                .status()
                .as_u16(),
            status,
            "{post}"
        );
    }
    let invalid = send(
        &app,
        Method::POST,
        "/posts/2/comments",
        None,
        Some(json!({"author_name": "", "body": "x".repeat(10_001)})),
    )
    .await;
    let body: Value = invalid.json().await.expect("JSON");
    assert!(
        body["errors"]["author_name"].is_array() && body["errors"]["body"].is_array(),
        "{body}"
    );
}

async fn anonymous_writes_are_rate_limited_per_client(app: TestApp) {
    let options = TestOptions {
        comments_per_minute: 3,
        ..TestOptions::default()
    };
    let app = app.another_instance(options).await;
    app.import(&small_blog()).await;
    let comment = json!({"author_name": "Reader", "body": "Hi"});
    for _ in 0..3 {
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/posts/1/comments",
                None,
                Some(comment.clone())
            )
            .await
            .status(),
            201
        );
    }
    let limited = send(
        &app,
        Method::POST,
        "/posts/1/comments",
        None,
        Some(comment.clone()),
    )
    .await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ASCII")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let token = token(&app);
    assert_eq!(
        send(
            &app,
            Method::POST,
            "/posts/1/comments",
            Some(&token),
            Some(comment)
        )
        .await
        .status(),
        201,
        "editors are not limited"
    );
}

async fn scripts_handlers_and_javascript_links_are_sanitized(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let evil = "Hi <script>alert(1)</script> <img src=x onerror=\"alert(2)\"> \
                [click](javascript:alert(3)) <a href=\"javascript:alert(4)\">x</a> <b onclick=\"alert(5)\">b</b>";
    let post = json!({"title": "XSS", "author": "A", "body_markdown": evil, "published_at": "2024-01-01T00:00:00Z"});
    let created: Value = send(&app, Method::POST, "/posts", Some(&token), Some(post))
        .await
        .json()
        .await
        .expect("JSON");
    let comment: Value = send(
        &app,
        Method::POST,
        &format!("/posts/{}/comments", created["id"]),
        None,
        Some(json!({"author_name": "x", "body": evil})),
    )
    .await
    .json()
    .await
    .expect("JSON");
    let read = app.get_json(&format!("/posts/{}", created["id"])).await;
    for html in [
        created["body_html"].as_str(),
        read["body_html"].as_str(),
        comment["body_html"].as_str(),
    ] {
        let html = html.expect("body_html").to_ascii_lowercase();
        for forbidden in ["<script", "onerror", "onclick", "javascript:"] {
            assert!(!html.contains(forbidden), "{forbidden} in {html}");
        }
        assert!(html.contains("<b>b</b>"), "harmless markup stays: {html}");
    }
    assert!(
        created["body_html"]
            .as_str()
            .is_some_and(|html| html.contains("<img src=\"x\"")),
        "a post may show images"
    );
    assert!(
        comment["body_html"]
            .as_str()
            .is_some_and(|html| !html.contains("<img")),
        "a comment may not: {comment}"
    );
    assert_eq!(read["body_markdown"], evil, "the source is kept as written");
}

/// Comments from `forwarded_for` (as a proxy on loopback would name the client): the statuses.
async fn comments_from(app: &TestApp, forwarded_for: &str, count: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..count {
        let response = app
            .client
            .post(format!("{}/posts/1/comments", app.address))
            .header("x-forwarded-for", forwarded_for)
            .json(&json!({"author_name": "Reader", "body": "Hi"}))
            .send()
            .await
            .expect("answers");
        statuses.push(response.status().as_u16());
    }
    statuses
}

/// With `TRUSTED_PROXIES` naming the proxy (loopback here), two clients behind it have limits of their own;
/// without it, a forged `X-Forwarded-For` changes nothing: the TCP peer is the client.
async fn trusted_proxies_decide_who_the_client_is(app: TestApp) {
    app.import(&small_blog()).await;
    let behind_proxy = app
        .another_instance(TestOptions {
            comments_per_minute: 2,
            trusted_proxies: vec!["127.0.0.1/32".parse().expect("a net")],
            ..TestOptions::default()
        })
        .await;
    assert_eq!(
        comments_from(&behind_proxy, "203.0.113.1", 3).await,
        [201, 201, 429]
    );
    assert_eq!(
        comments_from(&behind_proxy, "203.0.113.2", 1).await,
        [201],
        "another client behind the same proxy has its own limit"
    );
    let direct = app
        .another_instance(TestOptions {
            comments_per_minute: 2,
            ..TestOptions::default()
        })
        .await;
    assert_eq!(
        comments_from(&direct, "203.0.113.1", 3).await,
        [201, 201, 429]
    );
    assert_eq!(
        comments_from(&direct, "198.51.100.9", 1).await,
        [429],
        "a forged X-Forwarded-For from an untrusted peer changes nothing"
    );
}

/// One comment sent to `base` with `headers`: the status.
async fn comment_with(app: &TestApp, base: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = app
        .client
        .post(format!("{base}/posts/1/comments"))
        .json(&json!({"author_name": "Reader", "body": "Hi"}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("answers").status().as_u16()
}

/// Common proxies (nginx, `HAProxy`, ALB, Cloudflare) append the client to `X-Forwarded-For` and pass a client's own
/// `Forwarded` through: a client that sends a new `Forwarded: for=` each time must not get a new limit.
async fn a_client_cannot_choose_its_address_with_the_header_the_proxy_does_not_set(app: TestApp) {
    app.import(&small_blog()).await;
    let behind_nginx = app
        .another_instance(TestOptions {
            comments_per_minute: 1,
            trusted_proxies: vec!["127.0.0.1/32".parse().expect("a net")],
            ..TestOptions::default()
        })
        .await;
    let mut statuses = Vec::new();
    for forged in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        let forwarded = format!("for={forged}");
        statuses.push(
            comment_with(
                &behind_nginx,
                &behind_nginx.address,
                &[
                    ("forwarded", &forwarded),
                    ("x-forwarded-for", "203.0.113.7"),
                ],
            )
            .await,
        );
    }
    assert_eq!(statuses, [201, 429, 429], "one client, one limit");

    // Behind proxies that set `Forwarded` (FORWARDED_HEADER=forwarded), X-Forwarded-For is the forgery.
    let behind_envoy = app
        .another_instance(TestOptions {
            comments_per_minute: 1,
            trusted_proxies: vec!["127.0.0.1/32".parse().expect("a net")],
            forwarded_header: blog_api::config::ForwardedHeader::Forwarded,
            ..TestOptions::default()
        })
        .await;
    let mut statuses = Vec::new();
    for forged in ["192.0.2.1", "192.0.2.2"] {
        statuses.push(
            comment_with(
                &behind_envoy,
                &behind_envoy.address,
                &[
                    ("x-forwarded-for", forged),
                    ("forwarded", "for=203.0.113.77"),
                ],
            )
            .await,
        );
    }
    assert_eq!(statuses, [201, 429]);
    // Several proxy hops: the rightmost address that is not a trusted proxy is the client.
    let hops = behind_nginx
        .another_instance(TestOptions {
            comments_per_minute: 1,
            trusted_proxies: vec![
                "127.0.0.1/32".parse().expect("a net"),
                "10.0.0.0/8".parse().expect("a net"),
            ],
            ..TestOptions::default()
        })
        .await;
    let first = comment_with(
        &hops,
        &hops.address,
        &[("x-forwarded-for", "192.0.2.9, 203.0.113.88, 10.1.1.1")],
    )
    .await;
    let same_client = comment_with(
        &hops,
        &hops.address,
        &[("x-forwarded-for", "192.0.2.10, 203.0.113.88, 10.2.2.2")],
    )
    .await;
    assert_eq!((first, same_client), (201, 429));
}

/// Listening on `[::]`, every IPv4 peer arrives as `::ffff:a.b.c.d`: its limit is its own IPv4 address's
/// (not the /64 of the mapped form, which every IPv4 client shares), and `TRUSTED_PROXIES` in IPv4 matches.
async fn ipv4_peers_on_an_ipv6_listener_are_told_apart_and_trusted(app: TestApp) {
    app.import(&small_blog()).await;
    let dual_stack = app
        .another_instance(TestOptions {
            comments_per_minute: 1,
            bind: String::from("[::]:0"),
            trusted_proxies: vec!["127.0.0.0/8".parse().expect("a net")],
            ..TestOptions::default()
        })
        .await;
    let port = url::Url::parse(&dual_stack.address)
        .expect("a URL")
        .port()
        .expect("a port");
    let over_ipv4 = format!("http://127.0.0.1:{port}");
    let a = [("x-forwarded-for", "203.0.113.20")];
    let b = [("x-forwarded-for", "203.0.113.21")];
    let statuses = [
        comment_with(&dual_stack, &over_ipv4, &a).await,
        comment_with(&dual_stack, &over_ipv4, &b).await,
        comment_with(&dual_stack, &over_ipv4, &a).await,
    ];
    assert_eq!(
        statuses,
        [201, 201, 429],
        "the loopback proxy is trusted and its two clients have a limit each"
    );
}

/// Behind a load balancer: the comment limit is one, whichever instance a client reaches.
async fn two_instances_on_one_redis_share_one_comment_limit(app: TestApp) {
    if let TestBackend::Sqlite = app.backend {
        return; // the SQLite half runs without Redis: limits are per instance there (README)
    }
    app.import(&small_blog()).await;
    let options = TestOptions {
        comments_per_minute: 3,
        ..TestOptions::default()
    };
    let first = app.another_instance(options.clone()).await;
    let second = app.another_instance(options).await;
    let mut statuses = Vec::new();
    for instance in [&first, &second, &first, &second, &first] {
        statuses.extend(comments_from(instance, "ignored", 1).await);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    let keys = redis_keys(&app);
    assert!(
        keys.iter().any(|key| key.contains(":rate:comment:")),
        "the limit lives in Redis: {keys:?}"
    );
    assert!(
        keys.iter().all(|key| !key.contains("127.0.0.1")),
        "keyed by a salted hash, never the address: {keys:?}"
    );
}

fn redis_keys(app: &TestApp) -> Vec<String> {
    let prefix = &app.database.redis.as_ref().expect("redis").key_prefix;
    let mut connection = redis::Client::open(crate::helpers::redis_url())
        .and_then(|client| client.get_connection())
        .expect("redis");
    redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query(&mut connection)
        .expect("keys")
}

/// A client over its comment limit is refused before its body is read (429, not the 413 of a body larger
/// than a comment may be); comment and beacon bodies have small limits of their own.
async fn limits_come_before_bodies_and_bodies_are_small(app: TestApp) {
    let app = app
        .another_instance(TestOptions {
            comments_per_minute: 1,
            ..TestOptions::default()
        })
        .await;
    app.import(&small_blog()).await;
    let post = |body: String| {
        app.client
            .post(format!("{}/posts/1/comments", app.address))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let big = format!(
        r#"{{"author_name": "Reader", "body": "{}"}}"#,
        "x".repeat(40_000) + &"\\u00e9".repeat(5_000)
    );
    let ok = json!({"author_name": "Reader", "body": "Hi"}).to_string();
    assert_eq!(post(ok).await.expect("answers").status(), 201);
    assert_eq!(post(big.clone()).await.expect("answers").status(), 429);
    // An editor is not limited: the same body meets the comment body limit (64 KiB, below MAX_BODY_BYTES).
    let editor = app
        .client
        .post(format!("{}/posts/1/comments", app.address))
        .header("content-type", "application/json")
        .bearer_auth(token(&app))
        .body(big)
        .send()
        .await
        .expect("answers");
    assert_eq!(editor.status(), 413);

    let beacon = |bytes: usize| {
        app.client
            .post(format!("{}/posts/1/clicks", app.address))
            .header("user-agent", crate::helpers::BROWSER)
            .body("b".repeat(bytes))
            .send()
    };
    assert_eq!(beacon(100).await.expect("answers").status(), 200);
    assert_eq!(beacon(2000).await.expect("answers").status(), 413);
}

crate::on_both_backends!(
    two_instances_on_one_redis_share_one_comment_limit,
    limits_come_before_bodies_and_bodies_are_small,
    trusted_proxies_decide_who_the_client_is,
    a_client_cannot_choose_its_address_with_the_header_the_proxy_does_not_set,
    ipv4_peers_on_an_ipv6_listener_are_told_apart_and_trusted,
    categories_and_tags_are_created_renamed_and_deleted,
    comments_are_posted_pending_and_moderated,
    anonymous_writes_are_rate_limited_per_client,
    scripts_handlers_and_javascript_links_are_sanitized,
);
