//! `POST /posts/{id}/clicks`: the beacon for clients that cache post bodies.

use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::{discard_body, IdParam, InPath, NoQuery};
use super::problems::{
    BadRequest, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized, Unavailable,
};
use super::rate_limit::Action;
use super::AppState;
use crate::service;
use crate::service::clicks::{Count, ViewSignals, ViewSource};

/// The largest beacon body read (and dropped); 413 past it.
pub const BEACON_BODY_MAX: usize = 1024;

/// The answer of the beacon.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 1, "clicks": 1158}))]
pub struct ClickCount {
    pub id: i64,
    /// Fresh: every click recorded so far, this one included when it counted.
    pub clicks: i64,
}

/// Record a click
///
/// Records one click on a published post and returns `{"id", "clicks"}` with the fresh count. A request that
/// does not count (a bot, a prefetch) gets the count without adding to it.
#[utoipa::path(
    post,
    path = "/posts/{id}/clicks",
    tag = "clicks",
    params(("id" = i64, Path, description = "Post id", minimum = 1)),
    responses(
        (status = 200, description = "The post's fresh count, including this click when it counts", body = ClickCount),
        BadRequest, Unauthorized, NotFound, PayloadTooLarge,
        TooManyRequests,
        Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn record_click(
    request: HttpRequest,
    _: NoQuery,
    InPath(post_id): InPath<IdParam>,
    signals: ViewSignals,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let count = if state.views.counts(&signals, ViewSource::Beacon) {
        state.limits.check(&request, Action::Beacon).await?;
        Count::Record(reader(&request, &state).await)
    } else {
        Count::Peek
    };
    discard_body(&request, body, BEACON_BODY_MAX).await?;
    let clicks =
        service::beacon::beacon(&state.pool, &state.clicks, &state.clock, post_id, count).await?;
    Ok(HttpResponse::Ok().json(ClickCount {
        id: post_id.get(),
        clicks,
    }))
}

/// The reader's hash for today (address as the rate limits see it, and User-Agent), for unique readers.
pub async fn reader(request: &HttpRequest, state: &AppState) -> Option<String> {
    let address = state.limits.client(request)?;
    let user_agent = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let day = crate::domain::clock::day_of(state.clock.now());
    state.visitors.hash(address, user_agent, day).await
}
