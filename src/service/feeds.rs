//! Feeds of the latest published posts (the blog's, a category's, a tag's) and the sitemap's pages.

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
}

/// The latest `FEED_ITEMS` published posts of `scope`, newest first, with their bodies: four statements
/// (the term, the page, its tags, the bodies). `NotFound` for an unknown category or tag.
pub async fn feed(
    pool: &DbPool,
    clock: &Clock,
    site: &SiteSettings,
    links: &SiteLinks,
    scope: FeedScope,
    address: String,
) -> Result<FeedSource, ApiError> {
    let now = clock.now();
    let per_page = site.feed_items.to_string();
    let page = PageRequest::parse(None, Some(&per_page))?;
    let (title, page_url) = match &scope {
        FeedScope::Blog => (site.title.clone(), links.absolute("/")),
        FeedScope::Term(taxonomy, slug) => {
            let url = match taxonomy {
                Taxonomy::Categories => links.category(slug.as_str()),
                Taxonomy::Tags => links.tag(slug.as_str()),
            };
            let (taxonomy, slug) = (*taxonomy, slug.clone());
            let name = run_query(pool, move |conn| {
                db::feeds::term_name(conn, taxonomy, slug.as_str())
            })
            .await?
            .ok_or(ApiError::NotFound(taxonomy.noun()))?;
            (format!("{}: {name}", site.title), url)
        }
    };
    let mut filter = PostFilter::default();
    match &scope {
        FeedScope::Blog => {}
        FeedScope::Term(Taxonomy::Categories, slug) => filter.category = Some(slug.clone()),
        FeedScope::Term(Taxonomy::Tags, slug) => filter.tag = Some(slug.clone()),
    }
    let query = PostListQuery {
        filter,
        page,
        ..PostListQuery::default()
    };
    let posts = run_query(pool, move |conn| {
        let posts = db::posts::list(conn, &query, now)?.posts;
        let ids: Vec<i64> = posts.iter().map(|post| post.id).collect();
        let mut bodies = db::feeds::bodies(conn, &ids)?;
        Ok::<_, diesel::result::Error>(
            posts
                .into_iter()
                .map(|summary| {
                    let body_html = bodies.remove(&summary.id).unwrap_or_default();
                    PostDetail {
                        summary,
                        body_markdown: String::new(),
                        body_html,
                    }
                })
                .collect(),
        )
    })
    .await?;
    Ok(FeedSource {
        title,
        page: page_url,
        address,
        posts,
    })
}

/// Every published post, category and tag page with its last change (three statements).
pub async fn sitemap_source(pool: &DbPool, clock: &Clock) -> Result<SitemapSource, ApiError> {
    let now = clock.now();
    Ok(run_query(pool, move |conn| db::feeds::sitemap_source(conn, now)).await?)
}
