//! Feeds (`/feed.rss`, `/feed.atom`, and per category and tag) and the sitemap (`/sitemap.xml`, split into
//! `/sitemap-{n}.xml` past `SITEMAP_MAX_URLS`). Served with their XML media types; the conditional
//! middleware gives them an `ETag`, 304 and `Cache-Control` like any public read.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::{InPath, NParam, NoQuery, SlugParam};
use super::problems::{BadRequest, NotFound, Unavailable};
use super::AppState;
use crate::domain::feed::{self, SiteLinks, SitemapUrl};
use crate::domain::{Slug, Taxonomy};
use crate::error::ApiError;
use crate::service::feeds::FeedScope;

const RSS: &str = "application/rss+xml; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
const XML: &str = "application/xml; charset=utf-8";

/// The links of this request: `SITE_URL`, else `http://` and the request's `Host` (this API's own origin,
/// under which the media files it serves are).
fn links(request: &HttpRequest, state: &AppState) -> SiteLinks {
    let site = state.feeds.site();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .unwrap_or("localhost");
    let api = format!("http://{host}");
    SiteLinks {
        base: site.url.clone().unwrap_or_else(|| api.clone()),
        api,
        media: state.media.urls().clone(),
        post: site.post_url_pattern.clone(),
        category: site.category_url_pattern.clone(),
        tag: site.tag_url_pattern.clone(),
        author: site.author_url_pattern.clone(),
    }
}

#[derive(Clone, Copy)]
enum Format {
    Rss,
    Atom,
}

async fn feed_response(
    request: &HttpRequest,
    state: &AppState,
    scope: FeedScope,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let links = links(request, state);
    let address = links.absolute(request.path());
    let source = state.feeds.feed(&links, scope, address).await?;
    Ok(match format {
        Format::Rss => HttpResponse::Ok()
            .content_type(RSS)
            .body(feed::rss(&source, &links)),
        Format::Atom => HttpResponse::Ok()
            .content_type(ATOM)
            .body(feed::atom(&source, &links)),
    })
}

macro_rules! blog_feed {
    ($name:ident, $path:literal, $format:expr, $media:literal, $summary:literal, $what:literal) => {
        #[doc = $summary]
        #[doc = ""]
        #[doc = $what]
        #[utoipa::path(
                    get,
                    path = $path,
                    tag = "feeds",
                    responses(
                        (status = 200, description = $what, content_type = $media, body = String),
                        BadRequest, Unavailable,
                    )
                )]
        pub async fn $name(
            request: HttpRequest,
            _: NoQuery,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            feed_response(&request, &state, FeedScope::Blog, $format).await
        }
    };
}

blog_feed!(
    blog_rss,
    "/feed.rss",
    Format::Rss,
    "application/rss+xml",
    "Get the blog's RSS feed",
    "The latest `FEED_ITEMS` published posts, newest first, as RSS 2.0"
);
blog_feed!(
    blog_atom,
    "/feed.atom",
    Format::Atom,
    "application/atom+xml",
    "Get the blog's Atom feed",
    "The latest `FEED_ITEMS` published posts, newest first, as Atom 1.0"
);

macro_rules! term_feed {
    (
        $name:ident, $path:literal, $scope:expr, $whose:literal, $format:expr, $media:literal,
        $summary:literal, $what:literal
    ) => {
        #[doc = $summary]
        #[doc = ""]
        #[doc = $what]
        #[utoipa::path(
                    get,
                    path = $path,
                    tag = "feeds",
                    params(("slug" = String, Path, description = $whose, example = "rust")),
                    responses(
                        (status = 200, description = $what, content_type = $media, body = String),
                        BadRequest, NotFound, Unavailable,
                    )
                )]
        pub async fn $name(
            request: HttpRequest,
            _: NoQuery,
            InPath(slug): InPath<SlugParam>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            let scope: fn(Slug) -> FeedScope = $scope;
            feed_response(&request, &state, scope(slug), $format).await
        }
    };
}

term_feed!(
    category_rss,
    "/categories/{slug}/feed.rss",
    |slug| FeedScope::Term(Taxonomy::Categories, slug),
    "The category's slug",
    Format::Rss,
    "application/rss+xml",
    "Get a category's RSS feed",
    "The latest published posts of a category, as RSS 2.0"
);
term_feed!(
    category_atom,
    "/categories/{slug}/feed.atom",
    |slug| FeedScope::Term(Taxonomy::Categories, slug),
    "The category's slug",
    Format::Atom,
    "application/atom+xml",
    "Get a category's Atom feed",
    "The latest published posts of a category, as Atom 1.0"
);
term_feed!(
    tag_rss,
    "/tags/{slug}/feed.rss",
    |slug| FeedScope::Term(Taxonomy::Tags, slug),
    "The tag's slug",
    Format::Rss,
    "application/rss+xml",
    "Get a tag's RSS feed",
    "The latest published posts with a tag, as RSS 2.0"
);
term_feed!(
    tag_atom,
    "/tags/{slug}/feed.atom",
    |slug| FeedScope::Term(Taxonomy::Tags, slug),
    "The tag's slug",
    Format::Atom,
    "application/atom+xml",
    "Get a tag's Atom feed",
    "The latest published posts with a tag, as Atom 1.0"
);

