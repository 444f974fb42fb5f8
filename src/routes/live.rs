//! Server-Sent Events: `GET /posts/{id}/live`, a post's count as it changes, and `GET /events`, the public
//! content events.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, Responder};
use actix_web_lab::sse;
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{FromQuery, IdParam, InPath, NoQuery, Query};
use super::problems::{BadRequest, NotFound};
use super::query::QueryParams;
use super::AppState;
use crate::error::ApiError;
use crate::service::live::Outgoing;

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

/// `GET /events` parameters.
pub struct EventsParams {
    last_event_id: Option<String>,
}

impl FromQuery for EventsParams {
    const ALLOWED: &'static [&'static str] = &["last_event_id"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(EventsParams {
            last_event_id: params.get("last_event_id").map(str::to_owned),
        })
    }
}

/// What a `reset` event says.
#[derive(Serialize, ToSchema)]
pub struct StreamReset {
    /// Why the stream could not resume where the client left it.
    #[schema(example = "events after this Last-Event-ID are no longer kept")]
    pub reason: &'static str,
}

/// Follow the public content events
///
/// A `text/event-stream` (Server-Sent Events) of the events webhooks carry that readers may see:
/// `post.published`, `post.updated`, `post.unpublished`, `post.deleted`, `taxonomy.changed`,
/// `comment.approved`, `author.created`, `author.updated`, `author.deleted`. Each event's `event:` is its type,
/// its `data:` the webhook body (`{"type", "timestamp", "data"}`), its `id:` its place in the outbox's one
/// sequence. A client that reconnects with `Last-Event-ID` (as `EventSource` does by itself), to any
/// instance, gets every event after that place, in order, none twice, as long as the outbox keeps them (30
/// days); older, or an id this API did not give, a `reset` event comes first (resync with `GET /sync`),
/// then the events from now. Without it the stream starts now. Comment lines every 15 s keep it open;
/// `SSE_MAX_STREAMS` bounds the streams of an instance (503 with `Retry-After` past it); a stop ends them.
#[utoipa::path(
    get,
    path = "/events",
    tag = "posts",
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event the client received: the stream resumes after it"),
        ("last_event_id" = Option<String>, Query, description = "The same, for a client that cannot set the header on its first connection (the header wins)"),
    ),
    responses(
        (status = 200, description = "The stream: `event: post.published`, `id: 1234`, `data: {\"type\": \"post.published\", \"timestamp\": ..., \"data\": {...}}`; or `event: reset` with `{\"reason\"}`", content_type = "text/event-stream", body = StreamReset),
        BadRequest,
        (status = 503, description = "The database is unavailable, or this instance has SSE_MAX_STREAMS streams open (`Retry-After`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn content_events(
    request: HttpRequest,
    query: Query<EventsParams>,
    state: web::Data<AppState>,
) -> Result<impl Responder, ApiError> {
    let header = request
        .headers()
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let last = header.or(query.value.last_event_id);
    let events = state.events.open(last.as_deref()).await?;
    Ok(event_stream(events.map(|outgoing| {
        match outgoing {
            Outgoing::Event(event) => sse::Event::Data(
                sse::Data::new(event.payload.clone())
                    .event(event.event_type.clone())
                    .id(event.seq.to_string()),
            ),
            Outgoing::Reset { place, reason } => {
                let data = serde_json::to_string(&StreamReset { reason }).unwrap_or_default();
                sse::Event::Data(sse::Data::new(data).event("reset").id(place.to_string()))
            }
        }
    })))
}
