//! What a post list asks for: which posts, in which order, which page.

use super::{PageRequest, PostSort, SearchQuery, Slug};

/// Which posts a list shows. Anonymous readers only ever get published ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostFilter {
    /// Only posts in the category with this slug.
    pub category: Option<Slug>,
    /// Only posts carrying the tag with this slug.
    pub tag: Option<Slug>,
    /// Only posts whose title or body match these words.
    pub search: Option<SearchQuery>,
}

/// A validated `GET /posts` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostListQuery {
    pub filter: PostFilter,
    pub sort: PostSort,
    pub page: PageRequest,
}

/// How a single post is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostKey {
    Id(super::ResourceId),
    Slug(Slug),
}
