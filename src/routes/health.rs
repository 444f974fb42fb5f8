//! `/healthz` (the process is up) and `/readyz` (it can serve: the database answers).

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use super::AppState;
use crate::db::run_blocking;
use crate::error::ApiError;

/// `GET /healthz`: 200 while the process serves requests.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when the database answers (with the click cache's state: `degraded` while Redis is
/// down and clicks go straight to the database), 503 problem+json when the database does not answer.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    run_blocking(&state.pool, |conn| conn.batch_execute("SELECT 1")).await?;
    let cache = state.clicks.cache();
    let cache_state = if cache.is_available() {
        "ok"
    } else {
        "degraded"
    };
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "database": "ok",
        "cache": {"backend": cache.name(), "state": cache_state},
    })))
}
