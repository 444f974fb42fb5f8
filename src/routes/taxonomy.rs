//! `/categories` and `/tags`: the blog's taxonomy with published post counts.

use actix_web::{web, HttpRequest, HttpResponse};

use super::list::list_response;
use super::query::QueryParams;
use super::AppState;
use crate::domain::PageRequest;
use crate::error::ApiError;
use crate::service;

/// `GET /categories`: categories by name, each with `post_count`.
pub async fn list_categories(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["page", "per_page"])?;
    let page = PageRequest::parse(params.get("page"), params.get("per_page"))?;
    let categories = service::taxonomy::list_categories(&state.pool, page).await?;
    Ok(list_response(&request, &params, &categories))
}

/// `GET /tags`: tags by name, each with `post_count`.
pub async fn list_tags(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["page", "per_page"])?;
    let page = PageRequest::parse(params.get("page"), params.get("per_page"))?;
    let tags = service::taxonomy::list_tags(&state.pool, page).await?;
    Ok(list_response(&request, &params, &tags))
}
