//! `/posts/{id}/revisions` (README "Revisions"): a post's history, one revision, and restoring one. Every
//! route needs a token.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::{Editor, FromQuery, IdParam, IfMatch, InPath, NoQuery, NumberParam, Query};
use super::list::list_response;
use super::posts::{cursor_param, post_response, CURSOR_DOC};
use super::problems::{
    BadRequest, Conflict, InvalidFields, NotFound, PreconditionFailed, Unauthorized, Unavailable,
};
use super::query::QueryParams;
use super::AppState;
use crate::domain::revision::{Revision, RevisionSummary};
use crate::domain::{Page, PageRequest, PostDetail};
use crate::error::ApiError;

/// `page` or `cursor`, and `per_page`, of the revision list.
pub struct RevisionListParams {
    page: PageRequest,
    cursor: Option<String>,
}

impl FromQuery for RevisionListParams {
    const ALLOWED: &'static [&'static str] = &["page", "per_page", "cursor"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(RevisionListParams {
            page: PageRequest::parse(params.get("page"), params.get("per_page"))?,
            cursor: cursor_param(params)?,
        })
    }
}

/// List a post's revisions
///
/// Needs a token. Newest first: each create and update of the post (through the API, an import or a
/// restore), with who made it and which fields it changed. The newest `POST_REVISIONS_KEEP` are kept.
#[utoipa::path(
    get,
    path = "/posts/{id}/revisions",
    tag = "revisions",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1),
        ("per_page" = Option<u32>, Query, description = "Revisions per page, 1 to 100 (default 20)", minimum = 1),
        ("cursor" = Option<String>, Query, description = CURSOR_DOC, max_length = 4096, pattern = "^[A-Za-z0-9_-]+$")),
    responses(
        (status = 200, description = "One page of revisions, newest first", body = Page<RevisionSummary>),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn list_revisions(
    request: HttpRequest,
    _: Editor,
    query: Query<RevisionListParams>,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .posts
        .revisions(id, query.value.page, query.value.cursor.as_deref())
        .await?;
    Ok(list_response(&request, &query.params, &page))
}

/// Read a revision
///
/// Needs a token. One revision with the post's editable fields as they were, in the shape a `PATCH` takes.
#[utoipa::path(
    get,
    path = "/posts/{id}/revisions/{number}",
    tag = "revisions",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
           ("number" = i64, Path, description = "Revision number", minimum = 1)),
    responses(
        (status = 200, description = "The revision", body = Revision),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn get_revision(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    InPath(number): InPath<NumberParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.posts.revision(id, number).await?))
}

/// Restore a revision
///
/// Needs a token. Brings back every editable field of the revision; honours `If-Match` like a `PATCH` (412
/// when stale). The restore is itself a new revision. Answers the post.
#[utoipa::path(
    post,
    path = "/posts/{id}/revisions/{number}/restore",
    tag = "revisions",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
           ("number" = i64, Path, description = "Revision number", minimum = 1),
           ("If-Match" = Option<String>, Header, description = "The ETag the restore is based on")),
    responses(
        (status = 200, description = "Restored", body = PostDetail, headers(("ETag" = String))),
        BadRequest, Unauthorized, NotFound, Conflict, PreconditionFailed, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn restore_revision(
    editor: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    InPath(number): InPath<NumberParam>,
    if_match: IfMatch,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let post = state
        .posts
        .restore(id, number, if_match.0, &editor.token_name)
        .await?;
    Ok(post_response(StatusCode::OK, &post))
}
