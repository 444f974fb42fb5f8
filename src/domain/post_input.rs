//! The body of `POST /posts` and `PATCH /posts/{id}`, validated.

use chrono::NaiveDateTime;
use utoipa::ToSchema;

use super::input::{
    names, BodyField, Field, FieldErrors, FieldRule, JsonObject, MalformedBody, SLUGS_MAX,
};
use super::Slug;

/// Body of `PATCH /posts/{id}`: any fields of a create; only those sent change.
// Parsed by `for_update`; `None` or `Field::Absent` leaves a field as it is. The document's `PostPatch`.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(as = PostPatch, example = json!({"title": "Hello again", "published_at": null}))]
pub struct PostChanges {
    #[schema(nullable = false, value_type = Option<String>)]
    pub title: Option<String>,
    #[schema(nullable = false, value_type = Option<String>)]
    pub slug: Option<Slug>,
    #[schema(nullable = false, value_type = Option<String>)]
    pub body_markdown: Option<String>,
    /// `null`: derive it from the body.
    #[schema(value_type = Option<String>)]
    pub excerpt: Field<String>,
    #[schema(nullable = false, value_type = Option<String>)]
    pub author: Option<String>,
    /// Author slugs in order, 1 to 10 (the first is the primary author); replace the post's authors.
    #[schema(nullable = false, inline, value_type = Option<Vec<Slug>>)]
    pub authors: Option<Vec<Slug>>,
    /// A category slug; `null`: no category.
    #[schema(value_type = Option<String>)]
    pub category: Field<Slug>,
    /// Tag slugs; replace the post's tags.
    #[schema(nullable = false, inline, value_type = Option<Vec<Slug>>)]
    pub tags: Option<Vec<Slug>>,
    /// RFC 3339. `null`: a draft; in the future: scheduled.
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub published_at: Field<NaiveDateTime>,
    /// For `<title>`, 1 to 300 characters; `null`: the title is used.
    #[schema(value_type = Option<String>)]
    pub meta_title: Field<String>,
    /// For `<meta name="description">`, 1 to 1,000 characters; `null`: the excerpt is used.
    #[schema(value_type = Option<String>)]
    pub meta_description: Field<String>,
    /// The page search engines should index for this content (an absolute http or https URL), when the
    /// post is also published elsewhere; `null`: none.
    #[schema(value_type = Option<String>, format = "uri")]
    pub canonical_url: Field<String>,
    /// The id of a media to show with the post (`GET /media`); `null`: none.
    #[schema(value_type = Option<i64>)]
    pub feature_image_id: Field<i64>,
}

/// Body of `POST /posts`: a new post.
// Parsed by `PostChanges::for_create`. The document's `PostCreate`.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(as = PostCreate, example = json!({"title": "Hello", "author": "Ann", "body_markdown": "First *post*.",
    "category": "programming", "tags": ["rust"], "published_at": "2026-12-01T09:00:00Z"}))]
pub struct NewPost {
    /// 1 to 300 characters.
    pub title: String,
    /// `[a-z0-9-]`, 1 to 200 characters; made from the title when absent (409 when taken).
    #[schema(nullable = false, value_type = Option<String>)]
    pub slug: Option<Slug>,
    /// Markdown, 1 to 500,000 characters.
    pub body_markdown: String,
    /// Derived from the body when absent or null.
    #[schema(value_type = Option<String>)]
    pub excerpt: Field<String>,
    /// The author's name, 1 to 100 characters: found or made as an author. Required unless `authors` is
    /// sent.
    #[schema(nullable = false, value_type = Option<String>)]
    pub author: Option<String>,
    /// Author slugs in order, 1 to 10 (the first is the primary author, whose name `author` becomes).
    #[schema(nullable = false, inline, value_type = Option<Vec<Slug>>)]
    pub authors: Option<Vec<Slug>>,
    /// A category slug, or null.
    #[schema(value_type = Option<String>)]
    pub category: Field<Slug>,
    /// Tag slugs (at most 50).
    #[schema(nullable = false, inline, value_type = Option<Vec<Slug>>)]
    pub tags: Option<Vec<Slug>>,
    /// RFC 3339. Null: a draft; in the future: scheduled.
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub published_at: Field<NaiveDateTime>,
    /// For `<title>`, 1 to 300 characters; `null`: the title is used.
    #[schema(value_type = Option<String>)]
    pub meta_title: Field<String>,
    /// For `<meta name="description">`, 1 to 1,000 characters; `null`: the excerpt is used.
    #[schema(value_type = Option<String>)]
    pub meta_description: Field<String>,
    /// The page search engines should index for this content (an absolute http or https URL), when the
    /// post is also published elsewhere; `null`: none.
    #[schema(value_type = Option<String>, format = "uri")]
    pub canonical_url: Field<String>,
    /// The id of a media to show with the post (`GET /media`); `null`: none.
    #[schema(value_type = Option<i64>)]
    pub feature_image_id: Field<i64>,
}

