//! Reading JSON request bodies field by field, so that every bad field is reported at once (422) while a
//! body that is not a JSON object at all is a 400.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::Slug;

/// A field as sent: left out, sent as `null`, or sent with a value. `PATCH` tells the three apart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    pub fn value(self) -> Option<T> {
        match self {
            Field::Value(value) => Some(value),
            Field::Absent | Field::Null => None,
        }
    }

    /// The value sent, `None` when sent as null, or `kept` when left out.
    pub fn or_keep(self, kept: Option<T>) -> Option<T> {
        match self {
            Field::Absent => kept,
            Field::Null => None,
            Field::Value(value) => Some(value),
        }
    }
}

/// With `#[serde(default)]`, a field left out is `Absent`.
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Field<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Field::Null, Field::Value))
    }
}

/// What a one-line text field may hold once trimmed, as a JSON Schema pattern: no control characters, and
/// something other than white space first.
pub const TEXT_PATTERN: &str = r"^\s*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";

/// The same for a multi-line field: tabs and line breaks are allowed after the first character.
pub const MULTILINE_TEXT_PATTERN: &str =
    r"^\s*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";

/// The most slugs an array field (a post's tags) may hold.
pub const SLUGS_MAX: usize = 50;

/// What a body field accepts, as its parser checks it and the OpenAPI document states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRule {
    /// One line of text, of `min..=max` characters once trimmed.
    Text {
        min: usize,
        max: usize,
    },
    /// Text that may span lines, of `min..=max` characters once trimmed.
    Multiline {
        min: usize,
        max: usize,
    },
    Slug,
    /// 1 to `max` slugs (0 allowed for tags: `max` is [`SLUGS_MAX`] there).
    Slugs {
        max: usize,
    },
    /// An RFC 3339 date-time.
    Timestamp,
    /// An `http://` or `https://` URL of at most `max` characters.
    Url {
        max: usize,
    },
    /// The id of another resource: a positive integer.
    Id,
}

/// A field of a request body: its name and what it accepts. A body's parser reads each field by its
/// constant, and the OpenAPI document writes the limits of the body's schema from the same constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyField {
    pub name: &'static str,
    pub rule: FieldRule,
}

impl BodyField {
    pub const fn text(name: &'static str, max: usize) -> Self {
        BodyField {
            name,
            rule: FieldRule::Text { min: 1, max },
        }
    }

    pub const fn multiline(name: &'static str, max: usize) -> Self {
        BodyField {
            name,
            rule: FieldRule::Multiline { min: 1, max },
        }
    }

    pub const fn slug(name: &'static str) -> Self {
        BodyField {
            name,
            rule: FieldRule::Slug,
        }
    }

    pub const fn slugs(name: &'static str, max: usize) -> Self {
        BodyField {
            name,
            rule: FieldRule::Slugs { max },
        }
    }

    pub const fn timestamp(name: &'static str) -> Self {
        BodyField {
            name,
            rule: FieldRule::Timestamp,
        }
    }
}

/// The names of `fields`, for [`JsonObject::parse`].
pub fn names(fields: &[BodyField]) -> Vec<&'static str> {
    fields.iter().map(|field| field.name).collect()
}

/// Every field error of one body.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Why a body could not be read as an object at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedBody(pub String);

/// A JSON object being read; errors accumulate instead of stopping at the first.
#[derive(Debug)]
pub struct JsonObject {
    fields: Map<String, Value>,
    errors: FieldErrors,
}

