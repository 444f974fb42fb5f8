//! The ceiling the load benchmark measures the product against: the least an HTTP server that counts a
//! view can do. Every request is one Redis `HINCRBY` on a shared multiplexed connection, then a fixed ~1 KB
//! JSON body. `benches/load.sh` starts it beside blog-api and reports every figure as a ratio to it.
//!
//! `cargo run --release --example ceiling -- 127.0.0.1:18901 redis://127.0.0.1:6379 bench-ceiling`

use actix_web::{web, App, HttpResponse, HttpServer};
use redis::aio::MultiplexedConnection;

/// About the size of a post summary.
const BODY: &str = concat!(
    r#"{"id":1,"slug":"sessions-background-jobs-1","title":"Sessions Background Jobs","#,
    r#""excerpt":"A fixed body of about one kilobyte, the size of a post summary, so the ceiling pays for "#,
    r#"writing as many bytes as a real read does. Lorem ipsum dolor sit amet, consectetur adipiscing elit, "#,
    r#"sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis "#,
    r#"nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor "#,
    r#"in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.","author":"Judy Xu","#,
    r#""category":{"id":1,"slug":"programming","name":"Programming"},"tags":[{"id":8,"slug":"redis","#,
    r#""name":"redis"},{"id":22,"slug":"latency","name":"latency"}],"published_at":"2024-03-28T01:51:19Z","#,
    r#""updated_at":"2024-03-28T01:51:19Z","clicks":1157,"comment_count":5,"body_html":"<p>Excepteur sint "#,
    r#"occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.</p>"}"#
);

struct Ceiling {
    redis: MultiplexedConnection,
    key: String,
}

async fn count_and_answer(state: web::Data<Ceiling>) -> HttpResponse {
    let mut redis = state.redis.clone();
    let counted: redis::RedisResult<i64> = redis::cmd("HINCRBY")
        .arg(&state.key)
        .arg("1")
        .arg(1)
        .query_async(&mut redis)
        .await;
    match counted {
        Ok(_) => HttpResponse::Ok()
            .content_type("application/json")
            .body(BODY),
        Err(error) => HttpResponse::ServiceUnavailable().body(error.to_string()),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args
        .next()
        .unwrap_or_else(|| String::from("127.0.0.1:18901"));
    let url = args
        .next()
        .unwrap_or_else(|| String::from("redis://127.0.0.1:6379"));
    let key = format!(
        "{}:ceiling",
        args.next().unwrap_or_else(|| String::from("bench"))
    );
    let redis = redis::Client::open(url)
        .map_err(std::io::Error::other)?
        .get_multiplexed_async_connection()
        .await
        .map_err(std::io::Error::other)?;
    let state = web::Data::new(Ceiling { redis, key });
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .default_service(web::to(count_and_answer))
    })
    .bind(bind)?
    .run()
    .await
}
