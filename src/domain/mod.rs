//! Validated types: input is parsed into these once, at the edge, and the rest of the code trusts them.

pub mod author;
pub mod click_epoch;
pub mod clock;
pub mod comment_input;
pub mod cursor;
pub mod etag;
pub mod feed;
pub mod fields;
mod id;
pub mod import_plan;
pub mod input;
pub mod markdown;
pub mod media;
mod page;
mod post;
mod post_filter;
pub mod post_input;
pub mod post_rules;
pub mod preview;
pub mod rendered;
pub mod revision;
pub mod search;
pub mod seo;
mod slug;
mod sort;
pub mod stats;
pub mod sync;
pub mod term_input;
pub mod token;
pub mod webhook;

pub use id::ResourceId;
pub use page::{Page, PageMeta, PageRequest, RelatedLimit};
pub use post::{
    is_public_at, AuthorRef, CategoryRef, CommentView, PostDetail, PostSummary, TagRef,
    TaxonomyItem,
};
pub use post_filter::{PostFilter, PostKey, PostListQuery, PostStatus};
pub use search::SearchQuery;
pub use slug::Slug;
pub use sort::{PostSort, Window};

/// Who is reading: anonymous readers see published posts and approved comments; editors (a valid token)
/// see drafts, scheduled posts and the moderation queue too, and their reads never count as views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    Editor,
}

/// Categories or tags: the two taxonomies have the same shape and the same routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taxonomy {
    Categories,
    Tags,
}

impl Taxonomy {
    /// The singular, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Taxonomy::Categories => "category",
            Taxonomy::Tags => "tag",
        }
    }

    /// The collection's path segment, as in `/categories/{id}`.
    pub fn path(self) -> &'static str {
        match self {
            Taxonomy::Categories => "categories",
            Taxonomy::Tags => "tags",
        }
    }
}

/// A value that failed validation, with the name of the parameter or field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}`: {message}")]
pub struct InvalidValue {
    pub name: String,
    pub message: String,
}

impl InvalidValue {
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidValue {
            name: name.into(),
            message: message.into(),
        }
    }
}
