//! Comments: `GET` and `POST /posts/{id}/comments`, `PATCH` and `DELETE /comments/{id}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::{CommentBody, Editor, FromQuery, IdParam, InPath, JsonBody, NoQuery, Query};
use super::list::sparse_list_response;
use super::posts::{cursor_param, CURSOR_DOC};
use super::problems::{
    BadRequest, InvalidFields, NotFound, PayloadTooLarge, TooManyRequests, Unauthorized,
    Unavailable,
};
use super::query::QueryParams;
use super::AppState;
use crate::domain::comment_input::{status_filter, Moderation, NewComment, BODY_BYTES_MAX};
use crate::domain::fields::{CommentField, FieldSet, COMMENT_FIELDS};
use crate::domain::{CommentView, Page, PageRequest, Viewer};
use crate::error::ApiError;

/// `GET /posts/{id}/comments` parameters; `status` is for editors (checked by the handler).
pub struct CommentListParams {
    page: PageRequest,
    status: Option<String>,
    fields: FieldSet,
    cursor: Option<String>,
}

impl FromQuery for CommentListParams {
    const ALLOWED: &'static [&'static str] = &["page", "per_page", "status", "fields", "cursor"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(CommentListParams {
            page: PageRequest::parse(params.get("page"), params.get("per_page"))?,
            status: params.get("status").map(str::to_owned),
            fields: FieldSet::parse(params.get("fields"), COMMENT_FIELDS)?,
            cursor: cursor_param(params)?,
        })
    }
}

/// List a post's comments
///
/// Approved comments, oldest first, paged like posts. Editors may add `status=pending|approved|rejected|all`
/// to see the moderation queue (each comment then shows its status).
#[utoipa::path(
    get,
    path = "/posts/{id}/comments",
    tag = "comments",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1),
        ("per_page" = Option<u32>, Query, description = "Items per page, 1 to 100 (default 20)", minimum = 1),
        ("status" = Option<String>, Query, description = "Editors only: `pending`, `approved`, `rejected` or `all`", pattern = "^(pending|approved|rejected|all)$"),
        ("fields" = Option<Vec<CommentField>>, Query, style = Form, explode = false, min_items = 1, description = "Only these fields of each comment (comma-separated; `id` is always included)"),
        ("cursor" = Option<String>, Query, description = CURSOR_DOC, max_length = 4096, pattern = "^[A-Za-z0-9_-]+$"),
    ),
    responses(
        (status = 200, description = "One page of comments, oldest first", body = Page<CommentView>, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"), ("X-Total-Count" = u64))),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn list_comments(
    request: HttpRequest,
    viewer: Viewer,
    query: Query<CommentListParams>,
    InPath(post_id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let statuses = match (query.value.status.as_deref(), viewer) {
        (None, _) => vec!["approved"],
        (Some(_), Viewer::Anonymous) => {
            return Err(ApiError::Unauthorized(
                "`status` needs a token: readers see approved comments",
            ));
        }
        (Some(raw), Viewer::Editor) => status_filter(raw)?,
    };
    let comments = state
        .comments
        .list(
            post_id,
            statuses,
            viewer,
            query.value.page,
            query.value.cursor.as_deref(),
        )
        .await?;
    Ok(sparse_list_response(
        &request,
        &query.params,
        &comments,
        query.value.fields,
    ))
}

/// Comment on a post
///
/// Anyone may comment on a published post; the comment waits for moderation (`status: pending`). Limited per
/// client IP (429 with `Retry-After`).
#[utoipa::path(
    post,
    path = "/posts/{id}/comments",
    tag = "comments",
    params(("id" = i64, Path, description = "Post id", minimum = 1)),
    request_body(content = NewComment, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored, pending moderation", body = CommentView),
        BadRequest, Unauthorized, NotFound, PayloadTooLarge, InvalidFields,
        TooManyRequests,
        Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn create_comment(
    _: NoQuery,
    InPath(post_id): InPath<IdParam>,
    body: CommentBody<BODY_BYTES_MAX>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let comment = NewComment::parse(&body.0)?;
    let created = state.comments.create(post_id, comment).await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(created))
}

/// Moderate a comment
///
/// Needs a token. `{"status": "approved"|"rejected"|"pending"}`.
#[utoipa::path(
    patch,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = i64, Path, description = "Comment id", minimum = 1)),
    request_body(content = Moderation, content_type = "application/json"),
    responses(
        (status = 200, description = "The comment with its new status", body = CommentView),
        BadRequest, Unauthorized, NotFound, PayloadTooLarge, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn moderate_comment(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    body: JsonBody,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let moderation = Moderation::parse(&body.0)?;
    Ok(HttpResponse::Ok().json(state.comments.moderate(id, moderation).await?))
}

/// Delete a comment
///
/// Needs a token. 204.
#[utoipa::path(
    delete,
    path = "/comments/{id}",
    tag = "comments",
    params(("id" = i64, Path, description = "Comment id", minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn delete_comment(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.comments.delete(id).await?;
    Ok(HttpResponse::NoContent().finish())
}
