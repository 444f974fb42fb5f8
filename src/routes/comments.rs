//! Comments: `GET` and `POST /posts/{id}/comments`, `PATCH` and `DELETE /comments/{id}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::body::{editor_write_on, json_body};
use super::list::list_response;
use super::query::QueryParams;
use super::rate_limit::Action;
use super::AppState;
use crate::domain::comment_input::{Moderation, NewComment};
use crate::domain::{InvalidValue, PageRequest, ResourceId};
use crate::error::ApiError;
use crate::service;

/// `GET /posts/{id}/comments`: approved comments, oldest first, paged like posts. Editors may add
/// `status=pending|approved|rejected|all` to see the moderation queue (each comment then shows its status).
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
        Some("all") => vec!["pending", "approved", "rejected"],
        Some(status @ ("pending" | "approved" | "rejected")) => {
            vec![["pending", "approved", "rejected"]
                .into_iter()
                .find(|s| *s == status)
                .unwrap_or("approved")]
        }
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
pub async fn delete_comment(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = editor_write_on(&request, &id)?;
    service::comments::delete(&state.pool, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
