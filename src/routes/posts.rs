//! `/posts`: the list, one post by id or slug.

use actix_web::{web, HttpRequest, HttpResponse};

use super::clicks::ViewSource;
use super::list::list_response;
use super::query::QueryParams;
use super::AppState;
use crate::domain::{
    PageRequest, PostFilter, PostKey, PostListQuery, PostSort, ResourceId, SearchQuery, Slug,
};
use crate::error::ApiError;
use crate::service;

const LIST_PARAMS: [&str; 6] = ["page", "per_page", "category", "tag", "q", "sort"];

/// `GET /posts`: published posts, newest first unless `sort` says otherwise.
pub async fn list_posts(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string(), &LIST_PARAMS)?;
    let query = PostListQuery {
        filter: PostFilter {
            category: params
                .get("category")
                .map(|raw| Slug::parse("category", raw))
                .transpose()?,
            tag: params
                .get("tag")
                .map(|raw| Slug::parse("tag", raw))
                .transpose()?,
            search: params.get("q").map(SearchQuery::parse).transpose()?,
        },
        sort: params
            .get("sort")
            .map(PostSort::parse)
            .transpose()?
            .unwrap_or_default(),
        page: PageRequest::parse(params.get("page"), params.get("per_page"))?,
    };
    let page = service::posts::list_posts(&state.pool, &state.clicks, query).await?;
    Ok(list_response(&request, &params, &page))
}

/// `GET /posts/{id}`: one published post with its body; counts a click (see [`super::ViewPolicy`]).
pub async fn get_post(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let key = PostKey::Id(ResourceId::parse("id", &id)?);
    let count = state.views.counts(&request, ViewSource::Read);
    let post = service::posts::get_post(&state.pool, &state.clicks, key, count).await?;
    Ok(HttpResponse::Ok().json(post))
}

/// `GET /posts/slug/{slug}`: the same, by slug.
pub async fn get_post_by_slug(
    request: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let key = PostKey::Slug(Slug::parse("slug", &slug)?);
    let count = state.views.counts(&request, ViewSource::Read);
    let post = service::posts::get_post(&state.pool, &state.clicks, key, count).await?;
    Ok(HttpResponse::Ok().json(post))
}
