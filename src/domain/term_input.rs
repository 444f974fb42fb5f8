//! The body of category and tag writes, validated.

use super::input::{Field, JsonObject};
use super::post_input::InputError;
use super::Slug;

/// What a category or tag write asks to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermChanges {
    pub slug: Option<Slug>,
    pub name: Option<String>,
}

pub const NAME_MAX: usize = 100;

impl TermChanges {
    /// `name` is required; `slug` is made from it when absent.
    pub fn for_create(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, true)
    }

    pub fn for_update(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, false)
    }

    fn read(body: &[u8], create: bool) -> Result<Self, InputError> {
        let mut object =
            JsonObject::parse(body, &["slug", "name"]).map_err(InputError::Malformed)?;
        let slug = object.slug("slug");
        let name = object.text("name", 1, NAME_MAX);
        if create {
            object.require("name", &name);
        }
        for (field, is_null) in [("slug", slug == Field::Null), ("name", name == Field::Null)] {
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
