//! Comments: `GET` and `POST /posts/{id}/comments`, `PATCH` and `DELETE /comments/{id}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::body::{editor_write_on, json_body};
use super::list::list_response;
use super::query::QueryParams;
use super::rate_limit::Action;
use super::AppState;
use crate::domain::comment_input::{status, Moderation, NewComment, STATUSES};
use crate::domain::{CommentView, Page};
use crate::domain::{InvalidValue, PageRequest, ResourceId};
use crate::error::{ApiError, Problem};
use crate::openapi::{CommentCreate, Moderation as ModerationBody};
use crate::service;

/// `GET /posts/{id}/comments`: approved comments, oldest first, paged like posts. Editors may add
/// `status=pending|approved|rejected|all` to see the moderation queue (each comment then shows its status).
#[utoipa::path(
    get,
    path = "/posts/{id}/comments",
    tag = "comments",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1, maximum = 1000000),
        ("per_page" = Option<u32>, Query, description = "Items per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
        ("status" = Option<String>, Query, description = "Editors only: `pending`, `approved`, `rejected` or `all`", pattern = "^(pending|approved|rejected|all)$"),
    ),
    responses(
        (status = 200, description = "One page of comments, oldest first", body = Page<CommentView>, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"), ("X-Total-Count" = u64))),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token, or `status` without one", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post, or not published", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn list_comments(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["page", "per_page", "status"])?;
    let post_id = ResourceId::parse("id", &id)?;
    let page = PageRequest::parse(params.get("page"), params.get("per_page"))?;
    let editor = Caller::of(&request) == Caller::Editor;
    let statuses = match params.get("status") {
        None => vec!["approved"],
        Some(_) if !editor => {
            return Err(ApiError::Unauthorized(
                "`status` needs a token: readers see approved comments",
            ));
        }
        Some("all") => STATUSES.to_vec(),
        Some(raw) if status(raw).is_some() => status(raw).into_iter().collect(),
        Some(_) => {
            return Err(InvalidValue::new(
                "status",
                "must be one of pending, approved, rejected, all",
            )
            .into());
        }
    };
    let comments = service::comments::list(&state.pool, post_id, statuses, editor, page).await?;
    Ok(list_response(&request, &params, &comments))
}

/// `POST /posts/{id}/comments`: anyone may comment on a published post; the comment waits for moderation
/// (`status: pending`). Limited per client IP (429 with `Retry-After`).
#[utoipa::path(
    post,
    path = "/posts/{id}/comments",
    tag = "comments",
    params(("id" = i64, Path, description = "Post id", minimum = 1)),
    request_body(content = CommentCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored, pending moderation", body = CommentView),
        (status = 400, description = "Not a JSON object, or not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post, or not published", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many comments from this client; see Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds"))),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn create_comment(
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let post_id = ResourceId::parse("id", &id)?;
    let comment = NewComment::parse(json_body(&request, &body)?)?;
    if Caller::of(&request) != Caller::Editor {
        state.limits.check(&request, Action::Comment)?;
    }
    let created = service::comments::create(&state.pool, post_id, comment).await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(created))
}

/// `PATCH /comments/{id}` (token): `{"status": "approved"|"rejected"|"pending"}`.
#[utoipa::path(
    patch,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = i64, Path, description = "Comment id", minimum = 1)),
    request_body(content = ModerationBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The comment with its new status", body = CommentView),
        (status = 400, description = "Not a JSON object, or not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such comment", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn moderate_comment(
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = editor_write_on(&request, &id)?;
    let moderation = Moderation::parse(json_body(&request, &body)?)?;
    Ok(HttpResponse::Ok().json(service::comments::moderate(&state.pool, id, moderation).await?))
}

/// `DELETE /comments/{id}` (token): 204.
#[utoipa::path(
    delete,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = i64, Path, description = "Comment id", minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such comment", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_comment(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = editor_write_on(&request, &id)?;
    service::comments::delete(&state.pool, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
