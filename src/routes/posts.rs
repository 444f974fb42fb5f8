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
use crate::domain::{Page, PostDetail, PostSummary};
use crate::domain::{
    PageRequest, PostFilter, PostKey, PostListQuery, PostSort, PostStatus, ResourceId, SearchQuery,
    Slug,
};
use crate::error::{ApiError, Problem};
use crate::openapi::{PostCreate, PostPatch};
use crate::service;

const LIST_PARAMS: [&str; 7] = ["page", "per_page", "category", "tag", "q", "sort", "status"];

/// `GET /posts`: published posts, newest first unless `sort` says otherwise.
#[utoipa::path(
    get,
    path = "/posts",
    tag = "posts",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1, maximum = 1000000, example = 1),
        ("per_page" = Option<u32>, Query, description = "Posts per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
        ("category" = Option<String>, Query, description = "Only posts in the category with this slug", pattern = "^[a-z0-9-]{1,200}$", example = "databases"),
        ("tag" = Option<String>, Query, description = "Only posts with the tag with this slug", pattern = "^[a-z0-9-]{1,200}$", example = "redis"),
        ("q" = Option<String>, Query, description = "Full-text search on title and body", example = "redis latency"),
        ("sort" = Option<String>, Query, description = "`-published_at` (default), `published_at`, `-clicks` or `title`", pattern = "^(-published_at|published_at|-clicks|title)$"),
        ("status" = Option<String>, Query, description = "Editors only: `published` (default), `scheduled`, `draft` or `all`", pattern = "^(published|scheduled|draft|all)$"),
    ),
    responses(
        (status = 200, description = "One page of posts; `Link` and `X-Total-Count` headers", body = Page<PostSummary>,
         headers(("Link" = String, description = "RFC 8288 first/prev/next/last"), ("X-Total-Count" = u64, description = "All matching posts"))),
        (status = 400, description = "A bad, repeated or unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token, or `status` without one", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
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
#[utoipa::path(
    post,
    path = "/posts",
    tag = "posts",
    request_body(content = PostCreate, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names it", body = PostDetail,
         headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Not a JSON object, or not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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
#[utoipa::path(
    patch,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
           ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = PostPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = PostDetail, headers(("ETag" = String))),
        (status = 400, description = "Not a JSON object, or not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The post changed since the If-Match version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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
#[utoipa::path(
    delete,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
           ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on")),
    responses(
        (status = 204, description = "Deleted, with its comments, tag links and counter"),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The post changed since the If-Match version", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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
#[utoipa::path(
    get,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "Post id", minimum = 1, example = 1)),
    responses(
        (status = 200, description = "The post; `ETag` names its content version", body = PostDetail,
         headers(("ETag" = String, description = "Content version, for If-Match"))),
        (status = 400, description = "A malformed id or slug, or a query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post, or not published", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
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
#[utoipa::path(
    get,
    path = "/posts/slug/{slug}",
    tag = "posts",
    params(("slug" = String, Path, description = "Post slug", pattern = "^[a-z0-9-]{1,200}$", example = "sessions-background-jobs-1")),
    responses(
        (status = 200, description = "The post; `ETag` names its content version", body = PostDetail,
         headers(("ETag" = String, description = "Content version, for If-Match"))),
        (status = 400, description = "A malformed id or slug, or a query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post, or not published", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
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
