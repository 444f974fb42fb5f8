//! `/healthz` (the process is up) and `/readyz` (it can serve: the database answers).

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::error::ApiError;

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

/// Readiness, with the state of what the service depends on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    pub status: &'static str,
    /// `ok`.
    pub database: &'static str,
    pub cache: CacheState,
}

/// The click cache as `/readyz` reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheState {
    /// `memory` or `redis`.
    pub backend: &'static str,
    /// `ok`, or `degraded` while Redis is unreachable and clicks go straight to the database.
    pub state: &'static str,
}

/// Check liveness
///
/// 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = Readiness),
        (status = 503, description = "The database does not answer", body = crate::error::Problem,
         content_type = "application/problem+json"),
    )
)]
/// Check readiness
///
/// 200 when the database answers (with the click cache's state: `degraded` while Redis is down and clicks go
/// straight to the database), 503 problem+json when the database does not answer.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let report = state.health.readiness().await?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: "ok",
        cache: CacheState {
            backend: report.cache_backend,
            state: if report.cache_available {
                "ok"
            } else {
                "degraded"
            },
        },
    }))
}

/// Get Prometheus metrics
///
/// Prometheus text format: clicks cached and fallen back to the database, sync passes, failures and batches,
/// cache round trips and availability, SQL statements, pool connections.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain; version=0.0.4"))
)]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.health.render_metrics())
}