impl JsonObject {
    /// Parses `body` as a JSON object. Fields outside `allowed` are errors (a typo must not be ignored).
    pub fn parse(body: &[u8], allowed: &[&str]) -> Result<Self, MalformedBody> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| MalformedBody(format!("the body is not valid JSON: {error}")))?;
        let Value::Object(fields) = value else {
            return Err(MalformedBody(String::from(
                "the body must be a JSON object",
            )));
        };
        let mut object = JsonObject {
            fields,
            errors: FieldErrors::new(),
        };
        let unknown: Vec<String> = object
            .fields
            .keys()
            .filter(|key| !allowed.contains(&key.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            object.error(
                &key,
                format!("unknown field; allowed: {}", allowed.join(", ")),
            );
        }
        Ok(object)
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    /// `Ok(())` when no field was bad, else every error.
    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    /// A field's value as sent (`null` included), for shapes the readers below do not cover.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.fields.get(name).cloned()
    }

    fn raw(&self, name: &str) -> Field<&Value> {
        match self.fields.get(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(value) => Field::Value(value),
        }
    }

    /// A text field by its rule (`Text` or `Multiline`); a field of another rule is read as absent.
    pub fn text_field(&mut self, field: &BodyField) -> Field<String> {
        match field.rule {
            FieldRule::Text { min, max } => self.text(field.name, min, max),
            FieldRule::Multiline { min, max } => self.multiline(field.name, min, max),
            FieldRule::Slug
            | FieldRule::Slugs { .. }
            | FieldRule::Timestamp
            | FieldRule::Url { .. }
            | FieldRule::Id => Field::Absent,
        }
    }

    /// An absolute `http://` or `https://` URL with a host, of at most the rule's `max` characters (a field of
    /// another rule is read as absent).
    pub fn url_field(&mut self, field: &BodyField) -> Field<String> {
        let FieldRule::Url { max } = field.rule else {
            return Field::Absent;
        };
        match self.raw(field.name) {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(Value::String(text)) => {
                if text.chars().count() > max {
                    self.error(field.name, format!("must be at most {max} characters long"));
                    Field::Absent
                } else if !is_web_url(text) {
                    self.error(
                        field.name,
                        "must be an absolute http:// or https:// URL, like https://example.com/post",
                    );
                    Field::Absent
                } else {
                    Field::Value(text.clone())
                }
            }
            Field::Value(_) => {
                self.error(field.name, "must be a string (a URL) or null");
                Field::Absent
            }
        }
    }

    /// A one-line string field, trimmed, of `min..=max` characters, without control characters.
    pub fn text(&mut self, name: &str, min: usize, max: usize) -> Field<String> {
        self.string(name, min, max, false)
    }

    /// A string field that may span lines (tabs and line breaks allowed, other control characters not).
    pub fn multiline(&mut self, name: &str, min: usize, max: usize) -> Field<String> {
        self.string(name, min, max, true)
    }

    fn string(&mut self, name: &str, min: usize, max: usize, multiline: bool) -> Field<String> {
        match self.raw(name) {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(Value::String(text)) => {
                let trimmed = text.trim().to_owned();
                let length = trimmed.chars().count();
                if length < min || length > max {
                    self.error(name, format!("must be {min} to {max} characters long"));
                    return Field::Absent;
                }
                if let Some(control) = trimmed
                    .chars()
                    .find(|c| is_forbidden_control(*c, multiline))
                {
                    self.error(
                        name,
                        format!(
                            "must not contain the control character U+{:04X}",
                            u32::from(control)
                        ),
                    );
                    return Field::Absent;
                }
                Field::Value(trimmed)
            }
            Field::Value(_) => {
                self.error(name, "must be a string");
                Field::Absent
            }
        }
    }

    /// A slug field.
    pub fn slug(&mut self, name: &str) -> Field<Slug> {
        match self.raw(name) {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(Value::String(text)) => match Slug::parse(name, text) {
                Ok(slug) => Field::Value(slug),
                Err(invalid) => {
                    self.error(name, invalid.message);
                    Field::Absent
                }
            },
            Field::Value(_) => {
                self.error(name, "must be a string");
                Field::Absent
            }
        }
    }

    /// An array of slugs, repeats removed.
    pub fn slugs(&mut self, name: &str) -> Field<Vec<Slug>> {
        self.slugs_up_to(name, SLUGS_MAX)
    }

    /// An array of distinct slugs, at most `max` of them.
    pub fn slugs_up_to(&mut self, name: &str, max: usize) -> Field<Vec<Slug>> {
        match self.raw(name) {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(Value::Array(items)) => {
                let mut slugs: Vec<Slug> = Vec::with_capacity(items.len());
                let mut messages = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    match item.as_str().map(|text| Slug::parse(name, text)) {
                        Some(Ok(slug)) if !slugs.contains(&slug) => slugs.push(slug),
                        Some(Ok(_)) => {}
                        Some(Err(invalid)) => {
                            messages.push(format!("[{index}] {}", invalid.message));
                        }
                        None => messages.push(format!("[{index}] must be a string")),
                    }
                }
                if slugs.len() > max {
                    messages.push(format!("at most {max} items"));
                }
                for message in &messages {
                    self.error(name, message.clone());
                }
                if messages.is_empty() {
                    Field::Value(slugs)
                } else {
                    Field::Absent
                }
            }
            Field::Value(_) => {
                self.error(name, "must be an array of slugs");
                Field::Absent
            }
        }
    }

    /// The id of another resource: a positive integer, or null.
    pub fn id(&mut self, name: &str) -> Field<i64> {
        match self.raw(name) {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(value) => {
                if let Some(id) = value.as_i64().filter(|id| *id >= 1) {
                    Field::Value(id)
                } else {
                    self.error(name, "must be a positive integer (an id) or null");
                    Field::Absent
                }
            }
        }
    }

    /// An RFC 3339 timestamp, as UTC.
    pub fn timestamp(&mut self, name: &str) -> Field<NaiveDateTime> {
        match self.raw(name) {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(Value::String(text)) => {
                if let Ok(at) = DateTime::parse_from_rfc3339(text) {
                    Field::Value(at.with_timezone(&Utc).naive_utc())
                } else {
                    self.error(
                        name,
                        "must be an RFC 3339 date-time, like 2026-01-31T09:00:00Z",
                    );
                    Field::Absent
                }
            }
            Field::Value(_) => {
                self.error(name, "must be an RFC 3339 date-time string or null");
                Field::Absent
            }
        }
    }

    /// Records an error for a field that must be present (and not null) when it is not.
    pub fn require<T>(&mut self, name: &str, field: &Field<T>) {
        if !self.has_error(name) && !matches!(field, Field::Value(_)) {
            self.error(name, "is required");
        }
    }
}

