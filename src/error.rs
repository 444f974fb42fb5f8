//! The one error type of the service and its one mapping to HTTP: status + RFC 9457 `application/problem+json`.

use std::collections::BTreeMap;
use std::error::Error as StdError;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::{DbError, WriteError};
use crate::domain::InvalidValue;
pub use crate::telemetry::error_chain;

/// Every way a request can fail. Variants say what went wrong in the service's terms; the HTTP status and
/// body are decided in one place below. A 5xx body never carries the cause; the log does.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query or path parameter is malformed, out of range, repeated or unknown.
    #[error("invalid parameter `{}`: {}", .0.name, .0.message)]
    InvalidParameter(InvalidValue),
    /// The body is not what the route reads: malformed JSON, not an object, or not `application/json`.
    #[error("bad request body: {0}")]
    BadBody(String),
    /// One or more fields of a well-formed body are invalid: every bad field, with its messages.
    #[error("invalid fields: {0:?}")]
    Validation(BTreeMap<String, Vec<String>>),
    /// The write would break a uniqueness rule (a slug in use).
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` named a version that is no longer current.
    #[error("the resource changed since the version named in If-Match")]
    PreconditionFailed,
    /// Too many anonymous writes from one client; it may retry after this many seconds.
    #[error("rate limited; retry in {0} s")]
    RateLimited(u64),
    /// No token, a malformed `Authorization` header, or a token that is unknown or revoked.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// The named resource does not exist, or the caller may not see it (an unpublished post).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// No database connection could be had, or the connection broke.
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// A statement failed for a reason that is the server's fault.
    #[error("a database call failed")]
    Database(#[source] DbError),
    /// Anything else that is not the client's fault.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
    /// A body of a type this route does not take (an upload that is not an image it accepts).
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// A body larger than the route takes; the message names the limit.
    #[error("payload too large: {0}")]
    TooLarge(String),
    /// A range of a file that holds this many bytes names none of them.
    #[error("range not satisfiable")]
    RangeNotSatisfiable(u64),
    /// Too much work of this kind under way (what, as a sentence's subject); retry after this many seconds.
    #[error("busy ({0}); retry in {1} s")]
    Busy(&'static str, u64),
    /// The media store could not be reached or refused a file.
    #[error("the media store is unavailable")]
    StoreUnavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// A sync token that cannot be continued (why): the client starts again without one.
    #[error("sync token refused: {0}")]
    SyncRestart(&'static str),
}

impl From<InvalidValue> for ApiError {
    fn from(invalid: InvalidValue) -> Self {
        ApiError::InvalidParameter(invalid)
    }
}

impl From<crate::domain::post_input::InputError> for ApiError {
    fn from(error: crate::domain::post_input::InputError) -> Self {
        use crate::domain::post_input::InputError;
        match error {
            InputError::Malformed(malformed) => ApiError::BadBody(malformed.0),
            InputError::Invalid(errors) => ApiError::Validation(errors),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::UnknownReferences(unknown) => {
                let mut errors = BTreeMap::new();
                crate::domain::post_rules::add_unknown_references(&mut errors, unknown);
                ApiError::Validation(errors)
            }
            WriteError::SlugTaken(taken) => ApiError::Conflict(taken.to_string()),
            WriteError::NotFound(what) => ApiError::NotFound(what),
            WriteError::InUse(message) => ApiError::Conflict(message),
            WriteError::Stale => ApiError::PreconditionFailed,
            WriteError::Database(error) => error.into(),
        }
    }
}

/// The one place a storage failure becomes an HTTP answer: a missing row is a 404, a lost race on a unique
/// column a 409, an unreachable database a 503, anything else a 500 whose cause goes to the log only.
impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        if error.is_unavailable() {
            return ApiError::DatabaseUnavailable(Box::new(error));
        }
        match error {
            DbError::Query(Error::NotFound) => ApiError::NotFound("resource"),
            // A race lost to another writer on a unique column (two creates with one slug).
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                ApiError::Conflict(String::from("a value that must be unique is already taken"))
            }
            other => ApiError::Database(other),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        DbError::from(error).into()
    }
}

/// An RFC 9457 problem document: every error this API answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"type": "urn:blog-api:problem:invalid-parameter", "title": "Bad Request", "status": 400,
    "detail": "`per_page`: must be an integer from 1 to 100, got `0`",
    "errors": {"per_page": ["must be an integer from 1 to 100, got `0`"]}}))]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:blog-api:problem:<kind>`), stable for clients to match on.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For invalid input: each offending field or parameter with its messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The most fields a 422 lists (in name order); the detail says how many more there were, so a body of
