//! `/posts`: the list, one post by id or slug, and editors' writes.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::conditional::spliced_json_response;
use super::extract::{
    Editor, FieldsOnly, FromQuery, IdParam, IfMatch, InPath, JsonBody, NoQuery, Query, SlugParam,
};
use super::list::{sparse_list_response, spliced_list_response};
use super::problems::{
    BadRequest, Conflict, InvalidFields, NotFound, PayloadTooLarge, PreconditionFailed,
    Unauthorized, Unavailable,
};
use super::query::QueryParams;
use super::AppState;
use crate::domain::etag::post_etag;
use crate::domain::fields::{
    FieldSet, PostField, PostSummaryField, POST_FIELDS, POST_SUMMARY_FIELDS,
};
use crate::domain::post_input::{NewPost, PostChanges};
use crate::domain::{
    InvalidValue, Page, PageRequest, PostDetail, PostFilter, PostKey, PostListQuery, PostSort,
    PostStatus, PostSummary, SearchQuery, Slug, Viewer, Window,
};
use crate::error::ApiError;
use crate::service::clicks::Client;
use crate::service::posts::PostRead;

/// `GET /posts` parameters. `status` is parsed here and allowed for editors only (by the handler).
pub struct PostListParams {
    query: PostListQuery,
    asks_status: bool,
    /// `cursor` as given: opened by the handler, which holds the key.
    cursor: Option<String>,
}

impl FromQuery for PostListParams {
    const ALLOWED: &'static [&'static str] = &[
        "page", "per_page", "category", "tag", "author", "q", "sort", "status", "fields", "cursor",
        "window",
    ];

    fn from_query(params: &QueryParams) -> Result<Self, ApiError> {
        let status = params.get("status").map(PostStatus::parse).transpose()?;
        let cursor = cursor_param(params)?;
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
                author: params
                    .get("author")
                    .map(|raw| Slug::parse("author", raw))
                    .transpose()?,
                search: params.get("q").map(SearchQuery::parse).transpose()?,
                matched: None,
            },
            sort: match params.get("sort").map(PostSort::parse).transpose()? {
                Some(sort) => sort,
                // A search ranks by relevance unless told otherwise.
                None if params.get("q").is_some() => PostSort::Relevance,
                None => PostSort::default(),
            },
            page: PageRequest::parse(params.get("page"), params.get("per_page"))?,
            fields: FieldSet::parse(params.get("fields"), POST_SUMMARY_FIELDS)?,
            after: None,
            window: params.get("window").map(Window::parse).transpose()?,
        };
        if query.sort == PostSort::Relevance && query.filter.search.is_none() {
            return Err(ApiError::from(InvalidValue::new(
                "sort",
                "`relevance` ranks the matches of a search: use it with q",
            )));
        }
        if query.window.is_some() && query.sort != PostSort::MostClicked {
            return Err(ApiError::from(InvalidValue::new(
                "window",
                "ranks by clicks: use it with sort=-clicks",
            )));
        }
        // A ranking that moves with every click has no stable place to continue from.
        if cursor.is_some() && query.ranks_by_recent_clicks() {
            return Err(ApiError::from(InvalidValue::new(
                "cursor",
                "a ranking by recent clicks (a window, trending) moves with every click: page it by number",
            )));
        }
        Ok(PostListParams {
            asks_status: status.is_some(),
            cursor,
            query,
        })
    }
}

