//! What a post list asks for: which posts, in which order, which page.

use super::cursor::After;
use super::fields::{FieldSet, POST_SUMMARY_FIELDS};
use super::sort::Window;
use super::{PageRequest, PostSort, SearchQuery, Slug};

/// Which posts by publication state. Anonymous readers only ever get [`PostStatus::Published`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PostStatus {
    /// `published_at <= now`.
    #[default]
    Published,
    /// `published_at > now`.
    Scheduled,
    /// `published_at` is null.
    Draft,
    All,
}

impl PostStatus {
    pub fn parse(raw: &str) -> Result<Self, super::InvalidValue> {
        match raw {
            "published" => Ok(PostStatus::Published),
            "scheduled" => Ok(PostStatus::Scheduled),
            "draft" => Ok(PostStatus::Draft),
            "all" => Ok(PostStatus::All),
            _ => Err(super::InvalidValue::new(
                "status",
                "must be one of published, scheduled, draft, all",
            )),
        }
    }
}

/// Which posts a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostFilter {
    pub status: PostStatus,
    /// Only posts in the category with this slug.
    pub category: Option<Slug>,
    /// Only posts carrying the tag with this slug.
    pub tag: Option<Slug>,
    /// Only posts that name the author with this slug.
    pub author: Option<Slug>,
    /// Only posts whose title, tags or body match these words.
    pub search: Option<SearchQuery>,
    /// The posts the search index matched for `search` (filled in by the service before the database is
    /// asked; not part of what a list is kept under).
    pub matched: Option<std::sync::Arc<[i64]>>,
}

/// A validated `GET /posts` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostListQuery {
    pub filter: PostFilter,
    pub sort: PostSort,
    pub page: PageRequest,
    /// The fields each post shows: the page reads only what they need.
    pub fields: FieldSet,
    /// With a cursor: the page starts just after this post (and `page` is 1).
    pub after: Option<After>,
    /// With `sort=-clicks`: rank by the clicks of this window instead of all time.
    pub window: Option<Window>,
}

impl PostListQuery {
    /// Whether the list ranks by recent clicks (`sort=trending`, or a `window`): it moves with every click,
    /// so it is read fresh each time and paged by number only.
    pub fn ranks_by_recent_clicks(&self) -> bool {
        self.sort == PostSort::Trending || self.window.is_some()
    }

    /// The list a cursor belongs to: its sort and filters, not its page, size or fields.
    pub fn binding(&self) -> String {
        let filter = &self.filter;
        format!(
            "posts\n{:?}\n{:?}\n{:?}\n{}\n{}\n{}\n{}",
            self.sort,
            self.window,
            filter.status,
            filter.category.as_ref().map_or("", |slug| slug.as_str()),
            filter.tag.as_ref().map_or("", |slug| slug.as_str()),
            filter.author.as_ref().map_or("", |slug| slug.as_str()),
            filter.search.as_ref().map_or("", |search| search.as_str()),
        )
    }
}

impl Default for PostListQuery {
    fn default() -> Self {
        PostListQuery {
            filter: PostFilter::default(),
            sort: PostSort::default(),
            page: PageRequest::default(),
            fields: FieldSet::all(POST_SUMMARY_FIELDS),
            after: None,
            window: None,
        }
    }
}

/// How a single post is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostKey {
    Id(super::ResourceId),
    Slug(Slug),
}
