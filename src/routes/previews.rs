//! Preview links (README "Preview links"): `/posts/{id}/preview-links` for editors, and `/preview/{token}`,
//! which shows the post to whoever holds the secret.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Editor, IdParam, InPath, LinkIdParam, MaybeJsonBody, NoQuery, PreviewToken};
use super::problems::{
    BadRequest, InvalidFields, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
};
use super::AppState;
use crate::domain::preview::{CreatedPreviewLink, PreviewLink, PreviewLinkRequest};
use crate::domain::PostDetail;
use crate::error::ApiError;

/// The largest preview-link body read (413 past it).
const BODY_MAX: usize = 1024;

/// A post's preview links.
#[derive(Serialize, ToSchema)]
pub struct PreviewLinkList {
    /// Newest first, without secrets; expired ones too, marked.
    pub data: Vec<PreviewLink>,
}

/// Make a preview link
///
/// Needs a token. A secret link that shows this post as it is now (draft, scheduled or published) to anyone
/// who holds it, until `expires_at` (default and longest: `PREVIEW_LINK_TTL`, 7 days). The body is optional.
/// 201 with the secret `token`, shown only here.
#[utoipa::path(
    post,
    path = "/posts/{id}/preview-links",
    tag = "previews",
    params(("id" = i64, Path, description = "Post id (any status)", minimum = 1)),
    request_body(content = Option<PreviewLinkRequest>, content_type = "application/json"),
    responses(
        (status = 201, description = "Made; `token` and `url` are shown this once", body = CreatedPreviewLink),
        BadRequest, Unauthorized, NotFound, PayloadTooLarge, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn create_preview_link(
    request: HttpRequest,
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    body: MaybeJsonBody<BODY_MAX>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asked = match &body.0 {
        Some(bytes) => PreviewLinkRequest::parse(bytes)?,
        None => PreviewLinkRequest::default(),
    };
    let base = {
        let info = request.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let link = state.previews.create(id, &asked, &base).await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(link))
}

/// List a post's preview links
///
/// Needs a token. The post's preview links, newest first, without their secrets.
#[utoipa::path(
    get,
    path = "/posts/{id}/preview-links",
    tag = "previews",
    params(("id" = i64, Path, description = "Post id", minimum = 1)),
    responses(
        (status = 200, description = "Every link of the post", body = PreviewLinkList),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn list_preview_links(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let data = state.previews.list(id).await?;
    Ok(HttpResponse::Ok().json(PreviewLinkList { data }))
}

/// Revoke a preview link
///
/// Needs a token. The link answers 404 from now on; 204.
#[utoipa::path(
    delete,
    path = "/posts/{id}/preview-links/{link_id}",
    tag = "previews",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
           ("link_id" = i64, Path, description = "Preview link id", minimum = 1)),
    responses(
        (status = 204, description = "Revoked"),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn delete_preview_link(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    InPath(link): InPath<LinkIdParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.previews.revoke(id, link).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read a post through a preview link
///
/// The post the link shows, as it is now (draft, scheduled or published), with
/// `Cache-Control: private, no-store` and `X-Robots-Tag: noindex`. Never counts a view. An unknown, expired or
/// revoked link is the same 404.
#[utoipa::path(
    get,
    path = "/preview/{token}",
    tag = "previews",
    params(("token" = String, Path, description = "The link's secret (`prv_`...)")),
    responses(
        (status = 200, description = "The post as it is now", body = PostDetail,
         headers(("Cache-Control" = String, description = "`private, no-store`"),
                 ("X-Robots-Tag" = String, description = "`noindex`"))),
        BadRequest, NotFound, Unavailable,
    )
)]
pub async fn read_preview(
    _: NoQuery,
    InPath(secret): InPath<PreviewToken>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let post = state.previews.read(&secret).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("x-robots-tag", "noindex"))
        .json(post))
}
