//! The body of category and tag writes, validated.

use super::input::{names, BodyField, Field, JsonObject};
use super::post_input::InputError;
use super::Slug;

/// What a category or tag write asks to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermChanges {
    pub slug: Option<Slug>,
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
