//! Feeds (RSS 2.0 and Atom 1.0) and sitemaps, written by XML crates (`rss`, `atom_syndication`, `quick-xml`),
//! never by concatenating strings: every title and body is escaped by the writer.

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::{PostDetail, PostSummary};

/// Where the blog's pages are: a base URL and the path patterns of posts and taxonomy pages
/// (`SITE_URL`, `POST_URL_PATTERN`, `CATEGORY_URL_PATTERN`, `TAG_URL_PATTERN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteLinks {
    /// `https://blog.example.com`, without a trailing slash.
    pub base: String,
    /// With `{slug}` and/or `{id}`, like `/posts/{slug}`.
    pub post: String,
    /// With `{slug}`.
    pub category: String,
    /// With `{slug}`, when the settings name author pages.
    pub author: Option<String>,
    pub tag: String,
    /// This API's own origin (`http://` and the request's `Host`): media files it serves are under it.
    pub api: String,
    /// Where media files are served from (`MEDIA_PUBLIC_URL`, else this API).
    pub media: super::media::MediaUrls,
}

impl SiteLinks {
    /// `path` made absolute (a pattern may already be an absolute URL).
    pub fn absolute(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn post(&self, id: i64, slug: &str) -> String {
        self.absolute(
            &self
                .post
                .replace("{slug}", slug)
                .replace("{id}", &id.to_string()),
        )
    }

    pub fn category(&self, slug: &str) -> String {
        self.absolute(&self.category.replace("{slug}", slug))
    }

    pub fn tag(&self, slug: &str) -> String {
        self.absolute(&self.tag.replace("{slug}", slug))
    }

    /// An author's page, when the settings name one.
    pub fn author(&self, slug: &str) -> Option<String> {
        self.author
            .as_ref()
            .map(|pattern| self.absolute(&pattern.replace("{slug}", slug)))
    }
}

impl SiteLinks {
    /// A post's feature image as an enclosure: its absolute URL, type and size.
    fn enclosure(&self, post: &PostSummary) -> Option<(String, String, u64)> {
        let mut image = post.feature_image.clone()?;
        self.media.rebase(&mut image);
        let url = if image.url.starts_with("http://") || image.url.starts_with("https://") {
            image.url
        } else {
            format!("{}{}", self.api, image.url)
        };
        Some((url, image.content_type, image.bytes))
    }
}

/// One feed: its title, the page it stands for, its own address, and its posts, newest first.
#[derive(Debug, Clone)]
pub struct FeedSource {
    pub title: String,
    /// The human page the feed follows (the blog's home, a category page...).
    pub page: String,
    /// The feed's own URL (Atom's `rel="self"`).
    pub address: String,
    pub posts: std::sync::Arc<Vec<PostDetail>>,
}

fn published(post: &PostSummary) -> DateTime<Utc> {
    post.published_at.unwrap_or(post.updated_at)
}

/// When the feed last changed: its newest post's last change, else the Unix epoch (an empty feed).
fn last_change(source: &FeedSource) -> DateTime<Utc> {
    source
        .posts
        .iter()
        .map(|post| post.summary.updated_at.max(published(&post.summary)))
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The feed as RSS 2.0: each item with its title, link, permalink guid, excerpt, sanitized HTML body
/// (`content:encoded`), author (`dc:creator`: RSS's own `author` must be an e-mail address), category and
/// tags, and publication date.
pub fn rss(source: &FeedSource, links: &SiteLinks) -> String {
    let items = source
        .posts
        .iter()
        .map(|post| {
            let summary = &post.summary;
            let link = links.post(summary.id, &summary.slug);
            let mut categories: Vec<rss::Category> = summary
                .category
                .iter()
                .map(|category| rss::Category {
                    name: category.name.clone(),
                    domain: Some(links.category(&category.slug)),
                })
                .collect();
            categories.extend(summary.tags.iter().map(|tag| rss::Category {
                name: tag.name.clone(),
                domain: Some(links.tag(&tag.slug)),
            }));
            rss::Item {
                title: Some(summary.title.clone()),
                link: Some(link.clone()),
                description: Some(summary.excerpt.clone()),
                content: Some(post.body_html.clone()),
                guid: Some(rss::Guid {
                    value: link,
                    permalink: true,
                }),
                pub_date: Some(published(summary).to_rfc2822()),
                categories,
                dublin_core_ext: Some(rss::extension::dublincore::DublinCoreExtension {
                    creators: vec![summary.author.clone()],
                    ..Default::default()
                }),
                enclosure: links.enclosure(summary).map(|(url, mime_type, length)| {
                    rss::Enclosure {
                        url,
                        length: length.to_string(),
                        mime_type,
                    }
                }),
                ..Default::default()
            }
        })
        .collect();
    let channel = rss::Channel {
        title: source.title.clone(),
        link: source.page.clone(),
        description: source.title.clone(),
        last_build_date: Some(last_change(source).to_rfc2822()),
        generator: Some(String::from("blog-api")),
        items,
        ..Default::default()
    };
    channel.to_string()
}

/// The feed as Atom 1.0: each entry with its id (the post's link), title, link, author, category and tags,
/// published and updated dates, excerpt as summary and sanitized HTML body as content.
pub fn atom(source: &FeedSource, links: &SiteLinks) -> String {
    let entries = source
        .posts
        .iter()
        .map(|post| {
            let summary = &post.summary;
            let link = links.post(summary.id, &summary.slug);
            let mut categories: Vec<atom_syndication::Category> = summary
                .category
                .iter()
                .map(|category| atom_syndication::Category {
                    term: category.slug.clone(),
                    scheme: Some(links.category("")),
                    label: Some(category.name.clone()),
                })
                .collect();
            categories.extend(summary.tags.iter().map(|tag| atom_syndication::Category {
                term: tag.slug.clone(),
                scheme: Some(links.tag("")),
                label: Some(tag.name.clone()),
            }));
            atom_syndication::Entry {
                id: link.clone(),
                title: atom_syndication::Text::plain(summary.title.clone()),
                updated: summary.updated_at.into(),
                published: Some(published(summary).into()),
                authors: vec![atom_syndication::Person {
                    name: summary.author.clone(),
                    ..Default::default()
                }],
                links: std::iter::once(atom_syndication::Link {
                    href: link,
                    rel: String::from("alternate"),
                    mime_type: Some(String::from("text/html")),
                    ..Default::default()
                })
                .chain(links.enclosure(summary).map(|(href, mime_type, length)| {
                    atom_syndication::Link {
                        href,
                        rel: String::from("enclosure"),
                        mime_type: Some(mime_type),
                        length: Some(length.to_string()),
                        ..Default::default()
                    }
                }))
                .collect(),
                categories,
                summary: Some(atom_syndication::Text::plain(summary.excerpt.clone())),
                content: Some(atom_syndication::Content {
                    value: Some(post.body_html.clone()),
                    content_type: Some(String::from("html")),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = atom_syndication::Feed {
        id: source.address.clone(),
        title: atom_syndication::Text::plain(source.title.clone()),
        updated: last_change(source).into(),
        links: vec![
            atom_syndication::Link {
                href: source.address.clone(),
                rel: String::from("self"),
                mime_type: Some(String::from("application/atom+xml")),
                ..Default::default()
            },
            atom_syndication::Link {
                href: source.page.clone(),
                rel: String::from("alternate"),
                mime_type: Some(String::from("text/html")),
                ..Default::default()
            },
        ],
        generator: Some(atom_syndication::Generator {
            value: String::from("blog-api"),
            ..Default::default()
        }),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

/// One `<url>` of a sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapUrl {
    pub loc: String,
    pub last_change: NaiveDateTime,
}

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// A sitemap (`<urlset>`) of `urls`.
pub fn sitemap(urls: &[SitemapUrl]) -> String {
    sitemap_document("urlset", "url", urls)
}

/// A sitemap index (`<sitemapindex>`) of the sitemaps at `urls`.
pub fn sitemap_index(urls: &[SitemapUrl]) -> String {
    sitemap_document("sitemapindex", "sitemap", urls)
}

fn sitemap_document(root: &str, item: &str, urls: &[SitemapUrl]) -> String {
    let mut writer = Writer::new(Vec::new());
    // Writing into a Vec cannot fail: the results carry only the Vec's own (infallible) I/O.
    let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let _ = writer.write_event(Event::Start(
        BytesStart::new(root).with_attributes([("xmlns", SITEMAP_NS)]),
    ));
    for url in urls {
        let _ = writer.write_event(Event::Start(BytesStart::new(item)));
        text_element(&mut writer, "loc", &url.loc);
        text_element(
            &mut writer,
            "lastmod",
            &url.last_change
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        let _ = writer.write_event(Event::End(BytesEnd::new(item)));
    }
    let _ = writer.write_event(Event::End(BytesEnd::new(root)));
    String::from_utf8_lossy(&writer.into_inner()).into_owned()
}

fn text_element(writer: &mut Writer<Vec<u8>>, name: &str, text: &str) {
    let _ = writer.write_event(Event::Start(BytesStart::new(name)));
    let _ = writer.write_event(Event::Text(BytesText::new(text)));
    let _ = writer.write_event(Event::End(BytesEnd::new(name)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> SiteLinks {
        SiteLinks {
            api: String::from("http://api.example.com"),
            media: crate::domain::media::MediaUrls::default(),
            base: String::from("https://blog.example.com"),
            post: String::from("/p/{id}/{slug}"),
            category: String::from("/c/{slug}"),
            tag: String::from("https://tags.example.com/{slug}"),
            author: None,
        }
    }

    #[test]
    fn links_follow_the_patterns() {
        assert_eq!(
            links().post(7, "hello"),
            "https://blog.example.com/p/7/hello"
        );
        assert_eq!(links().category("x"), "https://blog.example.com/c/x");
        assert_eq!(links().tag("y"), "https://tags.example.com/y");
    }

    #[test]
    fn sitemaps_escape_what_they_list() {
        let xml = sitemap(&[SitemapUrl {
            loc: String::from("https://blog.example.com/?a=1&b=<2>"),
            last_change: DateTime::UNIX_EPOCH.naive_utc(),
        }]);
        assert!(
            xml.contains("<loc>https://blog.example.com/?a=1&amp;b=&lt;2&gt;</loc>"),
            "{xml}"
        );
        assert!(
            xml.contains("<lastmod>1970-01-01T00:00:00Z</lastmod>"),
            "{xml}"
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><urlset xmlns="));
    }
}
