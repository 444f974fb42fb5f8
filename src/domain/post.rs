//! What readers get back: posts, comments and taxonomy as the API shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A category or tag as embedded in a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 2, "slug": "databases", "name": "Databases"}))]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// Tags embed the same way categories do.
pub type TagRef = CategoryRef;

/// A post as it appears in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PostSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub author: String,
    pub category: Option<CategoryRef>,
    pub tags: Vec<TagRef>,
    /// `null` for a draft; in the future for a scheduled post (visible to token holders only).
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub clicks: i64,
    /// Approved comments only.
    pub comment_count: i64,
    /// Words of the body a reader sees (markup and link targets not counted), derived when it was written.
    pub word_count: i64,
    /// `word_count` at 230 words a minute, rounded up (0 for an empty body).
    pub reading_time_minutes: i64,
}

/// A single post: the list fields plus its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PostDetail {
    #[serde(flatten)]
    pub summary: PostSummary,
    pub body_markdown: String,
    /// Rendered from `body_markdown` when the post was written, and sanitized.
    pub body_html: String,
}

/// A category or tag in its own list, with the number of published posts it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TaxonomyItem {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub post_count: i64,
}

/// A comment as readers see it (`status` only for editors: readers see approved comments only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub post_id: i64,
    pub author_name: String,
    /// As written (Markdown).
    pub body: String,
    /// Rendered and sanitized when the comment was written; links are `nofollow ugc`.
    pub body_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub created_at: DateTime<Utc>,
}
