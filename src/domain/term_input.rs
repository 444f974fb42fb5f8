//! The body of category and tag writes, validated.

use super::input::{names, BodyField, Field, JsonObject};
use super::post_input::InputError;
use super::Slug;

/// Body of category and tag writes (`name` required on create).
// Parsed by `for_create` and `for_update`. The document's `TermBody`.
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = TermBody, example = json!({"name": "Databases", "slug": "databases"}))]
pub struct TermChanges {
    /// Made from the name when absent on create (409 when taken).
    #[schema(nullable = false, value_type = Option<String>)]
    pub slug: Option<Slug>,
    /// 1 to 100 characters.
    #[schema(nullable = false)]
    pub name: Option<String>,
}

pub const NAME_MAX: usize = 100;

const SLUG: BodyField = BodyField::slug("slug");
const NAME: BodyField = BodyField::text("name", NAME_MAX);

/// Every field of a category or tag body.
pub const FIELDS: [BodyField; 2] = [SLUG, NAME];

impl TermChanges {
    /// `name` is required; `slug` is made from it when absent.
    pub fn for_create(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, true)
    }

    pub fn for_update(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, false)
    }

    fn read(body: &[u8], create: bool) -> Result<Self, InputError> {
        let mut object = JsonObject::parse(body, &names(&FIELDS)).map_err(InputError::Malformed)?;
        let slug = object.slug(SLUG.name);
        let name = object.text_field(&NAME);
        if create {
            object.require(NAME.name, &name);
        }
        for (field, is_null) in [
            (SLUG.name, slug == Field::Null),
            (NAME.name, name == Field::Null),
        ] {
            if is_null && !object.has_error(field) {
                object.error(field, "must not be null");
            }
        }
        object.finish().map_err(InputError::Invalid)?;
        Ok(TermChanges {
            slug: slug.value(),
            name: name.value(),
        })
    }
}
