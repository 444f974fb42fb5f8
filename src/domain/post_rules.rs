//! The rules of writing a post, free of storage: which slug a new post gets, what a create or a patch makes
//! of the stored row (rendered HTML, the excerpt policy, a version that always moves forward), whether an
//! `If-Match` names the current version, and the messages a refused write shows. `db::post_writes` reads the
//! row, resolves slugs to ids, calls these inside its transaction and writes what they return.

use std::fmt;

use chrono::NaiveDateTime;

use super::etag::{if_match_allows, post_etag};
use super::input::Field;
use super::markdown::{derive_excerpt, render_html};
use super::post_input::{NewPost, PostChanges};
use super::Slug;

/// A post's content columns, as stored. Everything derived (HTML, excerpt) is derived here, at write time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub body_markdown: String,
    pub body_html: String,
    pub author: String,
    pub category_id: Option<i64>,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// The SEO fields as set (`None`: filled from the title, the excerpt, or absent on reads).
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
}

/// A slug that a write names but no row has: `field` is the body field that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownReference {
    pub field: &'static str,
    pub noun: &'static str,
    /// What it was named by: `slug`, or `id` for a media.
    pub key: &'static str,
    pub slug: String,
}

impl UnknownReference {
    pub fn category(slug: &Slug) -> Self {
        UnknownReference {
            field: "category",
            noun: "category",
            key: "slug",
            slug: slug.as_str().to_owned(),
        }
    }

    pub fn author(slug: &str) -> Self {
        UnknownReference {
            field: "authors",
            noun: "author",
            key: "slug",
            slug: slug.to_owned(),
        }
    }

    pub fn tag(slug: &str) -> Self {
        UnknownReference {
            field: "tags",
            noun: "tag",
            key: "slug",
            slug: slug.to_owned(),
        }
    }

    pub fn feature_image(id: i64) -> Self {
        UnknownReference {
            field: "feature_image_id",
            noun: "media",
            key: "id",
            slug: id.to_string(),
        }
    }
}

impl fmt::Display for UnknownReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no {} has the {} `{}`", self.noun, self.key, self.slug)
    }
}

/// Adds each unknown reference to the field errors of a body, under the field that named it.
pub fn add_unknown_references(
    errors: &mut super::input::FieldErrors,
    unknown: impl IntoIterator<Item = UnknownReference>,
) {
    for reference in unknown {
        errors
            .entry(reference.field.to_owned())
            .or_default()
            .push(reference.to_string());
    }
}

/// A slug in use by another row of the same table (the message a 409 carries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlugTaken {
    pub noun: &'static str,
    pub slug: String,
    pub owner: i64,
}

impl fmt::Display for SlugTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the slug `{}` is taken by {} {}",
            self.slug, self.noun, self.owner
        )
    }
}

/// The slug a new row gets when none is sent: `base`, or `base-2`, `base-3`... whichever is not in `taken`
/// (the slugs of the rows that look like `base` or `base-*`).
pub fn free_slug(base: &Slug, taken: &[String]) -> Slug {
    let mut candidate = base.clone();
    let mut n = 1;
    while taken.iter().any(|slug| slug == candidate.as_str()) {
        n += 1;
        candidate = base.numbered(n);
    }
    candidate
}

/// The slug a new post is named after when it sends none.
pub fn base_slug(post: &NewPost) -> Slug {
    Slug::from_text(&post.title, "post")
}

/// The row of a new post, created at `now`, under `slug` (sent or allocated) in `category_id` (resolved).
pub fn new_row(
    post: &NewPost,
    slug: &Slug,
    category_id: Option<i64>,
    now: NaiveDateTime,
) -> PostRow {
    let excerpt = match &post.excerpt {
        Field::Value(excerpt) => excerpt.clone(),
        Field::Absent | Field::Null => derive_excerpt(&post.body_markdown),
    };
    PostRow {
        slug: slug.as_str().to_owned(),
        title: post.title.clone(),
        excerpt,
        body_markdown: post.body_markdown.clone(),
        body_html: render_html(&post.body_markdown),
        // With `authors` instead, the caller sets the primary author's name.
        author: post.author.clone().unwrap_or_default(),
        category_id,
        published_at: post.published_at.clone().value(),
        updated_at: now,
        meta_title: post.meta_title.clone().value(),
        meta_description: post.meta_description.clone().value(),
        canonical_url: post.canonical_url.clone().value(),
    }
}

/// `current` with the fields `changes` sends applied; `category` is the sent category resolved to its id.
/// A derived excerpt follows a new body, one written by hand stays, `null` derives it again. The new
/// version is strictly later than the one it replaces, so its `ETag` always changes.
pub fn apply(
    changes: &PostChanges,
    category: &Field<i64>,
    current: &PostRow,
    now: NaiveDateTime,
) -> PostRow {
    let body = changes
        .body_markdown
        .clone()
        .unwrap_or_else(|| current.body_markdown.clone());
    let excerpt = match &changes.excerpt {
        Field::Value(excerpt) => excerpt.clone(),
        Field::Null => derive_excerpt(&body),
        Field::Absent if current.excerpt == derive_excerpt(&current.body_markdown) => {
            derive_excerpt(&body)
        }
        Field::Absent => current.excerpt.clone(),
    };
    let body_html = render_html(&body);
    PostRow {
        slug: changes
            .slug
            .as_ref()
            .map_or_else(|| current.slug.clone(), |slug| slug.as_str().to_owned()),
        title: changes
            .title
            .clone()
            .unwrap_or_else(|| current.title.clone()),
        excerpt,
        body_markdown: body,
        body_html,
        author: changes
            .author
            .clone()
            .unwrap_or_else(|| current.author.clone()),
        category_id: match category {
            Field::Absent => current.category_id,
            Field::Null => None,
            Field::Value(id) => Some(*id),
        },
        published_at: match &changes.published_at {
            Field::Absent => current.published_at,
            Field::Null => None,
            Field::Value(at) => Some(*at),
        },
        updated_at: now.max(current.updated_at + chrono::Duration::microseconds(1)),
        meta_title: changed(&changes.meta_title, current.meta_title.as_ref()),
        meta_description: changed(&changes.meta_description, current.meta_description.as_ref()),
        canonical_url: changed(&changes.canonical_url, current.canonical_url.as_ref()),
    }
}

