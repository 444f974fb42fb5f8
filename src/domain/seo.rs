//! What a frontend renders into `<head>` for a post: the meta title and description (filled from the title
//! and excerpt when unset, by the read's query), the canonical URL, and a schema.org `BlogPosting` as JSON-LD.

use serde_json::{json, Value};

use super::{PostDetail, PostSummary};

/// The fields a post's JSON-LD is made from: a read asking for `json_ld` alone reads these too.
pub const JSON_LD_NEEDS: [&str; 7] = [
    "slug",
    "title",
    "author",
    "tags",
    "word_count",
    "meta_description",
    "canonical_url",
];

/// Where a post's page is, when the settings say so: `POST_URL_PATTERN` when it is an absolute URL, else
/// `SITE_URL` and the pattern; without `SITE_URL` a relative pattern names no page (the API does not guess
/// the frontend's host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPages {
    /// `SITE_URL`, without a trailing slash.
    pub site_url: Option<String>,
    /// `POST_URL_PATTERN`, with `{slug}` and/or `{id}`.
    pub pattern: String,
    /// Where media files are served from (`MEDIA_PUBLIC_URL`, else this API).
    pub media: super::media::MediaUrls,
}

impl PostPages {
    pub fn url(&self, id: i64, slug: &str) -> Option<String> {
        let path = self
            .pattern
            .replace("{slug}", slug)
            .replace("{id}", &id.to_string());
        if path.starts_with("http://") || path.starts_with("https://") {
            Some(path)
        } else {
            self.site_url.as_ref().map(|base| format!("{base}{path}"))
        }
    }

    /// The post's schema.org `BlogPosting`: headline, dates, author, word count, keywords (its tags),
    /// description, and its page (`canonical_url` when set, else where the settings put it) when known.
    pub fn json_ld(&self, post: &PostDetail) -> Value {
        let summary = &post.summary;
        let mut posting = serde_json::Map::new();
        let mut put = |key: &str, value: Value| {
            posting.insert(key.to_owned(), value);
        };
        put("@context", json!("https://schema.org"));
        put("@type", json!("BlogPosting"));
        put("headline", json!(summary.title));
        put("description", json!(post.meta_description));
        if let Some(published) = summary.published_at {
            put("datePublished", json!(published));
        }
        put("dateModified", json!(summary.updated_at));
        put(
            "author",
            json!([{"@type": "Person", "name": summary.author}]),
        );
        put("wordCount", json!(summary.word_count));
        let keywords: Vec<&str> = summary.tags.iter().map(|tag| tag.name.as_str()).collect();
        put("keywords", json!(keywords));
        let page = post
            .canonical_url
            .clone()
            .or_else(|| self.url(summary.id, &summary.slug));
        if let Some(page) = page {
            put("url", json!(page));
            put("mainEntityOfPage", json!(page));
        }
        // Only an absolute URL (from MEDIA_PUBLIC_URL) means anything on the blog's own pages.
        if let Some(image) = summary
            .feature_image
            .as_ref()
            .filter(|image| is_absolute(&image.url))
        {
            put("image", json!(image.url));
        }
        Value::Object(posting)
    }

    /// Moves a post's feature image URLs (read as this API's paths) under `MEDIA_PUBLIC_URL` when it is set.
    pub fn place_images(&self, post: &mut PostSummary) {
        if let Some(image) = post.feature_image.as_mut() {
            self.media.rebase(image);
        }
    }
}

fn is_absolute(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_known_from_an_absolute_pattern_or_the_site_url() {
        let pages = |site_url: Option<&str>, pattern: &str| PostPages {
            media: crate::domain::media::MediaUrls::default(),
            site_url: site_url.map(str::to_owned),
            pattern: pattern.to_owned(),
        };
        assert_eq!(pages(None, "/posts/{slug}").url(3, "hello"), None);
        assert_eq!(
            pages(Some("https://blog.example.com"), "/posts/{slug}").url(3, "hello"),
            Some(String::from("https://blog.example.com/posts/hello"))
        );
        assert_eq!(
            pages(None, "https://example.org/{id}/{slug}").url(3, "hello"),
            Some(String::from("https://example.org/3/hello"))
        );
    }
}