/// The category, tag and author slugs a body names (where well-formed), for a 422 that lists unknown ones.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub category: Field<Slug>,
    pub tags: Option<Vec<Slug>>,
    pub authors: Option<Vec<Slug>>,
    pub feature_image_id: Field<i64>,
}

/// A body that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// Not a JSON object: 400.
    Malformed(MalformedBody),
    /// Fields with errors: 422.
    Invalid(FieldErrors),
}

pub const TITLE_MAX: usize = 300;
pub const BODY_MAX: usize = 500_000;
pub const EXCERPT_MAX: usize = 1_000;
pub const AUTHOR_MAX: usize = 100;
/// The most authors a post names.
pub const AUTHORS_MAX: usize = 10;
/// The longest `canonical_url`.
pub const URL_MAX: usize = 2000;

const TITLE: BodyField = BodyField::text("title", TITLE_MAX);
const SLUG: BodyField = BodyField::slug("slug");
const BODY: BodyField = BodyField::multiline("body_markdown", BODY_MAX);
const EXCERPT: BodyField = BodyField::multiline("excerpt", EXCERPT_MAX);
const AUTHOR: BodyField = BodyField::text("author", AUTHOR_MAX);
const CATEGORY: BodyField = BodyField::slug("category");
const TAGS: BodyField = BodyField::slugs("tags", SLUGS_MAX);
const AUTHORS: BodyField = BodyField::slugs("authors", AUTHORS_MAX);
const PUBLISHED_AT: BodyField = BodyField::timestamp("published_at");
const META_TITLE: BodyField = BodyField::text("meta_title", TITLE_MAX);
const META_DESCRIPTION: BodyField = BodyField::multiline("meta_description", EXCERPT_MAX);
const CANONICAL_URL: BodyField = BodyField {
    name: "canonical_url",
    rule: FieldRule::Url { max: URL_MAX },
};
const FEATURE_IMAGE_ID: BodyField = BodyField {
    name: "feature_image_id",
    rule: FieldRule::Id,
};

/// Every field of a post body (a create's and a patch's).
pub const FIELDS: [BodyField; 13] = [
    TITLE,
    SLUG,
    BODY,
    EXCERPT,
    AUTHOR,
    AUTHORS,
    CATEGORY,
    TAGS,
    PUBLISHED_AT,
    META_TITLE,
    META_DESCRIPTION,
    CANONICAL_URL,
    FEATURE_IMAGE_ID,
];

impl PostChanges {
    /// A new post: `title`, `author` and `body_markdown` are required.
    pub fn for_create(body: &[u8]) -> Result<NewPost, InputError> {
        let changes = Self::read(body, true)?;
        let named = changes.author.is_some() || changes.authors.is_some();
        match (changes.title, changes.body_markdown) {
            (Some(title), Some(body_markdown)) if named => Ok(NewPost {
                title,
                slug: changes.slug,
                body_markdown,
                excerpt: changes.excerpt,
                author: changes.author,
                authors: changes.authors,
                category: changes.category,
                tags: changes.tags,
                published_at: changes.published_at,
                meta_title: changes.meta_title,
                meta_description: changes.meta_description,
                canonical_url: changes.canonical_url,
                feature_image_id: changes.feature_image_id,
            }),
            // `read` reported every missing required field already.
            _ => Err(InputError::Invalid(FieldErrors::new())),
        }
    }

