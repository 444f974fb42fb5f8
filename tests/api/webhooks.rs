//! Webhooks end to end: real HTTP receivers on loopback (allowed by `WEBHOOKS_ALLOW_PRIVATE`), signatures
//! checked by the Standard Webhooks reference library, retries, crashes, two instances, scheduled posts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestBackend, TestOptions};
use crate::post_writes::{send, token};
use blog_api::config::WebhookSettings;

/// How a receiver answers a request to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Answers 200 after this many milliseconds.
    Slow(u64),
    /// Never answers (the connection stays open until the sender gives up).
    Hang,
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Received {
    pub fn id(&self) -> String {
        self.headers["webhook-id"]
            .to_str()
            .expect("ASCII")
            .to_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().expect("a type").to_owned()
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Per path, the answers to its requests in order; the last one repeats. Unscripted paths get 200.
    script: Mutex<HashMap<String, Vec<Answer>>>,
}

/// A webhook receiver: an HTTP server on loopback that records every request.
pub struct Receiver {
    pub base: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let path = request.path().to_owned();
    let mut headers = http::HeaderMap::new();
    for (name, value) in request.headers() {
        headers.append(
            http::HeaderName::from_bytes(name.as_str().as_bytes()).expect("a header name"),
            http::HeaderValue::from_bytes(value.as_bytes()).expect("a header value"),
        );
    }
    let answer = {
        let mut received = shared.received.lock().expect("lock");
        let earlier = received.iter().filter(|seen| seen.path == path).count();
        received.push(Received {
            path: path.clone(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let script = shared.script.lock().expect("lock");
        script.get(&path).map_or(Answer::Status(200), |answers| {
            answers
                .get(earlier)
                .or(answers.last())
                .copied()
                .unwrap_or(Answer::Status(200))
        })
    };
    match answer {
        Answer::Status(status) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("a status"))
                .body(format!("answered {status}"))
        }
        Answer::Slow(millis) => {
            actix_web::rt::time::sleep(Duration::from_millis(millis)).await;
            HttpResponse::Ok().body("answered 200, slowly")
        }
        Answer::Hang => {
            std::future::pending::<()>().await;
            HttpResponse::Ok().finish()
        }
    }
}

impl Receiver {
    pub fn start() -> Receiver {
        let shared = web::Data::new(Shared::default());
        let data = shared.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("listens")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            shared: shared.into_inner(),
            handle,
        }
    }

    /// How requests to `path` are answered from now on (counting from its first request).
    pub fn script(&self, path: &str, answers: &[Answer]) {
        self.shared
            .script
            .lock()
            .expect("lock")
            .insert(path.to_owned(), answers.to_vec());
    }

    pub fn received(&self, path: &str) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .expect("lock")
            .iter()
            .filter(|seen| seen.path == path)
            .cloned()
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Waits (up to 60 s) for `done` to hold.
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Delivery as tests want it: private targets allowed (the receivers are on loopback), polling every
/// 20 ms, retries 50 ms apart (doubling).
pub fn fast_webhooks() -> WebhookSettings {
    WebhookSettings {
        allow_private: true,
        retry_base: Duration::from_millis(50),
        max_age: Duration::from_secs(3600),
        timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(20),
    }
}

async fn spawn_fast(backend: TestBackend) -> Option<TestApp> {
    TestApp::spawn_with(
        backend,
        TestOptions {
            webhooks: fast_webhooks(),
            ..TestOptions::default()
        },
    )
    .await
}

/// Subscribes `url` to `events`; returns the subscription's id and secret.
pub async fn subscribe(app: &TestApp, token: &str, url: &str, events: &[&str]) -> (i64, String) {
    let response = send(
        app,
        Method::POST,
        "/webhooks",
        Some(token),
        Some(json!({"url": url, "events": events})),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("JSON");
    (
        created["id"].as_i64().expect("an id"),
        created["secret"].as_str().expect("a secret").to_owned(),
    )
}

async fn create_post(app: &TestApp, token: &str, title: &str, published_at: Option<&str>) -> i64 {
    let response = send(
        app,
        Method::POST,
        "/posts",
        Some(token),
        Some(json!({"title": title, "author": "Ada", "body_markdown": "Words.", "published_at": published_at})),
    )
    .await;
    assert_eq!(
        response.status(),
        201,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let post: Value = response.json().await.expect("JSON");
    post["id"].as_i64().expect("an id")
}

/// The newest 100 deliveries of `webhook` on the server at `base` (a test app's or a binary's).
async fn log_at(client: &reqwest::Client, base: &str, token: &str, webhook: i64) -> Vec<Value> {
    let response = client
        .get(format!("{base}/webhooks/{webhook}/deliveries?per_page=100"))
        .bearer_auth(token)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.expect("JSON");
    page["data"].as_array().expect("data").clone()
}

async fn deliveries(app: &TestApp, token: &str, webhook: i64) -> Vec<Value> {
    log_at(&app.client, &app.address, token, webhook).await
}

/// Reads the log (for up to 30 s) until its newest delivery satisfies `done`, and returns that delivery.
async fn newest_delivery_when(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    webhook: i64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = log_at(client, base, token, webhook).await;
        if let Some(newest) = log.first().filter(|newest| done(newest)) {
            return newest.clone();
        }
        assert!(Instant::now() < deadline, "{what}: {log:?}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn verify(secret: &str, received: &Received) {
    let verifier = standardwebhooks::Webhook::new(secret).expect("a Standard Webhooks secret");
    verifier
        .verify(received.body.as_bytes(), &received.headers)
        .unwrap_or_else(|error| panic!("the signature of {} verifies: {error:?}", received.body));
}

async fn every_event_arrives_once_with_a_valid_signature(app: TestApp) {
    let receiver = Receiver::start();
    let token = token(&app);
    let all = [
        "post.published",
        "post.updated",
        "post.unpublished",
        "post.deleted",
        "comment.created",
        "comment.approved",
        "taxonomy.changed",
    ];
    let (_, secret) = subscribe(&app, &token, &receiver.url("/all"), &all).await;
    let (_, only_posts_secret) = subscribe(
        &app,
        &token,
        &receiver.url("/published"),
        &["post.published"],
    )
    .await;

    let category = send(
        &app,
        Method::POST,
        "/categories",
        Some(&token),
        Some(json!({"name": "News"})),
    )
    .await;
    assert_eq!(category.status(), 201);
    let post = create_post(&app, &token, "Hello", Some("2026-01-01T00:00:00Z")).await;
    let draft = create_post(&app, &token, "Draft", None).await;
    let patched = send(
        &app,
        Method::PATCH,
        &format!("/posts/{post}"),
        Some(&token),
        Some(json!({"title": "Hello again", "slug": "hello-again"})),
    )
    .await;
    assert_eq!(patched.status(), 200);
    let patched = send(
        &app,
        Method::PATCH,
        &format!("/posts/{draft}"),
        Some(&token),
        Some(json!({"title": "Still a draft"})),
    )
    .await;
    assert_eq!(patched.status(), 200);
    let comment = send(
        &app,
        Method::POST,
        &format!("/posts/{post}/comments"),
        None,
        Some(json!({"author_name": "Bo", "body": "Nice."})),
    )
    .await;
    assert_eq!(comment.status(), 201);
    let comment: Value = comment.json().await.expect("JSON");
    let approved = send(
        &app,
        Method::PATCH,
        &format!("/comments/{}", comment["id"]),
        Some(&token),
        Some(json!({"status": "approved"})),
    )
    .await;
    assert_eq!(approved.status(), 200);
    let unpublished = send(
        &app,
        Method::PATCH,
        &format!("/posts/{post}"),
        Some(&token),
        Some(json!({"published_at": null})),
    )
    .await;
    assert_eq!(unpublished.status(), 200);
    let republished = send(
        &app,
        Method::PATCH,
        &format!("/posts/{post}"),
        Some(&token),
        Some(json!({"published_at": "2026-01-02T00:00:00Z"})),
    )
    .await;
    assert_eq!(republished.status(), 200);
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("/posts/{post}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 204);
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("/posts/{draft}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 204);

    // What readers could see changed nine times; the draft's life is not among them.
    let mut expected = vec![
        "taxonomy.changed",
        "post.published",
        "post.updated",
        "comment.created",
        "comment.approved",
        "post.unpublished",
        "post.published",
        "post.deleted",
    ];
    eventually("every event at /all", || {
        receiver.received("/all").len() >= expected.len()
    })
    .await;
    eventually("both publications at /published", || {
        receiver.received("/published").len() >= 2
    })
    .await;
    // Nothing more comes, and nothing twice (the worker polls every 20 ms).
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received("/all");
    let mut types: Vec<String> = received.iter().map(Received::event_type).collect();
    types.sort();
    expected.sort_unstable();
    assert_eq!(types, expected);
    let mut ids: Vec<String> = received.iter().map(Received::id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), received.len(), "each event arrives once");
    for request in &received {
        verify(&secret, request);
        assert_eq!(request.headers["content-type"], "application/json");
        let body = request.json();
        assert!(
            body["timestamp"].is_string() && body["data"].is_object(),
            "{body}"
        );
    }
    let updated = received
        .iter()
        .find(|request| request.event_type() == "post.updated")
        .expect("post.updated")
        .json();
    assert_eq!(updated["data"]["id"], post);
    assert_eq!(updated["data"]["slug"], "hello-again");
    assert_eq!(updated["data"]["previous_slug"], "hello");
    let published = receiver.received("/published");
    assert_eq!(published.len(), 2);
    for request in &published {
        verify(&only_posts_secret, request);
        assert_eq!(request.event_type(), "post.published");
    }
    // A secret of another subscription does not verify.
    let verifier = standardwebhooks::Webhook::new(&only_posts_secret).expect("a secret");
    assert!(verifier
        .verify(received[0].body.as_bytes(), &received[0].headers)
        .is_err());
}

async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt(app: TestApp) {
    let receiver = Receiver::start();
    receiver.script(
        "/flaky",
        &[
            Answer::Status(500),
            Answer::Status(503),
            Answer::Status(204),
        ],
    );
    let token = token(&app);
    let (webhook, secret) =
        subscribe(&app, &token, &receiver.url("/flaky"), &["post.published"]).await;
    create_post(
        &app,
        &token,
        "Third time lucky",
        Some("2026-01-01T00:00:00Z"),
    )
    .await;

    newest_delivery_when(
        &app.client,
        &app.address,
        &token,
        webhook,
        "delivered",
        |delivery| delivery["status"] == "delivered",
    )
    .await;
    let log = deliveries(&app, &token, webhook).await;
    let requests = receiver.received("/flaky");
    assert_eq!(requests.len(), 3, "two failures, then the delivery");
    assert!(
        requests.windows(2).all(|pair| pair[0].id() == pair[1].id()),
        "one event id on every attempt"
    );
    for request in &requests {
        verify(&secret, request);
    }
    assert_eq!(log.len(), 1);
    let delivery = &log[0];
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["event_type"], "post.published");
    assert_eq!(delivery["event_id"], requests[0].id().as_str());
    let statuses: Vec<i64> = delivery["attempt_log"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|attempt| attempt["response_status"].as_i64().expect("a status"))
        .collect();
    assert_eq!(statuses, [500, 503, 204]);
    assert!(delivery["attempt_log"][0]["error"]
        .as_str()
        .expect("an error")
        .contains("500"));
    assert!(delivery["finished_at"].is_string());
    assert!(delivery["next_attempt_at"].is_null());

    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("blog_api_webhook_deliveries_total{result=\"retried\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("blog_api_webhook_deliveries_total{result=\"delivered\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("blog_api_webhook_backlog "), "{metrics}");
    assert!(
        metrics.contains("blog_api_webhook_oldest_pending_seconds "),
        "{metrics}"
    );
}

async fn a_400_is_not_retried_until_an_editor_retries_it(app: TestApp) {
    let receiver = Receiver::start();
    receiver.script("/strict", &[Answer::Status(400), Answer::Status(200)]);
    let token = token(&app);
    let (webhook, _) = subscribe(&app, &token, &receiver.url("/strict"), &["post.published"]).await;
    create_post(&app, &token, "Refused", Some("2026-01-01T00:00:00Z")).await;
    eventually("the first attempt", || {
        !receiver.received("/strict").is_empty()
    })
    .await;
    let delivery = newest_delivery_when(
        &app.client,
        &app.address,
        &token,
        webhook,
        "recorded",
        |delivery| delivery["status"] != "pending",
    )
    .await;
    assert_eq!(delivery["status"], "failed");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["attempt_log"][0]["response_status"], 400);
    assert_eq!(delivery["attempt_log"][0]["response_body"], "answered 400");
    // Many polls later, still one request.
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.received("/strict").len(), 1);

    let retried = send(
        &app,
        Method::POST,
        &format!("/webhooks/{webhook}/deliveries/{}/retry", delivery["id"]),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(retried.status(), 202);
    eventually("the manual retry", || {
        receiver.received("/strict").len() == 2
    })
    .await;
    let requests = receiver.received("/strict");
    assert_eq!(requests[0].id(), requests[1].id(), "the same event id");
    let missing = send(
        &app,
        Method::POST,
        &format!("/webhooks/{webhook}/deliveries/999999/retry"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(missing.status(), 404);
}

async fn a_hanging_receiver_does_not_delay_another_subscription(app: TestApp) {
    let receiver = Receiver::start();
    receiver.script("/hang", &[Answer::Hang]);
    let token = token(&app);
    let (hanging, _) = subscribe(&app, &token, &receiver.url("/hang"), &["post.published"]).await;
    let (_, _) = subscribe(&app, &token, &receiver.url("/fast"), &["post.published"]).await;
    for number in 0..12 {
        create_post(
            &app,
            &token,
            &format!("Post {number}"),
            Some("2026-01-01T00:00:00Z"),
        )
        .await;
    }
    eventually("all twelve at the fast receiver", || {
        receiver.received("/fast").len() == 12
    })
    .await;
    // Every attempt at the hanging one is still open (the time-out is 5 s): none has been recorded, yet the
    // other subscription got everything.
    let log = deliveries(&app, &token, hanging).await;
    assert_eq!(log.len(), 12);
    assert!(
        log.iter().all(|delivery| delivery["status"] == "pending"
            && delivery["attempt_log"]
                .as_array()
                .is_some_and(Vec::is_empty)),
        "{log:?}"
    );
    let open = receiver.received("/hang").len();
    assert!(
        (1..=4).contains(&open),
        "at most four attempts at one subscription at once, saw {open}"
    );
}

async fn targets_inside_the_network_are_refused_without_the_flag(app: TestApp) {
    let token = token(&app);
    let inside = "WEBHOOKS_ALLOW_PRIVATE";
    for (url, message) in [
        ("http://127.0.0.1:9/hook", inside),
        ("http://localhost:8080/hook", inside),
        ("http://[::1]/hook", inside),
        ("http://10.1.2.3/hook", inside),
        ("http://172.16.0.1/hook", inside),
        ("http://192.168.1.20/hook", inside),
        ("http://169.254.169.254/latest/meta-data", inside),
        ("http://100.64.0.1/hook", inside),
        ("http://0.0.0.0/hook", inside),
        ("http://[fd00::1]/hook", inside),
        ("http://[::ffff:127.0.0.1]/hook", inside),
        ("http://2130706433/hook", inside),
        ("ftp://example.com/hook", "http"),
        ("https://user:secret@example.com/hook", "credentials"),
        ("not a url", "URL"),
    ] {
        let refusal = refusal_of(&app, &token, url).await;
        assert!(refusal.contains(message), "{url}: {refusal}");
    }
    // A public address is accepted (an address: nothing to resolve, nothing sent yet).
    let (id, secret) = subscribe(
        &app,
        &token,
        "http://93.184.216.34/hook",
        &["post.published"],
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    // ... and cannot be moved inside afterwards.
    let moved = send(
        &app,
        Method::PATCH,
        &format!("/webhooks/{id}"),
        Some(&token),
        Some(json!({"url": "http://127.0.0.1/hook"})),
    )
    .await;
    assert_eq!(moved.status(), 422);
    // Unknown events, empty lists and unknown fields are named together.
    let bad = send(
        &app,
        Method::POST,
        "/webhooks",
        Some(&token),
        Some(json!({"url": "http://93.184.216.34/", "events": ["post.exploded"], "colour": "red"})),
    )
    .await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("JSON");
    assert!(
        problem["errors"]["events"].is_array() && problem["errors"]["colour"].is_array(),
        "{problem}"
    );
    // Without a token, nothing.
    assert_eq!(app.get("/webhooks").await.status(), 401);
    let listed = send(&app, Method::GET, "/webhooks", Some(&token), None).await;
    let listed: Value = listed.json().await.expect("JSON");
    assert_eq!(listed["data"].as_array().expect("data").len(), 1);
    assert!(
        listed["data"][0].get("secret").is_none(),
        "the secret is shown once"
    );
    let rotated = send(
        &app,
        Method::POST,
        &format!("/webhooks/{id}/rotate-secret"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.expect("JSON");
    assert_ne!(rotated["secret"].as_str().expect("a new secret"), secret);
}

async fn a_scheduled_post_is_announced_once_by_two_instances(backend: TestBackend) {
    let start = chrono::Utc::now().naive_utc();
    let clock = blog_api::domain::clock::Clock::fixed(start);
    let options = TestOptions {
        webhooks: fast_webhooks(),
        clock: clock.clone(),
        ..TestOptions::default()
    };
    let Some(first) = TestApp::spawn_with(backend, options.clone()).await else {
        return;
    };
    let second = first.another_instance(options).await;
    let receiver = Receiver::start();
    let token = token(&first);
    subscribe(
        &first,
        &token,
        &receiver.url("/published"),
        &["post.published"],
    )
    .await;
    let at = (start + chrono::Duration::hours(1)).and_utc().to_rfc3339();
    let post = create_post(&first, &token, "Scheduled", Some(&at)).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receiver.received("/published").is_empty(),
        "not before its time"
    );

    // Its time comes; no request touches it.
    clock.set(start + chrono::Duration::hours(2));
    eventually("the announcement", || {
        !receiver.received("/published").is_empty()
    })
    .await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received("/published");
    assert_eq!(received.len(), 1, "announced once by two polling instances");
    let body = received[0].json();
    assert_eq!(body["data"]["id"], post);
    assert_eq!(
        body["timestamp"].as_str().expect("a timestamp")[..16],
        at[..16]
    );
    drop(second);
}

/// Two instances, one receiver, 200 events: each delivered, none twice.
async fn two_instances_deliver_each_of_200_events_once(backend: TestBackend) {
    let options = TestOptions {
        webhooks: fast_webhooks(),
        ..TestOptions::default()
    };
    let Some(first) = TestApp::spawn_with(backend, options.clone()).await else {
        return;
    };
    let second = first.another_instance(options).await;
    let receiver = Receiver::start();
    let token = token(&first);
    let (webhook, secret) =
        subscribe(&first, &token, &receiver.url("/hook"), &["comment.created"]).await;
    let post = create_post(&first, &token, "Talked about", Some("2026-01-01T00:00:00Z")).await;
    for number in 0..200 {
        let app = if number % 2 == 0 { &first } else { &second };
        let response = send(
            app,
            Method::POST,
            &format!("/posts/{post}/comments"),
            None,
            Some(json!({"author_name": "Bo", "body": format!("Comment {number}")})),
        )
        .await;
        assert_eq!(response.status(), 201);
    }
    eventually("200 deliveries", || receiver.received("/hook").len() >= 200).await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received("/hook");
    let mut ids: Vec<String> = received.iter().map(Received::id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200, "200 distinct events");
    assert_eq!(received.len(), 200, "none delivered twice");
    for request in &received {
        verify(&secret, request);
    }
    let mut log = deliveries(&first, &token, webhook).await;
    let mut page = 2;
    loop {
        let response = send(
            &first,
            Method::GET,
            &format!("/webhooks/{webhook}/deliveries?per_page=100&page={page}"),
            Some(&token),
            None,
        )
        .await;
        let more: Value = response.json().await.expect("JSON");
        let more = more["data"].as_array().expect("data").clone();
        if more.is_empty() {
            break;
        }
        log.extend(more);
        page += 1;
    }
    assert_eq!(log.len(), 200);
    assert!(
        log.iter()
            .all(|delivery| delivery["status"] == "delivered" && delivery["attempts"] == 1),
        "one attempt each"
    );
    let delivered = |app: &TestApp| {
        let app = app.address.clone();
        async move {
            let text = reqwest::get(format!("{app}/metrics"))
                .await
                .expect("metrics")
                .text()
                .await
                .expect("text");
            text.lines()
                .find_map(|line| {
                    line.strip_prefix("blog_api_webhook_deliveries_total{result=\"delivered\"} ")
                })
                .and_then(|value| value.parse::<u64>().ok())
                .expect("the delivered series")
        }
    };
    assert_eq!(delivered(&first).await + delivered(&second).await, 200);
}

async fn targets_inside_are_refused(backend: TestBackend) {
    let options = TestOptions {
        webhooks: WebhookSettings::default(),
        ..TestOptions::default()
    };
    if let Some(app) = TestApp::spawn_with(backend, options).await {
        targets_carrying_an_inside_ipv4_address_are_refused_without_echoing_it(&app).await;
        targets_inside_the_network_are_refused_without_the_flag(app).await;
    }
}

/// Subscribing `url` must be refused with a 422: the message about `url`.
async fn refusal_of(app: &TestApp, token: &str, url: &str) -> String {
    let response = send(
        app,
        Method::POST,
        "/webhooks",
        Some(token),
        Some(json!({"url": url, "events": ["post.published"]})),
    )
    .await;
    assert_eq!(response.status(), 422, "{url}");
    let problem: Value = response.json().await.expect("JSON");
    problem["errors"]["url"][0]
        .as_str()
        .expect("a message")
        .to_owned()
}

/// 6to4, Teredo, NAT64 and IPv4-mapped or -translated addresses reach the IPv4 address they carry: inside
/// ones are refused like that address. The refusal says the host is not public, never what it resolved to.
async fn targets_carrying_an_inside_ipv4_address_are_refused_without_echoing_it(app: &TestApp) {
    let token = token(app);
    for url in [
        "http://[2002:7f00:1::1]/hook",
        "http://[2002:a9fe:a9fe::]/hook",
        "http://[2001:0:a00:1::5db8:d822]/hook",
        "http://[2001:0:5db8:d822::80ff:fefe]/hook",
        "http://[64:ff9b::a9fe:a9fe]/hook",
        "http://[64:ff9b:1::5db8:d822]/hook",
        "http://[::ffff:0:a00:1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "http://localhost:8080/hook",
    ] {
        let message = refusal_of(app, &token, url).await;
        let message = message.as_str();
        assert!(
            message.contains("the host is not public"),
            "{url}: {message}"
        );
        for echoed in [
            "127.0.0.1",
            "::1",
            "169.254",
            "10.0.0.1",
            "192.168",
            "2002:",
            "2001:",
            "64:ff9b",
        ] {
            assert!(
                !message.contains(echoed),
                "{url}: {message} names an address"
            );
        }
    }
    // A 6to4 address of a public IPv4 relay is public.
    let (id, _) = subscribe(
        app,
        &token,
        "http://[2002:5db8:d822::1]/hook",
        &["post.published"],
    )
    .await;
    let deleted = send(
        app,
        Method::DELETE,
        &format!("/webhooks/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 204);
}

/// A token made straight in `url`'s database (for a test that runs the binary).
fn token_for(url: &blog_api::db::DatabaseUrl) -> String {
    let pool = blog_api::db::build_pool(
        url,
        1,
        Duration::from_secs(5),
        blog_api::db::QueryCounter::default(),
    );
    let mut conn = pool.get().expect("a connection");
    let name = blog_api::domain::token::TokenName::parse(&format!(
        "binary-{}",
        uuid::Uuid::new_v4().simple()
    ))
    .expect("a name");
    blog_api::service::tokens::create(&mut conn, &name).expect("a token")
}

/// An HTTPS receiver on loopback, for `localhost`, with a self-signed certificate made here: its port, the
/// certificate's PEM file (for `SSL_CERT_FILE`) and the bodies it got (each answered 204).
struct TlsReceiver {
    port: u16,
    certificate: tempfile::NamedTempFile,
    bodies: Arc<Mutex<Vec<String>>>,
}

fn tls_receiver() -> TlsReceiver {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::ssl::{SslAcceptor, SslMethod};
    use openssl::x509::extension::SubjectAlternativeName;
    use openssl::x509::{X509NameBuilder, X509};
    use std::io::{Read, Write};

    let key = PKey::from_rsa(Rsa::generate(2048).expect("a key")).expect("a key");
    let mut name = X509NameBuilder::new().expect("a name");
    name.append_entry_by_text("CN", "localhost").expect("a CN");
    let name = name.build();
    let mut builder = X509::builder().expect("a certificate");
    builder.set_version(2).expect("v3");
    let serial = BigNum::from_u32(1)
        .and_then(|n| n.to_asn1_integer())
        .expect("a serial");
    builder.set_serial_number(&serial).expect("a serial");
    builder.set_subject_name(&name).expect("a subject");
    builder.set_issuer_name(&name).expect("an issuer");
    builder.set_pubkey(&key).expect("a public key");
    builder
        .set_not_before(&Asn1Time::days_from_now(0).expect("now"))
        .expect("not before");
    builder
        .set_not_after(&Asn1Time::days_from_now(2).expect("later"))
        .expect("not after");
    let san = SubjectAlternativeName::new()
        .dns("localhost")
        .build(&builder.x509v3_context(None, None))
        .expect("a SAN");
    builder.append_extension(san).expect("the SAN");
    builder.sign(&key, MessageDigest::sha256()).expect("signed");
    let certificate = builder.build();
    let mut file = tempfile::NamedTempFile::new().expect("a file");
    file.write_all(&certificate.to_pem().expect("PEM"))
        .expect("written");

    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("an acceptor");
    acceptor.set_private_key(&key).expect("the key");
    acceptor
        .set_certificate(&certificate)
        .expect("the certificate");
    let acceptor = acceptor.build();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Ok(mut tls) = acceptor.accept(stream) else {
                continue;
            };
            let mut request = Vec::new();
            let mut buffer = [0_u8; 4096];
            // The headers, then as many body bytes as Content-Length says.
            while let Ok(read) = tls.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        seen.lock().expect("lock").push(body.to_owned());
                        break;
                    }
                }
            }
            let _ = tls.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            let _ = tls.shutdown();
        }
    });
    TlsReceiver {
        port,
        certificate: file,
        bodies,
    }
}

/// A delivery over HTTPS, to a receiver whose certificate the server trusts through `SSL_CERT_FILE` (what
/// OpenSSL reads): the TLS path production uses, end to end. Without that trust, the attempt fails on the
/// certificate and is retried.
async fn a_delivery_goes_over_https(backend: TestBackend) {
    use crate::helpers::{http_client, BinaryServer, TestDatabase};
    let Some(database) = TestDatabase::create(backend) else {
        return;
    };
    let receiver = tls_receiver();
    let certificate = receiver.certificate.path().display().to_string();
    let env = [
        ("WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("WEBHOOK_POLL_INTERVAL_MS", "20"),
        ("WEBHOOK_RETRY_BASE_MS", "50"),
        ("SSL_CERT_FILE", certificate.as_str()),
    ];
    let server = BinaryServer::start_with(&database.url, "info", &env).await;
    let token = token_for(&database.url);
    let client = http_client();
    let created = client
        .post(format!("{}/webhooks", server.base))
        .bearer_auth(&token)
        .json(&json!({"url": format!("https://localhost:{}/hook", receiver.port), "events": ["post.published"]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("JSON");
    let post = client
        .post(format!("{}/posts", server.base))
        .bearer_auth(&token)
        .json(&json!({"title": "Over TLS", "author": "Ada", "body_markdown": "Words.", "published_at": "2026-01-01T00:00:00Z"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(post.status(), 201);
    let bodies = receiver.bodies.clone();
    eventually("the delivery over HTTPS", || {
        !bodies.lock().expect("lock").is_empty()
    })
    .await;
    let body: Value = serde_json::from_str(&bodies.lock().expect("lock")[0]).expect("JSON");
    assert_eq!(body["type"], "post.published");
    assert_eq!(body["data"]["title"], "Over TLS");
    let webhook = created["id"].as_i64().expect("an id");
    let delivered = newest_delivery_when(
        &client,
        &server.base,
        &token,
        webhook,
        "recorded",
        |delivery| delivery["status"] == "delivered",
    )
    .await;
    assert_eq!(delivered["attempt_log"][0]["response_status"], 204);
    drop(server.stop_and_read_log());

    // The same receiver, not trusted: the handshake fails, the attempt says why, and it is retried.
    let untrusted = BinaryServer::start_with(&database.url, "info", &env[..3]).await;
    let post = client
        .post(format!("{}/posts", untrusted.base))
        .bearer_auth(&token)
        .json(&json!({"title": "Refused by TLS", "author": "Ada", "body_markdown": "Words.", "published_at": "2026-01-01T00:00:00Z"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(post.status(), 201);
    let refused = newest_delivery_when(
        &client,
        &untrusted.base,
        &token,
        webhook,
        "attempted",
        |delivery| delivery["attempt_log"][0].is_object(),
    )
    .await;
    assert_eq!(refused["status"], "pending", "retried: {refused}");
    let attempt = &refused["attempt_log"][0];
    assert!(attempt["response_status"].is_null(), "{attempt}");
    let error = attempt["error"].as_str().expect("an error");
    assert!(error.contains("certificate"), "{error}");
    assert_eq!(
        receiver.bodies.lock().expect("lock").len(),
        1,
        "nothing more got through"
    );
    drop(untrusted.stop_and_read_log());
}

/// The binary is killed (SIGKILL) while a delivery's attempt is open: the write committed, the attempt
/// began, nothing was recorded. After a restart the delivery is claimed again once the dead worker's
/// claim runs out, and delivered.
async fn a_delivery_survives_kill_9_between_commit_and_delivery(backend: TestBackend) {
    use crate::helpers::{http_client, BinaryServer, TestDatabase};
    let Some(database) = TestDatabase::create(backend) else {
        return;
    };
    let receiver = Receiver::start();
    receiver.script("/hook", &[Answer::Hang, Answer::Status(200)]);
    let env = [
        ("WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("WEBHOOK_POLL_INTERVAL_MS", "20"),
        ("WEBHOOK_TIMEOUT_MS", "1000"),
        ("WEBHOOK_RETRY_BASE_MS", "50"),
    ];
    let server = BinaryServer::start_with(&database.url, "info", &env).await;
    let token = token_for(&database.url);
    let client = http_client();
    let created = client
        .post(format!("{}/webhooks", server.base))
        .bearer_auth(&token)
        .json(&json!({"url": receiver.url("/hook"), "events": ["post.published"]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("JSON");
    let secret = created["secret"].as_str().expect("a secret").to_owned();
    let post = client
        .post(format!("{}/posts", server.base))
        .bearer_auth(&token)
        .json(&json!({"title": "Survivor", "author": "Ada", "body_markdown": "Words.", "published_at": "2026-01-01T00:00:00Z"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(post.status(), 201);
    eventually("the first attempt to open", || {
        receiver.received("/hook").len() == 1
    })
    .await;
    server.kill();

    let restarted = BinaryServer::start_with(&database.url, "info", &env).await;
    // The dead worker's claim holds 2 x WEBHOOK_TIMEOUT_MS + 5 s = 7 s from when it was made.
    eventually("the delivery after the restart", || {
        receiver.received("/hook").len() == 2
    })
    .await;
    let requests = receiver.received("/hook");
    assert_eq!(
        requests[0].id(),
        requests[1].id(),
        "the same event, to deduplicate on"
    );
    verify(&secret, &requests[1]);
    let webhook = created["id"].as_i64().expect("an id");
    let delivery = newest_delivery_when(
        &client,
        &restarted.base,
        &token,
        webhook,
        "recorded",
        |delivery| delivery["status"] == "delivered",
    )
    .await;
    assert_eq!(
        delivery["attempts"], 2,
        "the attempt the crash cut short counts"
    );
    let attempts = delivery["attempt_log"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "only the finished attempt is recorded");
    assert_eq!(attempts[0]["number"], 2);
    assert_eq!(attempts[0]["response_status"], 200);
    // Nothing more arrives.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received("/hook").len(), 2);
    drop(restarted.stop_and_read_log());
}

/// `mod fast_sqlite` and `mod fast_postgres`, each with one test per named `async fn name(app: TestApp)`,
/// served with [`fast_webhooks`].
macro_rules! with_fast_webhooks {
    ($($test:ident),* $(,)?) => {
        mod fast_sqlite {
            $(
                #[actix_web::test]
                async fn $test() {
                    if let Some(app) = super::spawn_fast(super::TestBackend::Sqlite).await {
                        super::$test(app).await;
                    }
                }
            )*
        }
        mod fast_postgres {
            $(
                #[actix_web::test]
                async fn $test() {
                    if let Some(app) = super::spawn_fast(super::TestBackend::Postgres).await {
                        super::$test(app).await;
                    }
                }
            )*
        }
    };
}

/// A receiver that keeps failing: retried (no faster than the back-off), then given up at
/// `WEBHOOK_MAX_AGE`, and counted as failed.
async fn a_delivery_failing_past_the_max_age_is_given_up(backend: TestBackend) {
    let options = TestOptions {
        webhooks: WebhookSettings {
            max_age: Duration::from_millis(600),
            ..fast_webhooks()
        },
        ..TestOptions::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else {
        return;
    };
    let receiver = Receiver::start();
    receiver.script("/down", &[Answer::Status(503)]);
    let token = token(&app);
    let (webhook, _) = subscribe(&app, &token, &receiver.url("/down"), &["post.published"]).await;
    create_post(&app, &token, "Nobody home", Some("2026-01-01T00:00:00Z")).await;
    let delivery = newest_delivery_when(
        &app.client,
        &app.address,
        &token,
        webhook,
        "given up",
        |delivery| delivery["status"] == "failed",
    )
    .await;
    let attempts = delivery["attempt_log"].as_array().expect("attempts");
    // 50 ms doubling (with up to 25% jitter either way) fits 3 to 5 attempts in 600 ms.
    assert!(
        (3..=6).contains(&attempts.len()),
        "{} attempts: {delivery}",
        attempts.len()
    );
    assert_eq!(receiver.received("/down").len(), attempts.len());
    assert!(attempts
        .iter()
        .all(|attempt| attempt["response_status"] == 503));
    let started: Vec<chrono::DateTime<chrono::Utc>> = attempts
        .iter()
        .map(|attempt| {
            attempt["started_at"]
                .as_str()
                .expect("a time")
                .parse()
                .expect("RFC 3339")
        })
        .collect();
    for (index, pair) in started.windows(2).enumerate() {
        let gap = (pair[1] - pair[0]).num_milliseconds();
        let least = 50 * (1 << index) * 3 / 4;
        assert!(
            gap >= least,
            "retry {} came {gap} ms after the one before (back-off at least {least} ms)",
            index + 1
        );
    }
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("blog_api_webhook_deliveries_total{result=\"failed\"} 1"),
        "{metrics}"
    );
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received("/down").len(),
        attempts.len(),
        "nothing after giving up"
    );
}

/// The worker polls every 20 ms here; with nothing due, its polls change nothing readers see, so the
/// content version (whose every move drops every instance's content cache) stays put.
async fn idle_polling_leaves_the_content_cache_alone(app: TestApp) {
    let version = || {
        let mut conn = app.pool.get().expect("a connection");
        blog_api::db::content::version(&mut conn).expect("the content version")
    };
    let token = token(&app);
    create_post(&app, &token, "Already public", Some("2026-01-01T00:00:00Z")).await;
    let before = version();
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(version(), before, "25 idle polls moved the content version");
}

/// A graceful stop (SIGTERM) lets an attempt under way finish and records it: the delivery is not left
/// claimed, to be sent again after a restart.
async fn a_stop_waits_for_attempts_under_way(mut app: TestApp) {
    let receiver = Receiver::start();
    receiver.script("/slow", &[Answer::Slow(700)]);
    let token = token(&app);
    let (webhook, _) = subscribe(&app, &token, &receiver.url("/slow"), &["post.published"]).await;
    create_post(&app, &token, "Slow to land", Some("2026-01-01T00:00:00Z")).await;
    eventually("the attempt to open", || {
        !receiver.received("/slow").is_empty()
    })
    .await;
    app.stop().await;
    use blog_api::db::schema::webhook_deliveries;
    use diesel::prelude::*;
    let mut conn = app.pool.get().expect("a connection");
    let (status, attempts, claim): (String, i64, Option<String>) = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook))
        .select((
            webhook_deliveries::status,
            webhook_deliveries::attempts,
            webhook_deliveries::claim,
        ))
        .first(&mut conn)
        .expect("the delivery");
    assert_eq!((status.as_str(), attempts, claim), ("delivered", 1, None));
}

with_fast_webhooks!(
    a_stop_waits_for_attempts_under_way,
    idle_polling_leaves_the_content_cache_alone,
    every_event_arrives_once_with_a_valid_signature,
    a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt,
    a_400_is_not_retried_until_an_editor_retries_it,
    a_hanging_receiver_does_not_delay_another_subscription,
);

mod by_backend {
    use super::*;

    #[actix_web::test]
    async fn sqlite_targets_inside_are_refused() {
        targets_inside_are_refused(TestBackend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres_targets_inside_are_refused() {
        targets_inside_are_refused(TestBackend::Postgres).await;
    }

    #[actix_web::test]
    async fn sqlite_failing_delivery_given_up_at_max_age() {
        a_delivery_failing_past_the_max_age_is_given_up(TestBackend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres_failing_delivery_given_up_at_max_age() {
        a_delivery_failing_past_the_max_age_is_given_up(TestBackend::Postgres).await;
    }

    #[actix_web::test]
    async fn sqlite_delivery_over_https() {
        a_delivery_goes_over_https(TestBackend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres_delivery_over_https() {
        a_delivery_goes_over_https(TestBackend::Postgres).await;
    }

    #[actix_web::test]
    async fn sqlite_delivery_survives_kill_9() {
        a_delivery_survives_kill_9_between_commit_and_delivery(TestBackend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres_delivery_survives_kill_9() {
        a_delivery_survives_kill_9_between_commit_and_delivery(TestBackend::Postgres).await;
    }

    #[actix_web::test]
    async fn sqlite_scheduled_post_announced_once() {
        a_scheduled_post_is_announced_once_by_two_instances(TestBackend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres_scheduled_post_announced_once() {
        a_scheduled_post_is_announced_once_by_two_instances(TestBackend::Postgres).await;
    }

    #[actix_web::test]
    async fn sqlite_200_events_delivered_once() {
        two_instances_deliver_each_of_200_events_once(TestBackend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres_200_events_delivered_once() {
        two_instances_deliver_each_of_200_events_once(TestBackend::Postgres).await;
    }
}
