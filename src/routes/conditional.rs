//! HTTP caching of public reads: a validator over the representation actually sent, `If-None-Match` -> 304,
//! and `Cache-Control` / `Vary`. A JSON or XML (feeds, sitemaps) `GET` that a token did not see gets an `ETag` made from its body (a
//! post keeps its content version in front of it, for `If-Match`), so any change of the bytes, counts
//! included, changes it; a request with `Authorization` gets `private, no-store` and never a 304.

use actix_web::body::{self, BoxBody, MessageBody, SizedStream};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use sha2::{Digest, Sha256};

use crate::domain::etag::if_none_match_allows;
use crate::domain::rendered::SplicedJson;

/// `Cache-Control` of public reads (`CACHE_MAX_AGE`, `CACHE_STALE_WHILE_REVALIDATE`, in seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CachePolicy {
    pub max_age: u32,
    pub stale_while_revalidate: u32,
}

impl CachePolicy {
    fn public_header(self) -> String {
        let value = format!("public, max-age={}", self.max_age);
        if self.stale_while_revalidate == 0 {
            return value;
        }
        format!(
            "{value}, stale-while-revalidate={}",
            self.stale_while_revalidate
        )
    }
}

/// The entity tag of a body: the content version the handler set (a post's `"p{id}-{µs}"`) followed by a
/// digest of the bytes, or a weak tag of the digest alone.
pub fn validator(content_version: Option<&str>, body: &[u8]) -> String {
    validator_of_digest(content_version, &Sha256::digest(body))
}

/// [`validator`] from a digest of the representation the handler already has.
fn validator_of_digest(content_version: Option<&str>, digest: &[u8]) -> String {
    let short: String = digest
        .iter()
        .take(8)
        .fold(String::with_capacity(16), |mut text, byte| {
            use std::fmt::Write as _;
            let _ = write!(text, "{byte:02x}");
            text
        });
    match content_version.and_then(|tag| tag.strip_suffix('"')) {
        Some(open) if open.starts_with('"') => format!("{open}-{short}\""),
        _ => format!("W/\"{short}\""),
    }
}

/// The validator a handler made for the representation it answers with, so that the body is not read again
/// to make one (a response extension).
#[derive(Debug, Clone)]
struct Validated(String);

/// A `200` of JSON in pieces with a count spliced in (a post's JSON made once per version), with its content
/// version and a validator made from the pieces' digest, not from the bytes read again.
pub fn spliced_json_response(
    content_version: &str,
    json: &SplicedJson,
    count: i64,
) -> HttpResponse {
    let parts = json.with_count(count);
    let length = parts.iter().map(bytes::Bytes::len).sum::<usize>() as u64;
    let stream = futures_util::stream::iter(parts.map(Ok::<_, std::convert::Infallible>));
    let response = HttpResponse::Ok()
        .insert_header(header::ContentType::json())
        .insert_header((header::ETAG, content_version))
        .body(SizedStream::new(length, stream));
    with_validator(response, Some(content_version), &json.digest_with(count))
}

/// `response` with the validator [`validator`] would make, from `digest`, a digest of its representation
/// the handler already has, so the middleware does not read the body again to make one.
pub fn with_validator(
    mut response: HttpResponse,
    content_version: Option<&str>,
    digest: &[u8],
) -> HttpResponse {
    response
        .extensions_mut()
        .insert(Validated(validator_of_digest(content_version, digest)));
    response
}

/// Middleware: validators, 304s and caching headers for JSON reads.
pub async fn conditional_get(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let private = request.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let policy = request
        .app_data::<actix_web::web::Data<CachePolicy>>()
        .map(|policy| *policy.get_ref())
        .unwrap_or_default();
    let response = next.call(request).await?.map_into_boxed_body();
    let is_content = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| {
            [
                &b"application/json"[..],
                b"application/rss+xml",
                b"application/atom+xml",
                b"application/xml",
            ]
            .iter()
            .any(|media| value.as_bytes().starts_with(media))
        });
    // A handler that said `no-store` (a preview) keeps its answer out of every cache, and out of 304s.
    let no_store = response
        .headers()
        .get(header::CACHE_CONTROL)
        .is_some_and(|value| {
            value
                .as_bytes()
                .windows(8)
                .any(|window| window == b"no-store")
        });
    if !read || !is_content || no_store || response.status() != StatusCode::OK {
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let validated = response.extensions().get::<Validated>().cloned();
    let (mut head, body) = response.into_parts();
    if private {
        head.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        return Ok(ServiceResponse::new(request, head.set_body(body)));
    }
    let (tag, body) = if let Some(Validated(tag)) = validated {
        (tag, body)
    } else {
        let bytes = body::to_bytes(body).await.map_err(Error::from)?;
        let content_version = head
            .headers()
            .get(header::ETAG)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let tag = validator(content_version.as_deref(), &bytes);
        (tag, BoxBody::new(bytes))
    };
    let mut headers = vec![(header::VARY, HeaderValue::from_static("Authorization"))];
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.push((header::ETAG, value));
    }
    if let Ok(value) = HeaderValue::from_str(&policy.public_header()) {
        headers.push((header::CACHE_CONTROL, value));
    }
    if if_none_match.is_some_and(|sent| if_none_match_allows(&sent, &tag)) {
        let mut not_modified = HttpResponse::NotModified();
        for (name, value) in headers {
            not_modified.insert_header((name, value));
        }
        return Ok(ServiceResponse::new(request, not_modified.finish()));
    }
    for (name, value) in headers {
        if name == header::VARY {
            head.headers_mut().append(name, value);
        } else {
            head.headers_mut().insert(name, value);
        }
    }
    Ok(ServiceResponse::new(request, head.set_body(body)))
}

/// Middleware, outside `Compress`: every answer whose body `Compress` may encode, and every 304 (whose
/// headers a cache merges into the answer it keeps), names `Accept-Encoding` in `Vary`, once. `Compress` adds
/// it only to the answers it encodes: without it on the others, a shared cache could keep one encoding for
/// every client, or lose the header from a kept gzip answer when a 304 refreshes it.
pub async fn vary_on_encoding(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(request).await?;
    let has_body = !matches!(
        response.response().body().size(),
        body::BodySize::None | body::BodySize::Sized(0)
    );
    if has_body || response.status() == StatusCode::NOT_MODIFIED {
        // One header line: CORS, outside, merges only the first `Vary` line it finds and drops the rest.
        let mut names: Vec<String> = response
            .headers()
            .get_all(header::VARY)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect();
        let mut seen = std::collections::HashSet::new();
        names.retain(|name| seen.insert(name.to_ascii_lowercase()));
        if !seen.contains("accept-encoding") {
            names.push(String::from("Accept-Encoding"));
        }
        if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
            response.headers_mut().insert(header::VARY, value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_keeps_its_content_version_in_front_of_the_digest() {
        let tag = validator(Some("\"p2-1700\""), b"{}");
        assert!(tag.starts_with("\"p2-1700-") && tag.ends_with('"'), "{tag}");
        assert_ne!(tag, validator(Some("\"p2-1700\""), b"{ }"));
        let weak = validator(None, b"[]");
        assert!(weak.starts_with("W/\""), "{weak}");
    }

    #[test]
    fn the_policy_writes_stale_while_revalidate_only_when_set() {
        let default = CachePolicy::default();
        assert_eq!(default.public_header(), "public, max-age=0");
        let cdn = CachePolicy {
            max_age: 60,
            stale_while_revalidate: 30,
        };
        assert_eq!(
            cdn.public_header(),
            "public, max-age=60, stale-while-revalidate=30"
        );
    }
}
