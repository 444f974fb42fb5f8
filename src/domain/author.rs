//! Authors (README "Authors"): who wrote a post, with a bio, a website and an avatar.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::input::{names, BodyField, Field, FieldRule, JsonObject};
use super::post_input::InputError;
use super::Slug;

pub const NAME_MAX: usize = 100;
pub const BIO_MAX: usize = 10_000;
pub const URL_MAX: usize = 2000;

const NAME: BodyField = BodyField::text("name", NAME_MAX);
const SLUG: BodyField = BodyField::slug("slug");
const BIO: BodyField = BodyField::multiline("bio", BIO_MAX);
const WEBSITE: BodyField = BodyField {
    name: "website",
    rule: FieldRule::Url { max: URL_MAX },
};
const AVATAR_URL: BodyField = BodyField {
    name: "avatar_url",
    rule: FieldRule::Url { max: URL_MAX },
};

/// Every field of an author body.
pub const FIELDS: [BodyField; 5] = [NAME, SLUG, BIO, WEBSITE, AVATAR_URL];

/// An author as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "slug": "ann", "name": "Ann", "bio": "Writes about *databases*.",
    "bio_html": "<p>Writes about <em>databases</em>.</p>\n", "website": "https://ann.example.com",
    "avatar_url": null, "post_count": 12}))]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Markdown, as written.
    pub bio: String,
    /// Rendered from `bio` when it was written, and sanitized.
    pub bio_html: String,
    pub website: Option<String>,
    pub avatar_url: Option<String>,
    /// Published posts that name this author.
    pub post_count: i64,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /authors` (`name` required) and `PATCH /authors/{slug}` (only the fields sent change).
// Parsed by `for_create` and `for_update`. The document's `AuthorBody`.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
#[schema(as = AuthorBody, example = json!({"name": "Ann", "bio": "Writes about *databases*.",
    "website": "https://ann.example.com"}))]
pub struct AuthorChanges {
    /// 1 to 100 characters.
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// `[a-z0-9-]`, 1 to 200 characters; made from the name when absent on create (409 when taken).
    #[schema(nullable = false, value_type = Option<String>)]
    pub slug: Option<Slug>,
    /// Markdown, up to 10,000 characters; `null` or absent on create: none.
    #[schema(value_type = Option<String>)]
    pub bio: Field<String>,
    /// An absolute http or https URL, or null.
    #[schema(value_type = Option<String>, format = "uri")]
    pub website: Field<String>,
    /// An absolute http or https URL of a picture, or null.
    #[schema(value_type = Option<String>, format = "uri")]
    pub avatar_url: Field<String>,
}

impl AuthorChanges {
    /// A new author: `name` is required.
    pub fn for_create(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, true)
    }

    /// A partial update: only the fields sent change.
    pub fn for_update(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, false)
    }

    fn read(body: &[u8], create: bool) -> Result<Self, InputError> {
        let mut object = JsonObject::parse(body, &names(&FIELDS)).map_err(InputError::Malformed)?;
        let name = object.text_field(&NAME);
        let slug = object.slug(SLUG.name);
        let bio = object.text_field(&BIO);
        let website = object.url_field(&WEBSITE);
        let avatar_url = object.url_field(&AVATAR_URL);
        if create {
            object.require(NAME.name, &name);
        }
        for (field, is_null) in [
            (NAME.name, name == Field::Null),
            (SLUG.name, slug == Field::Null),
        ] {
            if is_null && !object.has_error(field) {
                object.error(field, "must not be null");
            }
        }
        object.finish().map_err(InputError::Invalid)?;
        Ok(AuthorChanges {
            name: name.value(),
            slug: slug.value(),
            bio,
            website,
            avatar_url,
        })
    }
}

/// What a webhook's `author.*` event carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorEventData {
    pub id: i64,
    pub slug: String,
    pub name: String,
}
