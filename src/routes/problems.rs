//! The error responses of the OpenAPI document, one type per status, each written once: a route lists the
//! ones it can answer (`responses((status = 200, ..), BadRequest, NotFound, Unavailable)`), and every one is
//! an RFC 9457 `application/problem+json` [`Problem`](crate::error::Problem).

use std::collections::BTreeMap;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::IntoResponses;

use crate::error::PROBLEM_JSON;

fn problem(status: u16, description: &str) -> BTreeMap<String, RefOr<Response>> {
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build();
    BTreeMap::from([(status.to_string(), RefOr::T(response))])
}

/// Declares a problem response type for one status.
macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident = $status:literal, $description:literal;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problem($status, $description)
            }
        }
    )*};
}

problem_responses! {
    /// 400 on any route that reads a path, query or body.
    BadRequest = 400, "A malformed id, slug or parameter, an unknown or repeated parameter, or a body that is not a JSON object sent as `application/json`";
    /// 401 on every route: a token that is not valid is refused even where none is needed.
    Unauthorized = 401, "A missing token where one is needed, or a malformed, unknown or revoked token";
    /// 404 on routes that name a resource.
    NotFound = 404, "No such resource, or one the caller may not see (a post that is not published)";
    /// 409 on writes that set a slug.
    Conflict = 409, "The slug is taken";
    /// 412 on writes that honour `If-Match`.
    PreconditionFailed = 412, "The resource changed since the version named in If-Match";
    /// 413 on routes that read a body.
    PayloadTooLarge = 413, "The body is larger than MAX_BODY_BYTES";
    /// 422 on routes that read a body.
    InvalidFields = 422, "Invalid fields, each listed in `errors`";
    /// 503 on every route that needs the database.
    Unavailable = 503, "The database is unavailable";
}

/// 429 on routes limited per client (comments, the click beacon), with the seconds to wait in `Retry-After`.
pub struct TooManyRequests;

impl IntoResponses for TooManyRequests {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let retry_after = HeaderBuilder::new()
            .schema(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .minimum(Some(0)),
            )
            .description(Some("Seconds to wait before trying again"))
            .build();
        let response = ResponseBuilder::new()
            .description(
                "Too many requests of this kind from this client; `Retry-After` says when to retry",
            )
            .content(
                PROBLEM_JSON,
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .header("Retry-After", retry_after)
            .build();
        BTreeMap::from([(String::from("429"), RefOr::T(response))])
    }
}