term_feed!(
    author_rss,
    "/authors/{slug}/feed.rss",
    FeedScope::Author,
    "The author's slug",
    Format::Rss,
    "application/rss+xml",
    "Get an author's RSS feed",
    "The latest published posts that name an author, as RSS 2.0"
);
term_feed!(
    author_atom,
    "/authors/{slug}/feed.atom",
    FeedScope::Author,
    "The author's slug",
    Format::Atom,
    "application/atom+xml",
    "Get an author's Atom feed",
    "The latest published posts that name an author, as Atom 1.0"
);

/// Every URL the sitemap lists: published posts (oldest first), then categories and tags holding one, then
/// (with `AUTHOR_URL_PATTERN`) authors of one.
async fn sitemap_urls(links: &SiteLinks, state: &AppState) -> Result<Vec<SitemapUrl>, ApiError> {
    let source = state.feeds.sitemap_source().await?;
    let posts = source.posts.iter().map(|post| SitemapUrl {
        loc: links.post(post.id, &post.slug),
        last_change: post.last_change,
    });
    let categories = source.categories.iter().map(|term| SitemapUrl {
        loc: links.category(&term.slug),
        last_change: term.last_change,
    });
    let tags = source.tags.iter().map(|term| SitemapUrl {
        loc: links.tag(&term.slug),
        last_change: term.last_change,
    });
    let authors = source.authors.iter().filter_map(|author| {
        links.author(&author.slug).map(|loc| SitemapUrl {
            loc,
            last_change: author.last_change,
        })
    });
    Ok(posts.chain(categories).chain(tags).chain(authors).collect())
}

/// Get the sitemap
///
/// Every published post and taxonomy page; past `SITEMAP_MAX_URLS` URLs, an index of `/sitemap-1.xml`,
/// `/sitemap-2.xml`...
#[utoipa::path(
    get,
    path = "/sitemap.xml",
    tag = "feeds",
    responses(
        (status = 200, description = "A sitemap (`urlset`), or a sitemap index when the URLs need more than one file", content_type = "application/xml", body = String),
        BadRequest, Unavailable,
    )
)]
pub async fn sitemap(
    request: HttpRequest,
    _: NoQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let links = links(&request, &state);
    let urls = sitemap_urls(&links, &state).await?;
    let per_file = usize::try_from(state.feeds.site().sitemap_max_urls).unwrap_or(usize::MAX);
    let body = if urls.len() <= per_file {
        feed::sitemap(&urls)
    } else {
        let files: Vec<SitemapUrl> = urls
            .chunks(per_file)
            .enumerate()
            .map(|(index, chunk)| SitemapUrl {
                loc: links.absolute(&format!("/sitemap-{}.xml", index + 1)),
                last_change: chunk
                    .iter()
                    .map(|url| url.last_change)
                    .max()
                    .unwrap_or_default(),
            })
            .collect();
        feed::sitemap_index(&files)
    };
    Ok(HttpResponse::Ok().content_type(XML).body(body))
}

/// Get one file of a split sitemap
///
/// The `n`th file of a split sitemap.
#[utoipa::path(
    get,
    path = "/sitemap-{n}.xml",
    tag = "feeds",
    params(("n" = u32, Path, description = "File number, from 1", minimum = 1, example = 1)),
    responses(
        (status = 200, description = "One file of a split sitemap", content_type = "application/xml", body = String),
        BadRequest, NotFound, Unavailable,
    )
)]
pub async fn sitemap_file(
    request: HttpRequest,
    _: NoQuery,
    InPath(number): InPath<NParam>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let urls = sitemap_urls(&links(&request, &state), &state).await?;
    let per_file = usize::try_from(state.feeds.site().sitemap_max_urls).unwrap_or(usize::MAX);
    let chunk = usize::try_from(number.get() - 1)
        .ok()
        .and_then(|index| urls.chunks(per_file).nth(index))
        .ok_or(ApiError::NotFound("sitemap file"))?;
    Ok(HttpResponse::Ok()
        .content_type(XML)
        .body(feed::sitemap(chunk)))
}
