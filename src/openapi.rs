//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and the types'
//! `ToSchema`. Served at `/openapi.json`, printed by `blog-api openapi`, committed as `openapi/openapi.json`
//! (a test fails when the committed copy drifts).

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::domain::{
    CategoryRef, CommentView, Page, PageMeta, PostDetail, PostSummary, TaxonomyItem,
};
use crate::error::Problem;
use crate::routes;

/// Body of `POST /posts` (only the documentation of it: the handler reads it field by field).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"title": "Hello", "author": "Ann", "body_markdown": "First *post*.",
    "category": "programming", "tags": ["rust"], "published_at": "2026-12-01T09:00:00Z"}))]
#[serde(deny_unknown_fields)]
pub struct PostCreate {
    /// 1 to 300 characters.
    #[schema(
        min_length = 1,
        max_length = 300,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub title: String,
    /// `[a-z0-9-]`, 1 to 200 characters; made from the title when absent (409 when taken).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, pattern = "^[a-z0-9-]{1,200}$")]
    pub slug: Option<String>,
    /// Markdown, 1 to 500,000 characters.
    #[schema(
        min_length = 1,
        max_length = 500000,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    pub body_markdown: String,
    /// Derived from the body when absent or null.
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    pub excerpt: Option<String>,
    /// 1 to 100 characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub author: String,
    /// A category slug, or null.
    #[schema(pattern = "^[a-z0-9-]{1,200}$")]
    pub category: Option<String>,
    /// Tag slugs (at most 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_items = 50, inline, value_type = Option<Vec<SlugString>>)]
    pub tags: Option<Vec<String>>,
    /// RFC 3339. Null: a draft; in the future: scheduled.
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Body of `PATCH /posts/{id}`: any fields of a create; only those sent change.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"title": "Hello again", "published_at": null}))]
#[serde(deny_unknown_fields)]
pub struct PostPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 300,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, pattern = "^[a-z0-9-]{1,200}$")]
    pub slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 500000,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    pub body_markdown: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    pub excerpt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub author: Option<String>,
    #[schema(pattern = "^[a-z0-9-]{1,200}$")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_items = 50, inline, value_type = Option<Vec<SlugString>>)]
    pub tags: Option<Vec<String>>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Body of category and tag writes (`name` required on create).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"name": "Databases", "slug": "databases"}))]
#[serde(deny_unknown_fields)]
pub struct TermBody {
    /// 1 to 100 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: Option<String>,
    /// Made from the name when absent on create (409 when taken).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, pattern = "^[a-z0-9-]{1,200}$")]
    pub slug: Option<String>,
}

/// Body of `POST /posts/{id}/comments`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"author_name": "Reader", "body": "Nice post!"}))]
#[serde(deny_unknown_fields)]
pub struct CommentCreate {
    /// 1 to 100 characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub author_name: String,
    /// Markdown, 1 to 10,000 characters.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    )]
    pub body: String,
}

/// Body of `PATCH /comments/{id}`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "approved"}))]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    /// `pending`, `approved` or `rejected`.
    #[schema(pattern = "^(pending|approved|rejected)$")]
    pub status: String,
}

/// A slug: `[a-z0-9-]`, 1 to 200 characters.
#[derive(Serialize, ToSchema)]
#[schema(pattern = "^[a-z0-9-]{1,200}$")]
pub struct SlugString(String);

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `blog-api token create NAME`."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "blog-api",
        description = "JSON REST API of a headless blog, with an exact post click counter. \
                       Errors are RFC 9457 `application/problem+json`.",
        license(name = "MIT")
    ),
    paths(
        routes::posts::list_posts,
        routes::posts::create_post,
        routes::posts::get_post,
        routes::posts::get_post_by_slug,
        routes::posts::update_post,
        routes::posts::delete_post,
        routes::clicks::record_click,
        routes::comments::list_comments,
        routes::comments::create_comment,
        routes::comments::moderate_comment,
        routes::comments::delete_comment,
        routes::taxonomy::list_categories,
        routes::taxonomy::create_category,
        routes::taxonomy::get_category,
        routes::taxonomy::update_category,
        routes::taxonomy::delete_category,
        routes::taxonomy::list_tags,
        routes::taxonomy::create_tag,
        routes::taxonomy::get_tag,
        routes::taxonomy::update_tag,
        routes::taxonomy::delete_tag,
        routes::health::healthz,
        routes::health::readyz,
        routes::health::metrics,
        routes::openapi_json,
    ),
    components(schemas(
        PostSummary, PostDetail, CategoryRef, TaxonomyItem, CommentView, PageMeta, Problem,
        Page<PostSummary>, Page<CommentView>, Page<TaxonomyItem>,
        PostCreate, PostPatch, TermBody, CommentCreate, Moderation, routes::clicks::ClickCount,
        routes::health::Health, routes::health::Readiness, routes::health::CacheState,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "posts", description = "Posts: lists, single posts, and editors' writes"),
        (name = "clicks", description = "The click beacon"),
        (name = "comments", description = "Readers' comments and their moderation"),
        (name = "taxonomy", description = "Categories and tags"),
        (name = "operations", description = "Health, readiness and this document"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON, ending with a newline (the committed file's exact form).
pub fn document_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| String::from("{}"));
    json.push('\n');
    json
}
