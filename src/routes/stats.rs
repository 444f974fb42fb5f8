//! `GET /posts/{id}/stats`: a post's clicks over time.

use actix_web::{web, HttpResponse};

use super::extract::{FromQuery, IdParam, InPath, Query};
use super::problems::{BadRequest, NotFound, Unavailable};
use super::query::QueryParams;
use super::AppState;
use crate::domain::stats::{PostStats, RangeParams};
use crate::domain::Viewer;
use crate::error::ApiError;

/// `from`, `to`, `interval` and `tz`, as given: the service makes the range, knowing "now".
impl FromQuery for RangeParams {
    const ALLOWED: &'static [&'static str] = &["from", "to", "interval", "tz"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        let owned = |name| params.get(name).map(str::to_owned);
        Ok(RangeParams {
            from: owned("from"),
            to: owned("to"),
            interval: owned("interval"),
            tz: owned("tz"),
        })
    }
}

/// Get a post's clicks over time
///
/// A published post's clicks by hour, day or ISO week, zero-filled, at most 400 points, in UTC or a time
/// zone. Public, like the post's total.
#[utoipa::path(
    get,
    path = "/posts/{id}/stats",
    tag = "posts",
    params(
        ("id" = i64, Path, description = "Post id (a published post)", minimum = 1, example = 1),
        ("from" = Option<String>, Query, description = "First instant (RFC 3339) or date (midnight in `tz`); moved back to its bucket's start. Default: 30 intervals before `to`", example = "2026-06-01"),
        ("to" = Option<String>, Query, description = "Instant (RFC 3339) or date the series ends before; default now", example = "2026-07-01"),
        ("interval" = Option<String>, Query, description = "`hour`, `day` (default) or `week` (ISO, from Monday)", pattern = "^(hour|day|week)$"),
        ("tz" = Option<String>, Query, description = "IANA time zone of the buckets, default `UTC`", example = "Europe/Paris"),
    ),
    responses(
        (status = 200, description = "Every bucket of the range, zero-filled; `meta.total` sums them", body = PostStats),
        BadRequest, NotFound, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn post_stats(
    InPath(id): InPath<IdParam>,
    query: Query<RangeParams>,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let series = state.stats.post_stats(id, viewer, &query.value).await?;
    Ok(HttpResponse::Ok().json(series))
}