/// List published posts
///
/// Published posts, newest first unless `sort` says otherwise; with `q`, the posts matching it, best first.
#[utoipa::path(
    get,
    path = "/posts",
    tag = "posts",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1", minimum = 1, example = 1),
        ("per_page" = Option<u32>, Query, description = "Posts per page, 1 to 100 (default 20)", minimum = 1),
        ("category" = Option<String>, Query, description = "Only posts in the category with this slug", example = "databases"),
        ("tag" = Option<String>, Query, description = "Only posts with the tag with this slug", example = "redis"),
        ("author" = Option<String>, Query, description = "Only posts that name the author with this slug", example = "ann"),
        ("q" = Option<String>, Query, description = "Search title, tags and body (README \"Search\"): ranked by relevance unless `sort` is given; a word of 4 to 7 letters forgives one typo, 8 or more two; the last word also matches as a prefix; words in double quotes match exactly. Adds `highlights` to each post and `meta.facets`", example = "redis latency", min_length = 1, max_length = 200),
        ("sort" = Option<String>, Query, description = "`-published_at` (default), `published_at`, `-clicks`, `title`, `trending` (growth: 7 x the last 24 hours' clicks minus the 7 days' before; `window_clicks` shows the last 24 hours'; pages by number) or `relevance` (with `q`, its default: all words before some, fewer typos, title above tags above body, whole words before prefixes, then more clicks)", pattern = "^(-published_at|published_at|-clicks|title|trending|relevance)$"),
        ("status" = Option<String>, Query, description = "Editors only: `published` (default), `scheduled`, `draft` or `all`", pattern = "^(published|scheduled|draft|all)$"),
        ("fields" = Option<Vec<PostSummaryField>>, Query, style = Form, explode = false, min_items = 1, description = FIELDS_DOC),
        ("cursor" = Option<String>, Query, description = CURSOR_DOC, max_length = 4096, pattern = "^[A-Za-z0-9_-]+$"),
        ("window" = Option<String>, Query, description = "With `sort=-clicks`: rank by the clicks of the last `24h`, `7d`, `30d` or `365d` (whole UTC hours, the current one included), or `all`; each post then has `window_clicks` (clicks not yet synced included). Pages by number, not by cursor", pattern = "^(24h|7d|30d|365d|all)$"),
    ),
    responses(
        (status = 200, description = "One page of posts; `Link` and `X-Total-Count` headers", body = Page<PostSummary>,
         headers(("Link" = String, description = "RFC 8288 first/prev/next/last"), ("X-Total-Count" = u64, description = "All matching posts"))),
        BadRequest, Unauthorized, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn list_posts(
    request: HttpRequest,
    viewer: Viewer,
    query: Query<PostListParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if query.value.asks_status && viewer != Viewer::Editor {
        return Err(ApiError::Unauthorized(
            "`status` needs a token: anonymous readers see published posts",
        ));
    }
    let list = &query.value;
    let fields = list.query.fields;
    let listed = state
        .posts
        .list(list.query.clone(), list.cursor.as_deref())
        .await?;
    if let (true, true, Some(counts)) = (fields.is_all(), listed.kept, &listed.counts) {
        if let Some(items) = listed.listed.items_json() {
            if let Some(response) =
                spliced_list_response(&request, &query.params, &listed.meta, items, counts)
            {
                return Ok(response);
            }
        }
    }
    Ok(sparse_list_response(
        &request,
        &query.params,
        &listed.page(),
        fields,
    ))
}

/// `cursor` as given, refused beside `page` (a cursor says where its page starts).
pub fn cursor_param(params: &QueryParams) -> Result<Option<String>, ApiError> {
    let cursor = params.get("cursor").map(str::to_owned);
    if cursor.is_some() && params.get("page").is_some() {
        return Err(ApiError::from(InvalidValue::new(
            "cursor",
            "does not combine with `page`: a cursor says where its page starts",
        )));
    }
    Ok(cursor)
}

/// What the `cursor` parameter of a list says.
pub const CURSOR_DOC: &str = "Where the page starts: `meta.next_cursor` of the page before (or the \
    `Link` rel=\"next\"), with the same sort and filters. Scrolling by cursor shows each item once, \
    even while posts are published or deleted. Not with `page`. A cursor that was changed, cut short or \
    made for another sort or filter is a 400.";

/// What the `fields` parameter of a read says.
pub(super) const FIELDS_DOC: &str = "Only these fields of each item (comma-separated; `id` is always included). \
    Unknown names are a 400 that lists the allowed ones. The read does only the work its fields need.";

/// The 200 of a single post, with its content `ETag`.
pub(super) fn post_response(status: StatusCode, post: &PostDetail) -> HttpResponse {
    sparse_post_response(status, post, FieldSet::all(POST_FIELDS))
}

/// [`post_response`] with only `fields`.
fn sparse_post_response(status: StatusCode, post: &PostDetail, fields: FieldSet) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((
        header::ETAG,
        post_etag(post.summary.id, post.summary.updated_at),
    ));
    if fields.is_all() {
        response.json(post)
    } else {
        response.json(fields.project(post))
    }
}

