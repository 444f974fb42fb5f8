//! `/authors` (README "Authors"): anyone reads them, editors write them.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::{Editor, FromQuery, InPath, JsonBody, NoQuery, Query, SlugParam};
use super::list::list_response;
use super::problems::{
    BadRequest, Conflict, InvalidFields, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
};
use super::query::QueryParams;
use super::AppState;
use crate::domain::author::{Author, AuthorChanges};
use crate::domain::{Page, PageRequest};
use crate::error::ApiError;

/// `page` and `per_page` of the author list.
pub struct AuthorPage(PageRequest);

impl FromQuery for AuthorPage {
    const ALLOWED: &'static [&'static str] = &["page", "per_page"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(AuthorPage(PageRequest::parse(
            params.get("page"),
            params.get("per_page"),
        )?))
    }
}

/// List authors
///
/// Authors by name, each with `post_count`, its published posts.
#[utoipa::path(
    get,
    path = "/authors",
    tag = "authors",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1),
        ("per_page" = Option<u32>, Query, description = "Authors per page, 1 to 100 (default 20)", minimum = 1),
    ),
    responses(
        (status = 200, description = "One page of authors; `Link` and `X-Total-Count` headers", body = Page<Author>),
        BadRequest, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn list_authors(
    request: HttpRequest,
    query: Query<AuthorPage>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let page = state.authors.list(query.value.0).await?;
    Ok(list_response(&request, &query.params, &page))
}

/// Get an author
///
/// One author by slug, with `post_count`.
#[utoipa::path(
    get,
    path = "/authors/{slug}",
    tag = "authors",
    params(("slug" = String, Path, description = "Author slug", example = "ann")),
    responses(
        (status = 200, description = "The author", body = Author),
        BadRequest, NotFound, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn get_author(
    _: NoQuery,
    InPath(slug): InPath<SlugParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.authors.get(&slug).await?))
}

/// Create an author
///
/// Needs a token. `name` is required; the slug is made from it when absent (409 when taken). 201 with
/// `Location`.
#[utoipa::path(
    post,
    path = "/authors",
    tag = "authors",
    request_body(content = AuthorChanges, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names it", body = Author, headers(("Location" = String))),
        BadRequest, Unauthorized, Conflict, PayloadTooLarge, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn create_author(
    _: Editor,
    _: NoQuery,
    body: JsonBody,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let changes = AuthorChanges::for_create(&body.0)?;
    let author = state.authors.create(changes).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/authors/{}", author.slug)))
        .json(author))
}

/// Update an author
///
/// Needs a token. Changes the fields sent; a new name shows on the posts the author is the primary author of.
#[utoipa::path(
    patch,
    path = "/authors/{slug}",
    tag = "authors",
    params(("slug" = String, Path, description = "Author slug")),
    request_body(content = AuthorChanges, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = Author),
        BadRequest, Unauthorized, NotFound, Conflict, PayloadTooLarge, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn update_author(
    _: Editor,
    _: NoQuery,
    InPath(slug): InPath<SlugParam>,
    body: JsonBody,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let changes = AuthorChanges::for_update(&body.0)?;
    Ok(HttpResponse::Ok().json(state.authors.update(&slug, changes).await?))
}

/// Delete an author
///
/// Needs a token. 204; 409 while a post names the author.
#[utoipa::path(
    delete,
    path = "/authors/{slug}",
    tag = "authors",
    params(("slug" = String, Path, description = "Author slug")),
    responses(
        (status = 204, description = "Deleted"),
        BadRequest, Unauthorized, NotFound, Conflict, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn delete_author(
    _: Editor,
    _: NoQuery,
    InPath(slug): InPath<SlugParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.authors.delete(&slug).await?;
    Ok(HttpResponse::NoContent().finish())
}
