//! Validated types: input is parsed into these once, at the edge, and the rest of the code trusts them.

pub mod comment_input;
pub mod etag;
mod id;
pub mod input;
pub mod markdown;
mod page;
mod post;
mod post_filter;
pub mod post_input;
mod search;
mod slug;
mod sort;
pub mod term_input;
pub mod token;

pub use id::ResourceId;
pub use page::{Page, PageMeta, PageRequest};
pub use post::{CategoryRef, CommentView, PostDetail, PostSummary, TagRef, TaxonomyItem};
pub use post_filter::{PostFilter, PostKey, PostListQuery, PostStatus};
pub use search::SearchQuery;
pub use slug::Slug;
pub use sort::PostSort;

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
