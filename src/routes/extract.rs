//! The preconditions of a handler, as extractors: who is asking ([`Viewer`], [`Editor`]), the path id
//! ([`PathId`]), the query string ([`NoQuery`], [`Query`]), a JSON body ([`JsonBody`]), `If-Match`
//! ([`IfMatch`]) and who the client is, with what decides whether a read is a view ([`Client`]). Each refuses a bad request
//! with the `ApiError` a handler would have returned, so a handler's signature lists its checks and its first
//! line is its work. Arguments are extracted in signature order: the first failing one answers.

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::query::QueryParams;
use crate::domain::fields::{FieldSet, Fields};
use crate::domain::{InvalidValue, ResourceId, Slug, Viewer};
use crate::error::ApiError;
use crate::service::clicks::{Client, ViewSignals};

/// The viewer the authentication middleware recorded (anonymous when it recorded none).
impl FromRequest for Viewer {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(viewer_of(request)))
    }
}

pub fn viewer_of(request: &HttpRequest) -> Viewer {
    request
        .extensions()
        .get::<Viewer>()
        .copied()
        .unwrap_or(Viewer::Anonymous)
}

/// A request that carries a valid token; anyone else gets 401.
#[derive(Debug, Clone)]
pub struct Editor {
    /// The name of the token it sent (who made a revision).
    pub token_name: String,
}

impl FromRequest for Editor {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match viewer_of(request) {
            Viewer::Editor => Ok(Editor {
                token_name: request
                    .extensions()
                    .get::<super::auth::TokenName>()
                    .map_or_else(String::new, |name| name.0.clone()),
            }),
            Viewer::Anonymous => Err(ApiError::Unauthorized(
                "this needs a token: send `Authorization: Bearer <token>`",
            )),
        })
    }
}

/// A parameter of the route's path: its name in the route, and what its text is parsed into.
pub trait PathParam {
    const NAME: &'static str;
    type Value;
    fn parse(raw: &str) -> Result<Self::Value, InvalidValue>;
}

/// The one path extractor: the route's parameter `P` parsed, or a 400 that names it.
pub struct InPath<P: PathParam>(pub P::Value);

impl<P: PathParam> FromRequest for InPath<P> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = request.match_info().get(P::NAME).unwrap_or_default();
        ready(P::parse(raw).map(InPath).map_err(ApiError::from))
    }
}

/// Declares a path parameter holding a positive integer.
macro_rules! id_param {
    ($($(#[$doc:meta])* $marker:ident = $name:literal;)*) => {$(
        $(#[$doc])*
        pub struct $marker;

        impl PathParam for $marker {
            const NAME: &'static str = $name;
            type Value = ResourceId;
            fn parse(raw: &str) -> Result<ResourceId, InvalidValue> {
                ResourceId::parse(Self::NAME, raw)
            }
        }
    )*};
}

id_param! {
    /// `{id}`: a positive integer.
    IdParam = "id";
    /// `{delivery_id}`: a positive integer.
    DeliveryIdParam = "delivery_id";
    /// `{n}`: a file number from 1, as in `/sitemap-{n}.xml`.
    NParam = "n";
    /// `{link_id}`: a preview link's id.
    LinkIdParam = "link_id";
    /// `{number}`: a revision's number, from 1.
    NumberParam = "number";
}

/// `{name}` and `{file}` of a media file, as sent: one the store could not hold is the same 404 as a
/// missing one (see `MediaLibrary::file`).
pub struct MediaNameParam;

impl PathParam for MediaNameParam {
    const NAME: &'static str = "name";
    type Value = String;
    fn parse(raw: &str) -> Result<String, InvalidValue> {
        Ok(raw.to_owned())
    }
}

pub struct MediaFileParam;

impl PathParam for MediaFileParam {
    const NAME: &'static str = "file";
    type Value = String;
    fn parse(raw: &str) -> Result<String, InvalidValue> {
        Ok(raw.to_owned())
    }
}

/// `{token}`: a preview link's secret, as sent. Any text: one that names no live link is the same 404 as an
/// expired or revoked one (see `Previews::read`), never a 400 that would tell them apart.
pub struct PreviewToken;

impl PathParam for PreviewToken {
    const NAME: &'static str = "token";
    type Value = String;
    fn parse(raw: &str) -> Result<String, InvalidValue> {
        Ok(raw.to_owned())
    }
}

/// `{slug}`.
pub struct SlugParam;

impl PathParam for SlugParam {
    const NAME: &'static str = "slug";
    type Value = Slug;
    fn parse(raw: &str) -> Result<Slug, InvalidValue> {
        Slug::parse(Self::NAME, raw)
    }
}

/// A route that takes no query parameters: any parameter is a 400 that names it.
#[derive(Debug, Clone, Copy)]
pub struct NoQuery;

impl FromRequest for NoQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            QueryParams::parse(request.query_string(), &[])
                .map(|_| NoQuery)
                .map_err(ApiError::from),
        )
    }
}