    /// A partial update: only the fields sent change.
    pub fn for_update(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, false)
    }

    /// The category and tags a body names, where they are well-formed slugs (the rest of the body may be
    /// invalid): so that a 422 can name unknown ones next to the other bad fields.
    pub fn references(body: &[u8]) -> References {
        let Ok(mut object) = JsonObject::parse(body, &names(&FIELDS)) else {
            return References::default();
        };
        References {
            category: object.slug(CATEGORY.name),
            tags: object.slugs(TAGS.name).value(),
            authors: object.slugs_up_to(AUTHORS.name, AUTHORS_MAX).value(),
            feature_image_id: object.id(FEATURE_IMAGE_ID.name),
        }
    }

    fn read(body: &[u8], create: bool) -> Result<Self, InputError> {
        let mut object = JsonObject::parse(body, &names(&FIELDS)).map_err(InputError::Malformed)?;
        let title = object.text_field(&TITLE);
        let slug = object.slug(SLUG.name);
        let body_markdown = object.text_field(&BODY);
        let excerpt = object.text_field(&EXCERPT);
        let author = object.text_field(&AUTHOR);
        let category = object.slug(CATEGORY.name);
        let tags = object.slugs(TAGS.name);
        let authors = object.slugs_up_to(AUTHORS.name, AUTHORS_MAX);
        if matches!(&authors, Field::Value(list) if list.is_empty()) {
            object.error(
                AUTHORS.name,
                format!("must name 1 to {AUTHORS_MAX} authors"),
            );
        }
        let published_at = object.timestamp(PUBLISHED_AT.name);
        let meta_title = object.text_field(&META_TITLE);
        let meta_description = object.text_field(&META_DESCRIPTION);
        let canonical_url = object.url_field(&CANONICAL_URL);
        let feature_image_id = object.id(FEATURE_IMAGE_ID.name);
        if create {
            object.require(TITLE.name, &title);
            if authors == Field::Absent {
                object.require(AUTHOR.name, &author);
            }
            object.require(BODY.name, &body_markdown);
        }
        for (name, is_null) in [
            (TITLE.name, title == Field::Null),
            (SLUG.name, slug == Field::Null),
            (BODY.name, body_markdown == Field::Null),
            (AUTHOR.name, author == Field::Null),
            (TAGS.name, tags == Field::Null),
            (AUTHORS.name, authors == Field::Null),
        ] {
            if is_null && !object.has_error(name) {
                object.error(name, "must not be null");
            }
        }
        object.finish().map_err(InputError::Invalid)?;
        Ok(PostChanges {
            title: title.value(),
            slug: slug.value(),
            body_markdown: body_markdown.value(),
            excerpt,
            author: author.value(),
            authors: authors.value(),
            category,
            tags: tags.value(),
            published_at,
            meta_title,
            meta_description,
            canonical_url,
            feature_image_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_needs_title_author_and_body() {
        let Err(InputError::Invalid(errors)) = PostChanges::for_create(b"{}") else {
            panic!("expected field errors");
        };
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["author", "body_markdown", "title"]);
    }

    #[test]
    fn a_patch_keeps_absent_fields_and_clears_nullable_ones() {
        let changes =
            PostChanges::for_update(br#"{"category": null, "published_at": null}"#).expect("valid");
        assert_eq!(changes.title, None);
        assert_eq!(changes.category, Field::Null);
        assert_eq!(changes.published_at, Field::Null);
        assert_eq!(changes.excerpt, Field::Absent);
    }

    #[test]
    fn required_fields_cannot_be_nulled() {
        let Err(InputError::Invalid(errors)) =
            PostChanges::for_update(br#"{"title": null, "tags": null}"#)
        else {
            panic!("expected field errors");
        };
        assert!(errors.contains_key("title") && errors.contains_key("tags"));
    }
}
