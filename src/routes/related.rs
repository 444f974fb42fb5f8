//! `GET /posts/{id}/related`: the published posts most like one post.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{FromQuery, IdParam, InPath, Query};
use super::posts::FIELDS_DOC;
use super::problems::{BadRequest, NotFound, Unavailable};
use super::query::QueryParams;
use super::AppState;
use crate::domain::fields::{FieldSet, Only, PostSummaryField, POST_SUMMARY_FIELDS};
use crate::domain::{PostSummary, RelatedLimit};
use crate::error::ApiError;

/// `GET /posts/{id}/related` parameters.
pub struct RelatedParams {
    limit: RelatedLimit,
    fields: FieldSet,
}

impl FromQuery for RelatedParams {
    const ALLOWED: &'static [&'static str] = &["limit", "fields"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(RelatedParams {
            limit: RelatedLimit::parse(params.get("limit"))?,
            fields: FieldSet::parse(params.get("fields"), POST_SUMMARY_FIELDS)?,
        })
    }
}

/// The posts related to one post, best first.
#[derive(Serialize, ToSchema)]
pub struct RelatedPosts<T = PostSummary> {
    pub data: Vec<T>,
}

/// List related posts
///
/// Published posts like this one, best first: most shared tags, then the same category, then newest. Never
/// the post itself, never a draft or a scheduled post.
#[utoipa::path(
    get,
    path = "/posts/{id}/related",
    tag = "posts",
    params(
        ("id" = i64, Path, description = "Post id (a published post)", minimum = 1, example = 1),
        ("limit" = Option<u32>, Query, description = "How many, 1 to 20 (default 5)", minimum = 1, maximum = 20, example = 5),
        ("fields" = Option<Vec<PostSummaryField>>, Query, style = Form, explode = false, min_items = 1, description = FIELDS_DOC),
    ),
    responses(
        (status = 200, description = "Related posts, best first (fewer when the blog has fewer)", body = RelatedPosts),
        BadRequest, NotFound, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn related_posts(
    InPath(id): InPath<IdParam>,
    query: Query<RelatedParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let RelatedParams { limit, fields } = query.value;
    let data = state.posts.related(id, limit, fields.has("clicks")).await?;
    Ok(if fields.is_all() {
        HttpResponse::Ok().json(RelatedPosts { data })
    } else {
        let data = data.iter().map(|post| fields.project(post)).collect();
        HttpResponse::Ok().json(RelatedPosts::<Only<'_, PostSummary>> { data })
    })
}