/// What a route reads from its query string: the parameters it allows and how they become a value.
pub trait FromQuery: Sized {
    /// Every parameter the route knows; any other is a 400.
    const ALLOWED: &'static [&'static str];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError>;
}

/// The parsed query (`value`) and the parameters as given (`params`, for `Link` headers).
#[derive(Debug, Clone)]
pub struct Query<T> {
    pub value: T,
    pub params: QueryParams,
}

impl<T: FromQuery> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let params = QueryParams::parse(request.query_string(), T::ALLOWED)?;
            let value = T::from_query(&params)?;
            Ok(Query { value, params })
        })())
    }
}

/// `fields`, the only parameter of a single resource's read: which of `R`'s fields it returns.
#[derive(Debug, Clone, Copy)]
pub struct FieldsOnly<R>(pub FieldSet, std::marker::PhantomData<R>);

impl<R: Fields> FromQuery for FieldsOnly<R> {
    const ALLOWED: &'static [&'static str] = &["fields"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(FieldsOnly(
            FieldSet::parse(params.get("fields"), R::NAMES)?,
            std::marker::PhantomData,
        ))
    }
}

/// The body of a request that says it is JSON (`application/json` or `application/*+json`); 400 otherwise,
/// 413 past `MAX_BODY_BYTES`, or past `LIMIT` bytes when that is smaller (comments take a small body: a
/// client cannot make the server buffer a megabyte to post one). Only its bytes: the domain's parsers read
/// the fields.
#[derive(Debug, Clone)]
pub struct JsonBody<const LIMIT: usize = { usize::MAX }>(pub web::Bytes);

impl<const LIMIT: usize> FromRequest for JsonBody<LIMIT> {
    /// actix's own error for a body it could not read (413 and the like), else a `BadBody`.
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = says_json(request);
        if LIMIT == usize::MAX {
            let bytes = web::Bytes::from_request(request, payload);
            return Box::pin(async move {
                let bytes = bytes.await?;
                json_only(is_json, bytes)
            });
        }
        // MAX_BODY_BYTES still applies when it is the smaller.
        let limit = request
            .app_data::<web::Data<super::AppState>>()
            .map_or(LIMIT, |state| state.http.max_body_bytes.min(LIMIT));
        let bytes = read_at_most(request, payload, limit);
        Box::pin(async move { json_only(is_json, bytes.await?) })
    }
}

/// A JSON body a route takes optionally: `None` when the request has none (or only white space), else the
/// bytes of a body that says it is JSON (400 otherwise), refused past `LIMIT` bytes (413).
#[derive(Debug, Clone)]
pub struct MaybeJsonBody<const LIMIT: usize>(pub Option<web::Bytes>);

impl<const LIMIT: usize> FromRequest for MaybeJsonBody<LIMIT> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = says_json(request);
        let bytes = read_at_most(request, payload, LIMIT);
        Box::pin(async move {
            let bytes = bytes.await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(MaybeJsonBody(None));
            }
            json_only::<LIMIT>(is_json, bytes).map(|body| MaybeJsonBody(Some(body.0)))
        })
    }
}

/// Reads and drops a body this endpoint does not use (the beacon: `navigator.sendBeacon` may send one) when
/// it is at most `limit` bytes; 413 past it. A handler calls it after its own checks (the rate limit), so a
/// refused client costs no body read.
pub async fn discard_body(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<(), actix_web::Error> {
    read_at_most(request, &mut payload.into_inner(), limit).await?;
    Ok(())
}

/// The body, decompressed, refused (413) as soon as it is known to exceed `limit` bytes: by its
/// `Content-Length` before reading, else while reading.
fn read_at_most(
    request: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Pin<Box<dyn Future<Output = Result<web::Bytes, actix_web::Error>>>> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Box::pin(ready(Err(PayloadError::Overflow.into())));
    }
    let mut stream = actix_web::dev::Decompress::from_headers(payload.take(), request.headers());
    Box::pin(async move {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
            let chunk = chunk?;
            if body.len() + chunk.len() > limit {
                return Err(PayloadError::Overflow.into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    })
}

fn json_only<const LIMIT: usize>(
    is_json: bool,
    bytes: web::Bytes,
) -> Result<JsonBody<LIMIT>, actix_web::Error> {
    if is_json {
        Ok(JsonBody(bytes))
    } else {
        Err(ApiError::BadBody(String::from(
            "the body must be JSON, sent as Content-Type: application/json",
        ))
        .into())
    }
}

/// The body of a new comment: the client's comment limit (`RATE_LIMIT_COMMENTS_PER_MINUTE`; 429 past it,
/// editors are not limited) is checked first, and only then is the body read, as a [`JsonBody`] of at most
/// `LIMIT` bytes. One extractor, so the two cannot run out of order.
#[derive(Debug, Clone)]
pub struct CommentBody<const LIMIT: usize>(pub web::Bytes);

impl<const LIMIT: usize> FromRequest for CommentBody<LIMIT> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if viewer_of(&request) != Viewer::Editor {
                if let Some(state) = request.app_data::<web::Data<super::AppState>>() {
                    let address = state.http.clients.of(&request);
                    state.comments.admit(address).await?;
                }
            }
            let body = JsonBody::<LIMIT>::from_request(&request, &mut payload).await?;
            Ok(CommentBody(body.0))
        })
    }
}