/// NUL and the other C0/C1 controls have no place in text (PostgreSQL cannot even store NUL); a
/// multi-line field keeps tabs and line breaks. A one-line field (a title, a name) also refuses invisible
/// format characters (Unicode category Cf: bidi overrides, zero-width spaces, the byte-order mark), which
/// make a title read differently from what it is; the zero-width joiner stays, as emoji sequences need it.
pub fn is_forbidden_control(c: char, multiline: bool) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    if multiline {
        return c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    }
    c.is_control() || (c.general_category() == GeneralCategory::Format && c != '\u{200d}')
}

/// An absolute `http://` or `https://` URL with a host and no whitespace.
pub fn is_web_url(text: &str) -> bool {
    let parsed = url::Url::parse(text).ok().filter(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|host| !host.is_empty())
    });
    parsed.is_some() && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_text_refuses_bidi_and_zero_width_characters_but_keeps_emoji_joiners() {
        for sneaky in ['\u{202e}', '\u{200b}', '\u{2066}', '\u{feff}', '\u{00ad}'] {
            assert!(
                is_forbidden_control(sneaky, false),
                "{:04X}",
                u32::from(sneaky)
            );
            assert!(
                !is_forbidden_control(sneaky, true),
                "bodies keep {:04X}",
                u32::from(sneaky)
            );
        }
        assert!(!is_forbidden_control('\u{200d}', false));
        assert!(!is_forbidden_control('é', false));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let body = br#"{"title": "", "slug": "Bad Slug", "tags": ["ok", 5], "published_at": "yesterday", "x": 1}"#;
        let mut object =
            JsonObject::parse(body, &["title", "slug", "tags", "published_at"]).expect("an object");
        let _ = object.text("title", 1, 300);
        let _ = object.slug("slug");
        let _ = object.slugs("tags");
        let _ = object.timestamp("published_at");
        let errors = object.finish().err().unwrap_or_default();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["published_at", "slug", "tags", "title", "x"]);
    }

    #[test]
    fn absent_null_and_values_are_told_apart() {
        let mut object = JsonObject::parse(
            br#"{"a": null, "b": "2026-01-01T10:00:00+02:00"}"#,
            &["a", "b", "c"],
        )
        .expect("an object");
        assert_eq!(object.timestamp("a"), Field::Null);
        assert_eq!(
            object.timestamp("b").value().map(|t| t.to_string()),
            Some("2026-01-01 08:00:00".into())
        );
        assert_eq!(object.timestamp("c"), Field::Absent);
    }

    #[test]
    fn control_characters_are_refused_except_line_breaks_in_multiline_fields() {
        let body = br#"{"a": "x\u0000y", "b": "one\ntwo", "c": "one\ntwo"}"#;
        let mut object = JsonObject::parse(body, &["a", "b", "c"]).expect("an object");
        assert_eq!(object.multiline("a", 1, 10), Field::Absent);
        assert_eq!(
            object.multiline("b", 1, 10),
            Field::Value(String::from("one\ntwo"))
        );
        assert_eq!(object.text("c", 1, 10), Field::Absent);
        let errors = object.finish().err().unwrap_or_default();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn non_objects_and_broken_json_are_malformed() {
        assert!(JsonObject::parse(b"[1]", &[]).is_err());
        assert!(JsonObject::parse(b"{", &[]).is_err());
        assert!(JsonObject::parse(b"", &[]).is_err());
    }
}
