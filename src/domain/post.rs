//! What readers get back: posts, comments and taxonomy as the API shows them.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Whether a post with this `published_at` is public at `now`: published, not a draft (`None`) nor scheduled
/// (a later instant). The one rule every read applies; its twin in queries is `db::posts::public_at`.
pub fn is_public_at(published_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    published_at.is_some_and(|at| at <= now)
}

/// A category, tag or author as embedded in a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 2, "slug": "databases", "name": "Databases"}))]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// Tags embed the same way categories do.
pub type TagRef = CategoryRef;

/// Authors embed the same way too.
pub type AuthorRef = CategoryRef;

/// A post as it appears in lists. Every field is present unless the read's `fields` parameter leaves it out
/// (`id` is always there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PostSummary {
    pub id: i64,
    #[schema(required = false)]
    pub slug: String,
    #[schema(required = false)]
    pub title: String,
    #[schema(required = false)]
    pub excerpt: String,
    /// The primary author's name (the first of `authors`).
    #[schema(required = false)]
    pub author: String,
    /// The post's authors in order; the first is the primary author.
    #[schema(required = false)]
    pub authors: Vec<AuthorRef>,
    #[schema(required = false)]
    pub category: Option<CategoryRef>,
    #[schema(required = false)]
    pub tags: Vec<TagRef>,
    /// `null` for a draft; in the future for a scheduled post (visible to token holders only).
    #[schema(required = false)]
    pub published_at: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub updated_at: DateTime<Utc>,
    #[schema(required = false)]
    pub clicks: i64,
    /// Approved comments only.
    #[schema(required = false)]
    pub comment_count: i64,
    /// Words of the body a reader sees (markup and link targets not counted), derived when it was written.
    #[schema(required = false)]
    pub word_count: i64,
    /// `word_count` at 230 words a minute, rounded up (0 for an empty body).
    #[schema(required = false)]
    pub reading_time_minutes: i64,
    /// The image shown with the post, with its variants and placeholder; `null` when it has none.
    #[schema(required = false)]
    pub feature_image: Option<super::media::Media>,
    /// With `window`: the clicks inside it (`clicks` stays the total), not yet synced ones included.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub window_clicks: Option<i64>,
    /// With `q`: the title and a passage of the body with the matched words marked.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub highlights: Option<super::search::highlight::Highlights>,
}

/// A single post: the list fields plus its body (every field present unless `fields` leaves it out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PostDetail {
    #[serde(flatten)]
    pub summary: PostSummary,
    #[schema(required = false)]
    pub body_markdown: String,
    /// Rendered from `body_markdown` when the post was written, and sanitized.
    #[schema(required = false)]
    pub body_html: String,
    /// For `<title>`: the one an editor set, else the title.
    #[schema(required = false)]
    pub meta_title: String,
    /// For `<meta name="description">`: the one an editor set, else the excerpt.
    #[schema(required = false)]
    pub meta_description: String,
    /// For `<link rel="canonical">`: set by an editor when the post is also published elsewhere, else null.
    #[schema(required = false)]
    pub canonical_url: Option<String>,
    /// A schema.org `BlogPosting` for `<script type="application/ld+json">`, as it is: headline, dates,
    /// authors as `Person`s, word count, keywords (the tags), and `url` when `SITE_URL` (or an absolute
    /// `POST_URL_PATTERN`, or `canonical_url`) says where the post's page is.
    #[schema(required = false, value_type = Object)]
    pub json_ld: serde_json::Value,
}

#[cfg(test)]
impl PostDetail {
    /// A small post for unit tests.
    pub fn sample(id: i64) -> PostDetail {
        PostDetail {
            summary: PostSummary {
                window_clicks: None,
                highlights: None,
                id,
                slug: format!("post-{id}"),
                title: String::from("T"),
                excerpt: String::new(),
                author: String::from("A"),
                authors: Vec::new(),
                category: None,
                tags: Vec::new(),
                published_at: None,
                updated_at: chrono::DateTime::UNIX_EPOCH,
                clicks: 0,
                comment_count: 0,
                word_count: 1,
                reading_time_minutes: 1,
                feature_image: None,
            },
            body_markdown: String::from("x"),
            body_html: String::from("<p>x</p>"),
            meta_title: String::from("T"),
            meta_description: String::new(),
            canonical_url: None,
            json_ld: serde_json::Value::Null,
        }
    }
}

/// A category or tag in its own list, with the number of published posts it holds (every field present
/// unless `fields` leaves it out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TaxonomyItem {
    pub id: i64,
    #[schema(required = false)]
    pub slug: String,
    #[schema(required = false)]
    pub name: String,
    #[schema(required = false)]
    pub post_count: i64,
}

/// A comment as readers see it (`status` only for editors: readers see approved comments only). Every other
/// field is present unless `fields` leaves it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    #[schema(required = false)]
    pub post_id: i64,
    #[schema(required = false)]
    pub author_name: String,
    /// As written (Markdown).
    #[schema(required = false)]
    pub body: String,
    /// Rendered and sanitized when the comment was written; links are `nofollow ugc`.
    #[schema(required = false)]
    pub body_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub status: Option<String>,
    #[schema(required = false)]
    pub created_at: DateTime<Utc>,
}
