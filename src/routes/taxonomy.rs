//! `/categories` and `/tags`: the blog's taxonomy with published post counts.

use actix_web::{web, HttpRequest, HttpResponse};

use super::list::list_response;
use super::query::QueryParams;
use super::AppState;
use crate::domain::PageRequest;
use crate::domain::{Page, TaxonomyItem};
use crate::error::{ApiError, Problem};
use crate::openapi::TermBody;
use crate::service;

/// `GET /categories`: categories by name, each with `post_count`.
#[utoipa::path(
    get,
    path = "/categories",
    tag = "taxonomy",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1, maximum = 1000000),
        ("per_page" = Option<u32>, Query, description = "Items per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "One page, by name, each with its published post count", body = Page<TaxonomyItem>, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"), ("X-Total-Count" = u64))),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
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
#[utoipa::path(
    get,
    path = "/tags",
    tag = "taxonomy",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1, maximum = 1000000),
        ("per_page" = Option<u32>, Query, description = "Items per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "One page, by name, each with its published post count", body = Page<TaxonomyItem>, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"), ("X-Total-Count" = u64))),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn list_tags(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["page", "per_page"])?;
    let page = PageRequest::parse(params.get("page"), params.get("per_page"))?;
    let tags = service::taxonomy::list_tags(&state.pool, page).await?;
    Ok(list_response(&request, &params, &tags))
}

use actix_web::http::{header, StatusCode};

use super::body::{editor_write_on, json_body, require_editor};
use crate::db::taxonomy_writes::Taxonomy;
use crate::domain::term_input::TermChanges;
use crate::domain::ResourceId;

async fn get_one(
    request: HttpRequest,
    taxonomy: Taxonomy,
    id: &str,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let item = service::taxonomy::get(&state.pool, taxonomy, ResourceId::parse("id", id)?).await?;
    Ok(HttpResponse::Ok().json(item))
}

async fn create(
    request: HttpRequest,
    taxonomy: Taxonomy,
    body: &[u8],
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    require_editor(&request)?;
    QueryParams::parse(request.query_string(), &[])?;
    let changes = TermChanges::for_create(json_body(&request, body)?)?;
    let item = service::taxonomy::create(&state.pool, taxonomy, changes).await?;
    let path = match taxonomy {
        Taxonomy::Categories => "categories",
        Taxonomy::Tags => "tags",
    };
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/{path}/{}", item.id)))
        .json(item))
}

async fn update(
    request: HttpRequest,
    taxonomy: Taxonomy,
    id: &str,
    body: &[u8],
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let id = editor_write_on(&request, id)?;
    let changes = TermChanges::for_update(json_body(&request, body)?)?;
    Ok(HttpResponse::Ok()
        .json(service::taxonomy::update(&state.pool, taxonomy, id, changes).await?))
}

async fn delete(
    request: HttpRequest,
    taxonomy: Taxonomy,
    id: &str,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let id = editor_write_on(&request, id)?;
    service::taxonomy::delete(&state.pool, taxonomy, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /categories/{id}`: one category with `post_count`.
#[utoipa::path(
    get,
    path = "/categories/{id}",
    tag = "taxonomy",
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, description = "With its published post count", body = TaxonomyItem),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn get_category(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    get_one(request, Taxonomy::Categories, &id, &state).await
}

/// `POST /categories` (token): `{"name", "slug"?}`; 201 with `Location`; 409 when the slug is taken.
#[utoipa::path(
    post,
    path = "/categories",
    tag = "taxonomy",
    request_body(content = TermBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names it", body = TaxonomyItem, headers(("Location" = String))),
        (status = 400, description = "Not a JSON object, or not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_category(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    create(request, Taxonomy::Categories, &body, &state).await
}

/// `PATCH /categories/{id}` (token): renames or re-slugs it.
#[utoipa::path(
    patch,
    path = "/categories/{id}",
    tag = "taxonomy",
    params(("id" = i64, Path, minimum = 1)),
    request_body(content = TermBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = TaxonomyItem),
        (status = 400, description = "Not a JSON object, or not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_category(
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    update(request, Taxonomy::Categories, &id, &body, &state).await
}

/// `DELETE /categories/{id}` (token): its posts stay, with no category; 204.
#[utoipa::path(
    delete,
    path = "/categories/{id}",
    tag = "taxonomy",
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such category", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_category(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    delete(request, Taxonomy::Categories, &id, &state).await
}

/// `GET /tags/{id}`: one tag with `post_count`.
#[utoipa::path(
    get,
    path = "/tags/{id}",
    tag = "taxonomy",
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 200, description = "With its published post count", body = TaxonomyItem),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn get_tag(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    get_one(request, Taxonomy::Tags, &id, &state).await
}

/// `POST /tags` (token): `{"name", "slug"?}`; 201 with `Location`; 409 when the slug is taken.
#[utoipa::path(
    post,
    path = "/tags",
    tag = "taxonomy",
    request_body(content = TermBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names it", body = TaxonomyItem, headers(("Location" = String))),
        (status = 400, description = "Not a JSON object, or not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_tag(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    create(request, Taxonomy::Tags, &body, &state).await
}

/// `PATCH /tags/{id}` (token): renames or re-slugs it.
#[utoipa::path(
    patch,
    path = "/tags/{id}",
    tag = "taxonomy",
    params(("id" = i64, Path, minimum = 1)),
    request_body(content = TermBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = TaxonomyItem),
        (status = 400, description = "Not a JSON object, or not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over MAX_BODY_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_tag(
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    update(request, Taxonomy::Tags, &id, &body, &state).await
}

/// `DELETE /tags/{id}` (token): removes it from its posts; 204.
#[utoipa::path(
    delete,
    path = "/tags/{id}",
    tag = "taxonomy",
    params(("id" = i64, Path, minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_tag(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    delete(request, Taxonomy::Tags, &id, &state).await
}