/// An optional field after a patch: sent, cleared with `null`, or as it was.
fn changed<T: Clone>(sent: &Field<T>, current: Option<&T>) -> Option<T> {
    match sent {
        Field::Absent => current.cloned(),
        Field::Null => None,
        Field::Value(value) => Some(value.clone()),
    }
}

/// Whether a write conditioned on `if_match` may go ahead on post `id` at version `updated_at`: yes with no
/// `If-Match`, else only when it names the current `ETag` (or `*`).
pub fn version_matches(id: i64, updated_at: NaiveDateTime, if_match: Option<&str>) -> bool {
    if_match.is_none_or(|header| if_match_allows(header, &post_etag(id, updated_at.and_utc())))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration};

    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0)
            .unwrap_or_default()
            .naive_utc()
    }

    fn new_post(body: &[u8]) -> NewPost {
        PostChanges::for_create(body).expect("a valid create body")
    }

    fn stored() -> PostRow {
        let post =
            new_post(br#"{"title": "Hello", "author": "Ann", "body_markdown": "First *post*."}"#);
        new_row(&post, &base_slug(&post), None, at(0))
    }

    fn patch(body: &[u8]) -> PostChanges {
        PostChanges::for_update(body).expect("a valid patch body")
    }

    #[test]
    fn a_free_slug_skips_every_taken_number() {
        let base = Slug::from_text("Hello", "post");
        assert_eq!(free_slug(&base, &[]).as_str(), "hello");
        let taken = [
            "hello".to_owned(),
            "hello-2".to_owned(),
            "hello-4".to_owned(),
        ];
        assert_eq!(free_slug(&base, &taken).as_str(), "hello-3");
    }

    #[test]
    fn a_new_row_renders_its_body_and_derives_a_missing_excerpt() {
        let row = stored();
        assert_eq!(row.slug, "hello");
        assert_eq!(row.excerpt, "First post.");
        assert!(row.body_html.contains("<em>post</em>"), "{}", row.body_html);
        assert_eq!((row.published_at, row.updated_at), (None, at(0)));
    }

    #[test]
    fn a_derived_excerpt_follows_the_body_and_a_written_one_stays() {
        let derived = apply(
            &patch(br#"{"body_markdown": "New body."}"#),
            &Field::Absent,
            &stored(),
            at(5),
        );
        assert_eq!(derived.excerpt, "New body.");
        assert!(derived.body_html.contains("New body."));

        let mut written = stored();
        written.excerpt = String::from("By hand");
        let kept = apply(
            &patch(br#"{"body_markdown": "New body."}"#),
            &Field::Absent,
            &written,
            at(5),
        );
        assert_eq!(kept.excerpt, "By hand");
        let reset = apply(
            &patch(br#"{"excerpt": null}"#),
            &Field::Absent,
            &written,
            at(5),
        );
        assert_eq!(reset.excerpt, "First post.");
    }

    #[test]
    fn a_patch_keeps_absent_fields_and_clears_null_ones() {
        let mut current = stored();
        current.category_id = Some(3);
        current.published_at = Some(at(1));
        let row = apply(
            &patch(br#"{"title": "Renamed", "published_at": null}"#),
            &Field::Absent,
            &current,
            at(9),
        );
        assert_eq!(
            (row.title.as_str(), row.author.as_str()),
            ("Renamed", "Ann")
        );
        assert_eq!((row.category_id, row.published_at), (Some(3), None));
        let cleared = apply(&patch(b"{}"), &Field::Null, &current, at(9));
        assert_eq!(cleared.category_id, None);
    }

    #[test]
    fn the_version_moves_forward_even_when_the_clock_does_not() {
        let current = stored();
        let row = apply(&patch(b"{}"), &Field::Absent, &current, at(-60));
        assert_eq!(
            row.updated_at,
            current.updated_at + Duration::microseconds(1)
        );
    }

    #[test]
    fn if_match_must_name_the_current_version() {
        let current = post_etag(7, at(0).and_utc());
        assert!(version_matches(7, at(0), None));
        assert!(version_matches(7, at(0), Some(&current)));
        assert!(version_matches(7, at(0), Some("*")));
        assert!(!version_matches(7, at(1), Some(&current)));
    }

    #[test]
    fn refusals_read_as_sentences() {
        let slug = Slug::from_text("News", "category");
        assert_eq!(
            UnknownReference::category(&slug).to_string(),
            "no category has the slug `news`"
        );
        let taken = SlugTaken {
            noun: "post",
            slug: String::from("hello"),
            owner: 4,
        };
        assert_eq!(taken.to_string(), "the slug `hello` is taken by post 4");
    }
}
