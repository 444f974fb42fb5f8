//! Request bodies and the checks every write route makes before reading one.

use actix_web::http::header;
use actix_web::HttpRequest;

use super::auth::Caller;
use super::query::QueryParams;
use crate::domain::ResourceId;
use crate::error::ApiError;

/// Refuses anyone without a valid token.
pub fn require_editor(request: &HttpRequest) -> Result<(), ApiError> {
    match Caller::of(request) {
        Caller::Editor => Ok(()),
        Caller::Anonymous => Err(ApiError::Unauthorized(
            "this needs a token: send `Authorization: Bearer <token>`",
        )),
    }
}

/// The common start of an editor's write on `/{resource}/{id}`: a token, no query parameters, a valid id.
pub fn editor_write_on(request: &HttpRequest, id: &str) -> Result<ResourceId, ApiError> {
    require_editor(request)?;
    QueryParams::parse(request.query_string(), &[])?;
    Ok(ResourceId::parse("id", id)?)
}

/// The body, if the request says it is JSON (`application/json` or `application/*+json`).
pub fn json_body<'a>(request: &HttpRequest, body: &'a [u8]) -> Result<&'a [u8], ApiError> {
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
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(body)
    } else {
        Err(ApiError::BadBody(String::from(
            "the body must be JSON, sent as Content-Type: application/json",
        )))
    }
}

/// The `If-Match` header, if any.
pub fn if_match(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get(header::IF_MATCH)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