/// 100,000 bad keys costs a small answer.
pub const MAX_FIELD_ERRORS: usize = 20;

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("urn:blog-api:problem:{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
        }
    }

    pub fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_else(|_| String::from("{}"));
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
            .body(body)
    }
}

impl ApiError {
    fn problem(&self) -> Problem {
        let status = self.status_code();
        match self {
            ApiError::InvalidParameter(invalid) => {
                let mut problem = Problem::new(
                    status,
                    "invalid-parameter",
                    format!("`{}`: {}", invalid.name, invalid.message),
                );
                problem.errors = Some(BTreeMap::from([(
                    invalid.name.clone(),
                    vec![invalid.message.clone()],
                )]));
                problem
            }
            ApiError::NotFound(what) => {
                Problem::new(status, "not-found", format!("{what} not found"))
            }
            ApiError::Unauthorized(why) => Problem::new(status, "unauthorized", *why),
            ApiError::BadBody(why) => Problem::new(status, "bad-body", why.clone()),
            ApiError::Validation(errors) => {
                let shown: BTreeMap<String, Vec<String>> = errors
                    .iter()
                    .take(MAX_FIELD_ERRORS)
                    .map(|(field, messages)| (field.clone(), messages.clone()))
                    .collect();
                let fields: Vec<&str> = shown.keys().map(String::as_str).collect();
                let more = errors.len() - shown.len();
                let detail = if more == 0 {
                    format!("invalid fields: {}", fields.join(", "))
                } else {
                    format!(
                        "invalid fields: {}, and {more} more not listed",
                        fields.join(", ")
                    )
                };
                let mut problem = Problem::new(status, "invalid-fields", detail);
                problem.errors = Some(shown);
                problem
            }
            ApiError::Conflict(why) => Problem::new(status, "conflict", why.clone()),
            ApiError::PreconditionFailed => Problem::new(
                status,
                "precondition-failed",
                "the resource changed since the version in If-Match; read it again and retry",
            ),
            ApiError::RateLimited(seconds) => Problem::new(
                status,
                "rate-limited",
                format!("too many requests from this client; retry in {seconds} s"),
            ),
            ApiError::DatabaseUnavailable(_) => Problem::new(
                status,
                "unavailable",
                "the service is temporarily unavailable; retry shortly",
            ),
            ApiError::Database(_) | ApiError::Internal(_) => {
                Problem::new(status, "internal", "an internal error occurred")
            }
            ApiError::UnsupportedMediaType(why) => {
                Problem::new(status, "unsupported-media-type", why.clone())
            }
            ApiError::TooLarge(why) => Problem::new(status, "payload-too-large", why.clone()),
            ApiError::RangeNotSatisfiable(size) => Problem::new(
                status,
                "range-not-satisfiable",
                format!("the range names no byte of this file of {size} bytes"),
            ),
            ApiError::Busy(what, seconds) => {
                Problem::new(status, "busy", format!("{what}; retry in {seconds} s"))
            }
            ApiError::StoreUnavailable(_) => Problem::new(
                status,
                "unavailable",
                "the media store is temporarily unavailable; retry shortly",
            ),
            ApiError::SyncRestart(why) => Problem::new(
                status,
                "sync-restart",
                format!("{why}: sync again from the start (`GET /sync` without `since`) and replace what you hold"),
            ),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidParameter(_) | ApiError::BadBody(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::DatabaseUnavailable(_)
            | ApiError::Busy(..)
            | ApiError::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Database(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::SyncRestart(_) => StatusCode::GONE,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if self.status_code().is_server_error() {
            tracing::error!(error = %error_chain(self), "request failed");
        }
        let mut response = self.problem().into_response();
        match self {
            ApiError::Unauthorized(_) => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"blog-api\", error=\"invalid_token\""),
                );
            }
            ApiError::RateLimited(seconds) | ApiError::Busy(_, seconds) => {
                if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            ApiError::RangeNotSatisfiable(size) => {
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// Turns any error response that is not already problem+json (actix's own 404 for unknown routes, 405 for
/// a wrong method, extractor errors) into one, so clients meet a single error format.
pub fn problem_for_bare_errors<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = response
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value == HeaderValue::from_static(PROBLEM_JSON));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let (kind, detail) = match status {
        StatusCode::NOT_FOUND => ("not-found", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "this method is not allowed on this resource",
        ),
        _ if status.is_server_error() => ("internal", "an internal error occurred"),
        _ => ("bad-request", "the request could not be processed"),
    };
    let (request, original) = response.into_parts();
    let mut replaced = Problem::new(status, kind, detail).into_response();
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replaced).map_into_right_body(),
    ))
}
