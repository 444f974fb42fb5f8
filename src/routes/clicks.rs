//! `POST /posts/{id}/clicks`: the beacon for clients that cache post bodies.

use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::{discard_body, IdParam, InPath, NoQuery};
use super::problems::{
    BadRequest, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized, Unavailable,
};
use super::AppState;
use crate::service::clicks::Client;

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
    client: Client,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let body = discard_body(&request, body, BEACON_BODY_MAX);
    let clicks = state.clicks.beacon(&client, post_id, body).await?;
    Ok(HttpResponse::Ok().json(ClickCount {
        id: post_id.get(),
        clicks,
    }))
}