/// Create a post
///
/// Needs a token. Creates a post; 201 with `Location`.
#[utoipa::path(
    post,
    path = "/posts",
    tag = "posts",
    request_body(content = NewPost, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `Location` names it", body = PostDetail,
         headers(("Location" = String), ("ETag" = String))),
        BadRequest, Unauthorized, Conflict, PayloadTooLarge, InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn create_post(
    editor: Editor,
    _: NoQuery,
    body: JsonBody,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let post = state
        .posts
        .parse_body(&body.0, PostChanges::for_create)
        .await?;
    let post = state.posts.create(post, &editor.token_name).await?;
    let mut response = post_response(StatusCode::CREATED, &post);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/posts/{}", post.summary.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Update a post
///
/// Needs a token. Changes the fields sent; honours `If-Match` (412 when stale).
#[utoipa::path(
    patch,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
           ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = PostChanges, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = PostDetail, headers(("ETag" = String))),
        BadRequest, Unauthorized, NotFound, Conflict, PreconditionFailed, PayloadTooLarge,
        InvalidFields, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn update_post(
    editor: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    if_match: IfMatch,
    body: JsonBody,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let changes = state
        .posts
        .parse_body(&body.0, PostChanges::for_update)
        .await?;
    let post = state
        .posts
        .update(id, changes, if_match.0, &editor.token_name)
        .await?;
    Ok(post_response(StatusCode::OK, &post))
}

/// Delete a post
///
/// Needs a token. Deletes the post, its comments, tag links and counter; 204.
#[utoipa::path(
    delete,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "Post id", minimum = 1),
           ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on")),
    responses(
        (status = 204, description = "Deleted, with its comments, tag links and counter"),
        BadRequest, Unauthorized, NotFound, PreconditionFailed, Unavailable,
    ),
    security(("bearer" = []))
)]
pub async fn delete_post(
    _: Editor,
    _: NoQuery,
    InPath(id): InPath<IdParam>,
    if_match: IfMatch,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.posts.delete(id, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reads one post, as a view when it counts as one.
async fn read_post(
    key: PostKey,
    fields: FieldSet,
    client: &Client,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let PostRead { post, clicks } = state.posts.read(key, fields, client).await?;
    if fields.is_all() {
        if let Some(json) = post.json() {
            let version = post_etag(post.summary.id, post.summary.updated_at);
            return Ok(spliced_json_response(&version, json, clicks));
        }
    }
    let mut shown = PostDetail::clone(&post);
    shown.summary.clicks = clicks;
    Ok(sparse_post_response(StatusCode::OK, &shown, fields))
}

/// Read a post
///
/// One published post with its body; counts a click (see README "Click counting").
#[utoipa::path(
    get,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "Post id", minimum = 1, example = 1),
        ("fields" = Option<Vec<PostField>>, Query, style = Form, explode = false, min_items = 1, description = FIELDS_DOC)),
    responses(
        (status = 200, description = "The post; `ETag` names its content version", body = PostDetail,
         headers(("ETag" = String, description = "Content version, for If-Match"))),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn get_post(
    query: Query<FieldsOnly<PostField>>,
    InPath(id): InPath<IdParam>,
    client: Client,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    read_post(PostKey::Id(id), query.value.0, &client, &state).await
}

/// Read a post by slug
///
/// The same, by slug.
#[utoipa::path(
    get,
    path = "/posts/slug/{slug}",
    tag = "posts",
    params(("slug" = String, Path, description = "Post slug", example = "sessions-background-jobs-1"),
        ("fields" = Option<Vec<PostField>>, Query, style = Form, explode = false, min_items = 1, description = FIELDS_DOC)),
    responses(
        (status = 200, description = "The post; `ETag` names its content version", body = PostDetail,
         headers(("ETag" = String, description = "Content version, for If-Match"))),
        BadRequest, Unauthorized, NotFound, Unavailable,
    ),
    security((), ("bearer" = []))
)]
pub async fn get_post_by_slug(
    query: Query<FieldsOnly<PostField>>,
    InPath(slug): InPath<SlugParam>,
    client: Client,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    read_post(PostKey::Slug(slug), query.value.0, &client, &state).await
}
