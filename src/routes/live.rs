//! Server-Sent Events: `GET /posts/{id}/live`, a post's count as it changes.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, Responder};
use actix_web_lab::sse;
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{IdParam, InPath, NoQuery};
use super::problems::{BadRequest, NotFound};
use super::AppState;
use crate::error::ApiError;

/// A comment line this often keeps proxies from closing a quiet stream (and finds a gone client).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long an `EventSource` waits before it reconnects a stream that ended.
const RETRY: Duration = Duration::from_secs(2);

/// The data of a `count` event.
#[derive(Serialize, ToSchema)]
pub struct LiveCount {
    /// The post's id.
    #[schema(example = 1)]
    pub id: i64,
    /// Its displayed click count, as `GET /posts/{id}` shows it.
    #[schema(example = 1234)]
    pub clicks: i64,
}

/// An event stream with the headers a browser's `EventSource` and the proxies in between need: never
/// cached, never buffered. (`Content-Type: text/event-stream` and `Content-Encoding: identity`, which keeps
/// the compression middleware out, come with `Sse`.)
fn event_stream(events: impl futures_util::Stream<Item = sse::Event> + 'static) -> impl Responder {
    sse::Sse::from_stream(events.map(Ok::<_, Infallible>))
        .with_keep_alive(KEEP_ALIVE)
        .with_retry_duration(RETRY)
        .customize()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
}

/// Follow a post's click count live
///
/// A `text/event-stream` (Server-Sent Events, for `EventSource`): a `count` event with data
/// `{"id", "clicks"}` at once, then one each time the post's displayed count changes, at most one a second
/// (changes in between coalesced); views through any instance reach it within about two seconds. A comment
/// line every 15 s keeps proxies from closing a quiet stream. Listening is not a view. Each instance keeps
/// at most `SSE_MAX_STREAMS` streams open (503 with `Retry-After` past it); a stop ends every stream.
#[utoipa::path(
    get,
    path = "/posts/{id}/live",
    tag = "posts",
    params(
        ("id" = i64, Path, description = "Post id (a published post)", minimum = 1, example = 1),
    ),
    responses(
        (status = 200, description = "The stream: `event: count` with `data: {\"id\": 1, \"clicks\": 1234}`, then one per change", content_type = "text/event-stream", body = LiveCount),
        BadRequest, NotFound,
        (status = 503, description = "The database is unavailable, or this instance has SSE_MAX_STREAMS streams open (`Retry-After`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn live_count(
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<impl Responder, ApiError> {
    let post = id.get();
    let counts = state.live.open(post).await?;
    Ok(event_stream(counts.map(move |clicks| {
        let data = serde_json::to_string(&LiveCount { id: post, clicks }).unwrap_or_default();
        sse::Event::Data(sse::Data::new(data).event("count"))
    })))
}
