//! API tokens: the CLI that makes them, their storage (hashes only), and what a request with one gets.

use blog_api::db::schema::api_tokens;
use blog_api::domain::token::TokenName;
use diesel::prelude::*;

use crate::fixture::small_blog;
use crate::helpers::{TestApp, TestBackend, BROWSER};

fn create_token(app: &TestApp, name: &str) -> String {
    let mut conn = app.pool.get().expect("connection");
    let name = TokenName::parse(name).expect("a valid name");
    blog_api::service::tokens::create(&mut conn, &name).expect("created")
}

async fn editors_views_are_not_counted_and_bad_tokens_get_401(app: TestApp) {
    app.import(&small_blog()).await;
    let token = create_token(&app, "editor");
    let url = format!("{}/posts/1", app.address);
    let response = app
        .client
        .get(&url)
        .header("User-Agent", BROWSER)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let beacon = app
        .client
        .post(format!("{url}/clicks"))
        .header("User-Agent", BROWSER)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(beacon.status(), 200);
    assert_eq!(
        app.get_json("/posts/1").await["clicks"],
        10,
        "an editor's views do not count"
    );

    {
        let mut conn = app.pool.get().expect("connection");
        let name = TokenName::parse("editor").expect("name");
        blog_api::service::tokens::revoke(&mut conn, &name).expect("revoked");
    }
    let headers = [
        format!("Bearer {token}"),
        String::from("Bearer blog_0000"),
        String::from("Bearer "),
        String::from("Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
        token.clone(),
    ];
    for header in headers {
        for path in ["/posts/1", "/posts", "/tags"] {
            let response = app
                .client
                .get(format!("{}{path}", app.address))
                .header("Authorization", &header)
                .send()
                .await
                .expect("answers");
            assert_eq!(response.status(), 401, "{path} with {header:?}");
            assert_eq!(
                response.headers()["www-authenticate"],
                "Bearer realm=\"blog-api\", error=\"invalid_token\""
            );
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
        }
    }
}

async fn tokens_are_stored_only_as_hashes(app: TestApp) {
    let token = create_token(&app, "ci");
    let mut conn = app.pool.get().expect("connection");
    let rows: Vec<(String, String)> = api_tokens::table
        .select((api_tokens::name, api_tokens::token_hash))
        .load(&mut conn)
        .expect("tokens");
    assert_eq!(rows.len(), 1);
    let secret_part = token.trim_start_matches("blog_");
    assert!(!rows[0].1.contains(secret_part) && !rows[0].0.contains(secret_part));
    assert_eq!(rows[0].1, blog_api::domain::token::hash(&token));
}

async fn the_token_cli_creates_lists_and_revokes(app: TestApp) {
    let TestBackend::Sqlite = app.backend else {
        return; // the same commands on either database; once is enough
    };
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_blog-api"))
            .args(args)
            .env("DATABASE_URL", app.database.url.to_string())
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let created = run(&["token", "create", "deploy-bot"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8_lossy(&created.stdout);
    let token = stdout.lines().last().expect("a last line").to_owned();
    assert!(token.starts_with("blog_") && token.len() == 69, "{stdout}");
    let response = app
        .client
        .get(format!("{}/posts", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200, "the printed token works");

    let duplicate = run(&["token", "create", "deploy-bot"]);
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("exists already"));

    let listed = String::from_utf8_lossy(&run(&["token", "list"]).stdout).into_owned();
    assert!(
        listed.contains("deploy-bot") && listed.contains("live") && !listed.contains(&token),
        "{listed}"
    );

    assert!(run(&["token", "revoke", "deploy-bot"]).status.success());
    let listed = String::from_utf8_lossy(&run(&["token", "list"]).stdout).into_owned();
    assert!(listed.contains("revoked"), "{listed}");
    let again = run(&["token", "revoke", "deploy-bot"]);
    assert!(!again.status.success());
    assert!(
        run(&["token", "create", "deploy-bot"]).status.success(),
        "a revoked name can be reused"
    );
    assert!(!run(&["token", "create", "bad name"]).status.success());
}

async fn tokens_never_reach_the_logs(app: TestApp) {
    let TestBackend::Sqlite = app.backend else {
        return; // the binary's logging is the same on either database
    };
    app.import(&small_blog()).await;
    let token = create_token(&app, "logged");
    let revoked = create_token(&app, "revoked");
    {
        let mut conn = app.pool.get().expect("connection");
        let name = TokenName::parse("revoked").expect("name");
        blog_api::service::tokens::revoke(&mut conn, &name).expect("revoked");
    }
    let server = crate::helpers::BinaryServer::start(&app.database.url, "trace").await;
    let base = server.base.clone();
    let client = crate::helpers::http_client();
    for presented in [
        &token,
        &revoked,
        &String::from("blog_not-a-real-token-0123456789"),
    ] {
        for path in ["/posts/1", "/posts?status=draft", "/posts/1/clicks"] {
            let _ = client
                .request(
                    if path.ends_with("clicks") {
                        reqwest::Method::POST
                    } else {
                        reqwest::Method::GET
                    },
                    format!("{base}{path}"),
                )
                .bearer_auth(presented)
                .header("User-Agent", crate::helpers::BROWSER)
                .send()
                .await
                .expect("answers");
        }
    }
    let logged = server.stop_and_read_log();
    assert!(
        logged.lines().count() > 10,
        "trace logging produced {} lines",
        logged.lines().count()
    );
    for secret in [&token, &revoked] {
        let secret_part = secret.trim_start_matches("blog_");
        assert!(!logged.contains(secret_part), "a token reached the log");
    }
    assert!(
        !logged.contains("not-a-real-token"),
        "a presented token reached the log"
    );
}

crate::on_both_backends!(
    tokens_never_reach_the_logs,
    editors_views_are_not_counted_and_bad_tokens_get_401,
    tokens_are_stored_only_as_hashes,
    the_token_cli_creates_lists_and_revokes,
);
