//! `/posts`: the list, one post by id or slug.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::body::{editor_write_on, if_match, json_body, require_editor};
use crate::domain::etag::post_etag;
use crate::domain::post_input::PostChanges;

use super::auth::Caller;
use super::clicks::ViewSource;
use super::list::list_response;
use super::query::QueryParams;
use super::AppState;
use crate::domain::{
    PageRequest, PostFilter, PostKey, PostListQuery, PostSort, PostStatus, ResourceId, SearchQuery,
    Slug,
};
use crate::error::ApiError;
use crate::service;

const LIST_PARAMS: [&str; 7] = ["page", "per_page", "category", "tag", "q", "sort", "status"];

/// `GET /posts`: published posts, newest first unless `sort` says otherwise.
pub async fn list_posts(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string(), &LIST_PARAMS)?;
    let status = params.get("status").map(PostStatus::parse).transpose()?;
    if status.is_some() && Caller::of(&request) != Caller::Editor {
        return Err(ApiError::Unauthorized(
            "`status` needs a token: anonymous readers see published posts",
        ));
    }
    let query = PostListQuery {
        filter: PostFilter {
            status: status.unwrap_or_default(),
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

/// The 200 of a single post, with its content ETag.
fn post_response(
    status: actix_web::http::StatusCode,
    post: &crate::domain::PostDetail,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::ETAG,
            post_etag(post.summary.id, post.summary.updated_at),
        ))
        .json(post)
}

/// `POST /posts` (token): creates a post; 201 with `Location`.
pub async fn create_post(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_editor(&request)?;
    QueryParams::parse(request.query_string(), &[])?;
    let changes = PostChanges::for_create(json_body(&request, &body)?)?;
    let post = service::post_writes::create(&state.pool, changes).await?;
    let mut response = post_response(StatusCode::CREATED, &post);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/posts/{}", post.summary.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `PATCH /posts/{id}` (token): changes the fields sent; honours `If-Match` (412 when stale).
pub async fn update_post(
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = editor_write_on(&request, &id)?;
    let changes = PostChanges::for_update(json_body(&request, &body)?)?;
    let post =
        service::post_writes::update(&state.pool, &state.clicks, id, changes, if_match(&request))
            .await?;
    Ok(post_response(StatusCode::OK, &post))
}

/// `DELETE /posts/{id}` (token): deletes the post, its comments, tag links and counter; 204.
pub async fn delete_post(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = editor_write_on(&request, &id)?;
    service::post_writes::delete(&state.pool, id, if_match(&request)).await?;
    Ok(HttpResponse::NoContent().finish())
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
    let editor = Caller::of(&request) == Caller::Editor;
    let post = service::posts::get_post(&state.pool, &state.clicks, key, count, editor).await?;
    Ok(post_response(StatusCode::OK, &post))
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
    let editor = Caller::of(&request) == Caller::Editor;
    let post = service::posts::get_post(&state.pool, &state.clicks, key, count, editor).await?;
    Ok(post_response(StatusCode::OK, &post))
}
