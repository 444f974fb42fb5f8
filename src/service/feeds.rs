//! Feeds of the latest published posts (the blog's, a category's, a tag's) and the sitemap's pages.

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::content::{ContentCache, Loaded};
use crate::config::SiteSettings;
use crate::db::feeds::SitemapSource;
use crate::db::{self, run_query, DbPool};
use crate::domain::clock::Clock;
use crate::domain::feed::{FeedSource, SiteLinks};
use crate::domain::{PageRequest, PostDetail, PostFilter, PostListQuery, Slug, Taxonomy};
use crate::error::ApiError;

/// Whose posts a feed carries.
#[derive(Debug, Clone)]
pub enum FeedScope {
    Blog,
    Term(Taxonomy, Slug),
    Author(Slug),
}

/// What a feed carries whatever the links: the category's or tag's name, and the posts with their bodies.
struct FeedContent {
    name: Option<String>,
    posts: Arc<Vec<PostDetail>>,
}

/// The feeds service: feeds and the sitemap's pages, through this instance's content cache.
pub struct Feeds {
    pool: DbPool,
    content: Arc<ContentCache>,
    site: SiteSettings,
    clock: Clock,
}

impl Feeds {
    pub fn new(pool: DbPool, content: Arc<ContentCache>, site: SiteSettings, clock: Clock) -> Self {
        Feeds {
            pool,
            content,
            site,
            clock,
        }
    }

    /// Links and sizes of feeds and sitemaps.
    pub fn site(&self) -> &SiteSettings {
        &self.site
    }

    /// The latest `FEED_ITEMS` published posts of `scope`, newest first, with their bodies: from the content
    /// cache, or four statements (the term, the page, its tags, the bodies) by one request while the others
    /// wait for it. `NotFound` for an unknown category or tag.
    pub async fn feed(
        &self,
        links: &SiteLinks,
        scope: FeedScope,
        address: String,
    ) -> Result<FeedSource, ApiError> {
        let now = self.clock.now();
        let site = &self.site;
        let per_page = site.feed_items.to_string();
        let page = PageRequest::parse(None, Some(&per_page))?;
        let pool = self.pool.clone();
        let loaded_scope = scope.clone();
        let content = self
            .content
            .derived_or_load(format!("feed {scope:?} {per_page}"), now, move || {
                load_feed(pool, loaded_scope, page, now)
            })
            .await?;
        let (title, page_url) = match (&scope, &content.name) {
            (FeedScope::Term(taxonomy, slug), Some(name)) => {
                let url = match taxonomy {
                    Taxonomy::Categories => links.category(slug.as_str()),
                    Taxonomy::Tags => links.tag(slug.as_str()),
                };
                (format!("{}: {name}", site.title), url)
            }
            (FeedScope::Author(slug), Some(name)) => (
                format!("{}: {name}", site.title),
                links
                    .author(slug.as_str())
                    .unwrap_or_else(|| links.absolute("/")),
            ),
            _ => (site.title.clone(), links.absolute("/")),
        };
        Ok(FeedSource {
            title,
            page: page_url,
            address,
            posts: content.posts.clone(),
        })
    }

    /// Every published post, category and tag page with its last change: from the content cache, or three
    /// statements by one request while the others wait for it (each `/sitemap-N.xml` is a slice of it).
    pub async fn sitemap_source(&self) -> Result<Arc<SitemapSource>, ApiError> {
        let now = self.clock.now();
        let with_authors = self.site.author_url_pattern.is_some();
        let pool = self.pool.clone();
        self.content
            .derived_or_load(String::from("sitemap"), now, move || async move {
                let (source, valid_until) = run_query(&pool, move |conn| {
                    db::posts::until_next_publication(conn, now, |conn| {
                        db::feeds::sitemap_source(conn, now, with_authors)
                    })
                })
                .await?;
                let bytes = [
                    &source.posts,
                    &source.categories,
                    &source.tags,
                    &source.authors,
                ]
                .iter()
                .flat_map(|listed| listed.iter())
                .map(|listed| 64 + listed.slug.len())
                .sum();
                Ok::<_, ApiError>(Loaded {
                    value: source,
                    valid_until,
                    bytes,
                })
            })
            .await
    }
}

/// Reads a feed's content from the database (see [`Feeds::feed`]).
async fn load_feed(
    pool: DbPool,
    scope: FeedScope,
    page: PageRequest,
    now: NaiveDateTime,
) -> Result<Loaded<FeedContent>, ApiError> {
    let name = match &scope {
        FeedScope::Blog => None,
        FeedScope::Term(taxonomy, slug) => {
            let (taxonomy, slug) = (*taxonomy, slug.clone());
            let name = run_query(&pool, move |conn| {
                db::feeds::term_name(conn, taxonomy, slug.as_str())
            })
            .await?
            .ok_or(ApiError::NotFound(taxonomy.noun()))?;
            Some(name)
        }
        FeedScope::Author(slug) => {
            let slug = slug.clone();
            let name = run_query(&pool, move |conn| {
                db::feeds::author_name(conn, slug.as_str())
            })
            .await?
            .ok_or(ApiError::NotFound("author"))?;
            Some(name)
        }
    };
    let mut filter = PostFilter::default();
    match &scope {
        FeedScope::Blog => {}
        FeedScope::Term(Taxonomy::Categories, slug) => filter.category = Some(slug.clone()),
        FeedScope::Term(Taxonomy::Tags, slug) => filter.tag = Some(slug.clone()),
        FeedScope::Author(slug) => filter.author = Some(slug.clone()),
    }
    let query = PostListQuery {
        filter,
        page,
        ..PostListQuery::default()
    };
    let ((posts, mut bodies), valid_until) = run_query(&pool, move |conn| {
        db::posts::until_next_publication(conn, now, |conn| {
            let posts = db::posts::list(conn, &query, now)?.posts;
            let ids: Vec<i64> = posts.iter().map(|post| post.id).collect();
            db::feeds::bodies(conn, &ids).map(|bodies| (posts, bodies))
        })
    })
    .await?;
    let posts: Vec<PostDetail> = posts
        .into_iter()
        .map(|summary| {
            let body_html = bodies.remove(&summary.id).unwrap_or_default();
            PostDetail {
                summary,
                body_markdown: String::new(),
                body_html,
                meta_title: String::new(),
                meta_description: String::new(),
                canonical_url: None,
                json_ld: serde_json::Value::Null,
            }
        })
        .collect();
    let bytes = posts.iter().map(super::content::post_size).sum();
    Ok(Loaded {
        value: FeedContent {
            name,
            posts: Arc::new(posts),
        },
        valid_until,
        bytes,
    })
}
