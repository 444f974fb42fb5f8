//! Sparse fieldsets: `fields=id,title,slug` on a read names the top-level fields it returns (`id` always
//! among them). Each resource's allowed names are an enum here, which is also what the OpenAPI document
//! shows for its operations' `fields` parameter.

use serde::ser::{SerializeMap, SerializeStruct, Serializer};
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

    /// `value` (a struct) serializing only the chosen fields: each is written or skipped as it comes, with
    /// no tree built in between.
    pub fn project<T: Serialize>(self, value: &T) -> Only<'_, T> {
        Only {
            value,
            fields: self,
        }
    }
}

/// A struct serialized with only some of its top-level fields (see [`FieldSet::project`]).
pub struct Only<'a, T> {
    value: &'a T,
    fields: FieldSet,
}

impl<T: Serialize> Serialize for Only<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Filter {
            inner: serializer,
            fields: self.fields,
        })
    }
}

/// Passes everything to `inner`, except that a struct or map becomes a map of the chosen fields only.
struct Filter<S> {
    inner: S,
    fields: FieldSet,
}

/// The map a filtered struct or map is written as; `skip` drops the value of a key left out.
struct FilterMap<M> {
    map: M,
    fields: FieldSet,
    skip: bool,
}

impl<M: SerializeMap> FilterMap<M> {
    /// Whether a map key (a flattened struct's field name) is chosen; a key that is no string is kept.
    fn wants<K: Serialize + ?Sized>(&self, key: &K) -> bool {
        serde_json::to_value(key)
            .ok()
            .and_then(|key| key.as_str().map(|name| self.fields.has(name)))
            .unwrap_or(true)
    }
}

impl<M: SerializeMap> SerializeStruct for FilterMap<M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_field<V: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &V,
    ) -> Result<(), M::Error> {
        if self.fields.has(key) {
            self.map.serialize_entry(key, value)?;
        }
        Ok(())
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

impl<M: SerializeMap> SerializeMap for FilterMap<M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_key<K: Serialize + ?Sized>(&mut self, key: &K) -> Result<(), M::Error> {
        self.skip = !self.wants(key);
        if self.skip {
            Ok(())
        } else {
            self.map.serialize_key(key)
        }
    }

    fn serialize_value<V: Serialize + ?Sized>(&mut self, value: &V) -> Result<(), M::Error> {
        if self.skip {
            Ok(())
        } else {
            self.map.serialize_value(value)
        }
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

/// Forwards `Serializer` methods to `inner` unchanged.
macro_rules! forward {
    ($($method:ident($($arg:ident: $type:ty),*) -> $output:ty;)*) => {
        $(fn $method(self, $($arg: $type),*) -> Result<$output, S::Error> {
            self.inner.$method($($arg),*)
        })*
    };
}

impl<S: Serializer> Serializer for Filter<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = FilterMap<S::SerializeMap>;
    type SerializeStruct = FilterMap<S::SerializeMap>;
    type SerializeStructVariant = S::SerializeStructVariant;

    forward! {
        serialize_bool(v: bool) -> S::Ok;
        serialize_i8(v: i8) -> S::Ok;
        serialize_i16(v: i16) -> S::Ok;
        serialize_i32(v: i32) -> S::Ok;
        serialize_i64(v: i64) -> S::Ok;
        serialize_u8(v: u8) -> S::Ok;
        serialize_u16(v: u16) -> S::Ok;
        serialize_u32(v: u32) -> S::Ok;
        serialize_u64(v: u64) -> S::Ok;
        serialize_f32(v: f32) -> S::Ok;
        serialize_f64(v: f64) -> S::Ok;
        serialize_char(v: char) -> S::Ok;
        serialize_str(v: &str) -> S::Ok;
        serialize_bytes(v: &[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(name: &'static str) -> S::Ok;
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> S::Ok;
        serialize_seq(len: Option<usize>) -> S::SerializeSeq;
        serialize_tuple(len: usize) -> S::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> S::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize)
            -> S::SerializeTupleVariant;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize)
            -> S::SerializeStructVariant;
    }

    fn serialize_some<V: Serialize + ?Sized>(self, value: &V) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(value)
    }

    fn serialize_newtype_struct<V: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &V,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_struct(name, value)
    }

    fn serialize_newtype_variant<V: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &V,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, value)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(FilterMap {
            map: self.inner.serialize_map(None)?,
            fields: self.fields,
            skip: false,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.serialize_map(None)
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
    id, slug, title, excerpt, author, authors, category, tags, published_at, updated_at, clicks, comment_count,
    word_count, reading_time_minutes, feature_image, window_clicks, highlights,
);

fields!(
    /// A field of a single post (`fields` of `GET /posts/{id}` and `GET /posts/slug/{slug}`).
    PostField, POST_FIELDS:
    id, slug, title, excerpt, author, authors, category, tags, published_at, updated_at, clicks, comment_count,
    word_count, reading_time_minutes, feature_image, body_markdown, body_html, meta_title,
    meta_description, canonical_url, json_ld,
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
        #[derive(Serialize)]
        struct Term {
            id: i64,
            slug: &'static str,
            name: &'static str,
            post_count: i64,
        }
        #[derive(Serialize)]
        struct Wrapped {
            #[serde(flatten)]
            term: Term,
            extra: i64,
        }
        let fields = FieldSet::parse(Some("name"), TERM_FIELDS).expect("valid");
        let term = || Term {
            id: 1,
            slug: "a",
            name: "A",
            post_count: 3,
        };
        let json = |value: serde_json::Result<serde_json::Value>| value.expect("JSON");
        assert_eq!(
            json(serde_json::to_value(fields.project(&term()))),
            serde_json::json!({"id": 1, "name": "A"})
        );
        let all = FieldSet::all(TERM_FIELDS);
        assert_eq!(
            json(serde_json::to_value(all.project(&term()))),
            serde_json::json!({"id": 1, "slug": "a", "name": "A", "post_count": 3})
        );
        // A flattened struct (as a post's detail flattens its summary) is a map: filtered the same way.
        let wrapped = Wrapped {
            term: term(),
            extra: 9,
        };
        assert_eq!(
            json(serde_json::to_value(fields.project(&wrapped))),
            serde_json::json!({"id": 1, "name": "A"})
        );
    }
}
