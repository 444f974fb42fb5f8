//! `/posts/{id}/comments`: a published post's approved comments.

use actix_web::{web, HttpRequest, HttpResponse};

use super::list::list_response;
use super::query::QueryParams;
use super::AppState;
use crate::domain::{PageRequest, ResourceId};
use crate::error::ApiError;
use crate::service;

/// `GET /posts/{id}/comments`: approved comments, oldest first, paged like posts.
pub async fn list_comments(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["page", "per_page"])?;
    let post_id = ResourceId::parse("id", &id)?;
    let page = PageRequest::parse(params.get("page"), params.get("per_page"))?;
    let comments = service::posts::list_comments(&state.pool, post_id, page).await?;
    Ok(list_response(&request, &params, &comments))
}
