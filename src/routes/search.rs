//! `GET /search/suggest`: completions for a search box, as the reader types.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{FromQuery, Query};
use super::problems::{BadRequest, Unavailable};
use super::query::QueryParams;
use super::AppState;
use crate::domain::search::index::Suggestion;
use crate::domain::search::SuggestLimit;
use crate::domain::{InvalidValue, SearchQuery};
use crate::error::ApiError;

/// `GET /search/suggest` parameters.
pub struct SuggestParams {
    query: SearchQuery,
    limit: SuggestLimit,
}

impl FromQuery for SuggestParams {
    const ALLOWED: &'static [&'static str] = &["q", "limit"];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        let query = params
            .get("q")
            .ok_or_else(|| InvalidValue::new("q", "is required: what was typed"))?;
        Ok(SuggestParams {
            query: SearchQuery::parse(query)?,
            limit: SuggestLimit::parse(params.get("limit"))?,
        })
    }
}

/// Suggestions, best first.
#[derive(Serialize, ToSchema)]
pub struct Suggestions {
    pub data: Vec<Suggestion>,
}

/// Suggest as the reader types
///
/// Published posts, tags and categories with a word starting with each word typed (`q=red lat` suggests
/// "Redis latency"), best first: names beginning with what was typed, then those with the typed words
/// whole, then categories and tags before posts, then the most read. Never a draft or a scheduled post.
/// Cached until the content changes.
#[utoipa::path(
    get,
    path = "/search/suggest",
    tag = "posts",
    params(
        ("q" = String, Query, description = "What was typed so far", example = "red", min_length = 1, max_length = 200),
        ("limit" = Option<u32>, Query, description = "How many suggestions, 1 to 10 (default 5)", minimum = 1, maximum = 10, example = 5),
    ),
    responses(
        (status = 200, description = "Suggestions, best first", body = Suggestions),
        BadRequest, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn suggest(
    query: Query<SuggestParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let SuggestParams { query, limit } = &query.value;
    let data = state.posts.suggest(query, limit.get()).await?;
    Ok(HttpResponse::Ok().json(Suggestions {
        data: data.as_ref().clone(),
    }))
}
