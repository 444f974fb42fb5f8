//! Sparse fieldsets: `fields=id,title,slug` on a read names the top-level fields it returns (`id` always
//! among them). Each resource's allowed names are an enum here, which is also what the OpenAPI document
//! shows for its operations' `fields` parameter.

use serde::Serialize;
use utoipa::ToSchema;

use super::InvalidValue;

/// The top-level fields a read returns: a set of the names in `names`, `id` always included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldSet {
    names: &'static [&'static str],
    /// Bit `i` set: `names[i]` is returned.
    chosen: u64,
}

impl FieldSet {
    /// Every field of the resource: what a read without `fields` returns.
    pub fn all(names: &'static [&'static str]) -> Self {
        FieldSet {
            names,
            chosen: u64::MAX >> (64 - names.len()),
        }
    }

    /// `fields=` as given (absent: every field). Each name must be one of `names`; repeats are allowed.
    pub fn parse(raw: Option<&str>, names: &'static [&'static str]) -> Result<Self, InvalidValue> {
        let Some(raw) = raw else {
            return Ok(Self::all(names));
        };
        let mut chosen = 1; // `id`, always first.
        for name in raw.split(',') {
            let Some(index) = names.iter().position(|known| *known == name) else {
                let message = if name.is_empty() {
                    String::from("an empty field name")
                } else {
                    format!("unknown field `{}`", super::id::truncate(name))
                };
                return Err(InvalidValue::new(
                    "fields",
                    format!("{message}; allowed: {}", names.join(", ")),
                ));
            };
            chosen |= 1 << index;
        }
        Ok(FieldSet { names, chosen })
    }

    /// Whether `name` is returned.
    pub fn has(&self, name: &str) -> bool {
        self.names
            .iter()
            .position(|known| *known == name)
            .is_some_and(|index| self.chosen & (1 << index) != 0)
    }

    /// This set with `name` too (a name of another resource changes nothing).
    pub fn with(mut self, name: &str) -> Self {
        if let Some(index) = self.names.iter().position(|known| *known == name) {
            self.chosen |= 1 << index;
        }
        self
    }

    /// Whether every field is returned (nothing to leave out).
    pub fn is_all(&self) -> bool {
        *self == Self::all(self.names)
    }

    /// `value` as JSON with only the chosen fields (every field when all are chosen).
    pub fn project<T: Serialize>(&self, value: &T) -> serde_json::Value {
        let mut json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(object) = &mut json {
            object.retain(|name, _| self.has(name));
        }
        json
    }
}

/// A resource's field names, by the enum that documents them.
pub trait Fields {
    const NAMES: &'static [&'static str];
}

/// Declares a resource's field names as an enum (for the OpenAPI document) and as a list (for parsing),
/// from one list of names. `id` comes first.
macro_rules! fields {
    ($(#[$doc:meta])* $name:ident, $list:ident: $($field:ident),+ $(,)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Serialize, ToSchema)]
        #[allow(non_camel_case_types, dead_code)]
        pub enum $name {
            $($field),+
        }

        pub const $list: &[&str] = &[$(stringify!($field)),+];

        impl Fields for $name {
            const NAMES: &'static [&'static str] = $list;
        }
    };
}

fields!(
    /// A field of a post in a list (`fields` of `GET /posts` and `GET /posts/{id}/related`).
    PostSummaryField, POST_SUMMARY_FIELDS:
    id, slug, title, excerpt, author, category, tags, published_at, updated_at, clicks, comment_count,
    word_count, reading_time_minutes, window_clicks,
);

fields!(
    /// A field of a single post (`fields` of `GET /posts/{id}` and `GET /posts/slug/{slug}`).
    PostField, POST_FIELDS:
    id, slug, title, excerpt, author, category, tags, published_at, updated_at, clicks, comment_count,
    word_count, reading_time_minutes, body_markdown, body_html,
);

fields!(
    /// A field of a comment (`fields` of `GET /posts/{id}/comments`).
    CommentField, COMMENT_FIELDS:
    id, post_id, author_name, body, body_html, status, created_at,
);

fields!(
    /// A field of a category or tag (`fields` of their reads).
    TermField, TERM_FIELDS:
    id, slug, name, post_count,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_means_every_field_and_id_is_always_chosen() {
        let all = FieldSet::parse(None, POST_SUMMARY_FIELDS).expect("valid");
        assert!(all.is_all() && all.has("tags") && all.has("id"));
        let some = FieldSet::parse(Some("title,slug,title"), POST_SUMMARY_FIELDS).expect("valid");
        assert!(some.has("id") && some.has("title") && some.has("slug"));
        assert!(!some.has("tags") && !some.has("clicks") && !some.is_all());
    }

    #[test]
    fn unknown_and_empty_names_are_refused_listing_the_allowed_ones() {
        for (raw, named) in [
            ("title,body_html", "`body_html`"),
            ("", "empty"),
            ("id,,title", "empty"),
        ] {
            let error = FieldSet::parse(Some(raw), POST_SUMMARY_FIELDS).err();
            let message = error.map(|e| (e.name, e.message)).unwrap_or_default();
            assert_eq!(message.0, "fields");
            assert!(message.1.contains(named), "{raw}: {}", message.1);
            assert!(message.1.contains("reading_time_minutes"), "{}", message.1);
        }
        assert!(FieldSet::parse(Some("body_html"), POST_FIELDS).is_ok());
    }

    #[test]
    fn project_keeps_only_the_chosen_fields() {
        let fields = FieldSet::parse(Some("name"), TERM_FIELDS).expect("valid");
        let item = serde_json::json!({"id": 1, "slug": "a", "name": "A", "post_count": 3});
        assert_eq!(
            fields.project(&item),
            serde_json::json!({"id": 1, "name": "A"})
        );
        let all = FieldSet::all(TERM_FIELDS);
        assert_eq!(all.project(&item), item);
    }
}
