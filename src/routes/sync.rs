//! `GET /sync`: delta sync for offline apps.

use actix_web::{web, HttpResponse};

use super::extract::{FromQuery, Query};
use super::problems::{BadRequest, Unavailable};
use super::query::QueryParams;
use super::AppState;
use crate::domain::sync::SyncPage;
use crate::error::ApiError;

/// `GET /sync` parameters.
pub struct SyncParams {
    since: Option<String>,
}

impl FromQuery for SyncParams {
    const ALLOWED: &'static [&'static str] = &["since"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(SyncParams {
            since: params.get("since").map(str::to_owned),
        })
    }
}

/// Sync the public content
///
/// For offline apps: the published posts, categories, tags and authors as pages. Without `since` a sync
/// starts from nothing and `data` holds everything; with `since` (the `meta.next_sync_token` of the last
/// page) only what changed since: created, edited or newly published rows in `data` (including posts
/// published by their schedule meanwhile), deleted or no longer public ones (a post back to draft or
/// scheduled again) as ids in `deleted`. Ask again at once while `meta.has_more`; then keep the last token
/// for next time. A client that applies `deleted` (first) and `data` (as upserts, by id) of every page holds
/// exactly what the API's lists show. Click counts are not changes: posts carry their count as of the page.
/// Tokens are opaque and sealed; a changed one, or one older than the 30 days of deletions kept, is a 410
/// problem: sync again from the start.
#[utoipa::path(
    get,
    path = "/sync",
    tag = "sync",
    params(
        ("since" = Option<String>, Query, description = "The `meta.next_sync_token` of the last page; absent for a first sync"),
    ),
    responses(
        (status = 200, description = "One page of changes", body = SyncPage),
        BadRequest,
        (status = 410, description = "A token this API did not make (changed, cut short), or too old: sync again without `since`", body = crate::error::Problem, content_type = "application/problem+json"),
        Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn sync_content(
    query: Query<SyncParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let page = state.sync.page(query.value.since.as_deref()).await?;
    Ok(HttpResponse::Ok().json(page))
}