fn says_json(request: &HttpRequest) -> bool {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The `If-Match` header, if any.
#[derive(Debug, Clone)]
pub struct IfMatch(pub Option<String>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(IfMatch(
            request
                .headers()
                .get(header::IF_MATCH)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        )))
    }
}

/// Who the request comes from (its address, behind trusted proxies) and the signals the view policy
/// decides on, read once per request.
impl FromRequest for Client {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let address = request
            .app_data::<web::Data<super::AppState>>()
            .and_then(|state| state.http.clients.of(request));
        ready(Ok(Client {
            address,
            signals: view_signals(request),
        }))
    }
}

fn view_signals(request: &HttpRequest) -> ViewSignals {
    let says_prefetch = |name: &str| {
        request
            .headers()
            .get_all(name)
            .filter_map(|value| value.to_str().ok())
            .any(|value| value.to_ascii_lowercase().contains("prefetch"))
    };
    ViewSignals {
        head: request.method() == Method::HEAD,
        viewer: viewer_of(request),
        user_agent: request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .unwrap_or_default()
            .to_owned(),
        prefetch: says_prefetch("purpose")
            || says_prefetch("sec-purpose")
            || says_prefetch("x-moz"),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;
    use crate::service::clicks::{ViewPolicy, ViewSource};

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";
    const SAFARI: &str =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                          (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

    fn counts(request: TestRequest, source: ViewSource, clicks_on_get: bool) -> bool {
        ViewPolicy::new(clicks_on_get).counts(&view_signals(&request.to_http_request()), source)
    }

    #[test]
    fn browsers_count_on_read_and_beacon() {
        for agent in [FIREFOX, SAFARI, "Mozilla/5.0"] {
            let request = || TestRequest::get().insert_header(("User-Agent", agent));
            assert!(counts(request(), ViewSource::Read, true), "{agent}");
            assert!(counts(request(), ViewSource::Beacon, true), "{agent}");
        }
    }

    #[test]
    fn bots_heads_prefetches_and_missing_agents_do_not_count() {
        let cases = [
            ("no agent", TestRequest::get()),
            (
                "blank agent",
                TestRequest::get().insert_header(("User-Agent", "  ")),
            ),
            (
                "Googlebot",
                TestRequest::get().insert_header((
                    "User-Agent",
                    "Googlebot/2.1 (+http://www.google.com/bot.html)",
                )),
            ),
            (
                "crawler",
                TestRequest::get().insert_header(("User-Agent", "AhrefsBot/7.0")),
            ),
            (
                "curl",
                TestRequest::get().insert_header(("User-Agent", "curl/8.5.0")),
            ),
            (
                "HEAD",
                TestRequest::default()
                    .method(Method::HEAD)
                    .insert_header(("User-Agent", FIREFOX)),
            ),
            (
                "Purpose",
                TestRequest::get()
                    .insert_header(("User-Agent", FIREFOX))
                    .insert_header(("Purpose", "prefetch")),
            ),
            (
                "Sec-Purpose",
                TestRequest::get()
                    .insert_header(("User-Agent", FIREFOX))
                    .insert_header(("Sec-Purpose", "prefetch;prerender")),
            ),
            (
                "X-Moz",
                TestRequest::get()
                    .insert_header(("User-Agent", FIREFOX))
                    .insert_header(("X-Moz", "prefetch")),
            ),
        ];
        for (case, request) in cases {
            assert!(!counts(request, ViewSource::Read, true), "{case}");
        }
    }

    #[test]
    fn clicks_on_get_false_leaves_only_the_beacon() {
        let request = || TestRequest::get().insert_header(("User-Agent", FIREFOX));
        assert!(!counts(request(), ViewSource::Read, false));
        assert!(counts(request(), ViewSource::Beacon, false));
    }

    #[test]
    fn a_path_id_must_be_a_positive_integer() {
        let request = TestRequest::get().param("id", "0").to_http_request();
        let refused = InPath::<IdParam>::from_request(&request, &mut Payload::None).into_inner();
        assert!(
            matches!(refused, Err(ApiError::InvalidParameter(invalid)) if invalid.name == "id")
        );
    }

    #[test]
    fn an_editor_needs_a_token_and_no_query_refuses_any_parameter() {
        let anonymous = TestRequest::get().uri("/x?a=1").to_http_request();
        assert!(Editor::from_request(&anonymous, &mut Payload::None)
            .into_inner()
            .is_err());
        assert!(NoQuery::from_request(&anonymous, &mut Payload::None)
            .into_inner()
            .is_err());
        anonymous.extensions_mut().insert(Viewer::Editor);
        assert!(Editor::from_request(&anonymous, &mut Payload::None)
            .into_inner()
            .is_ok());
    }
}
