//! Bodies of comment writes, validated.

use super::input::{names, BodyField, JsonObject};
use super::post_input::InputError;

/// Every status a comment can have: new comments are `pending`; readers see `approved` ones.
pub const STATUSES: [&str; 3] = ["pending", "approved", "rejected"];

/// The status as the `'static` name, if `raw` is one.
pub fn status(raw: &str) -> Option<&'static str> {
    STATUSES.into_iter().find(|known| *known == raw)
}

/// The statuses an editor's `status` filter names: one of [`STATUSES`], or `all` of them.
pub fn status_filter(raw: &str) -> Result<Vec<&'static str>, super::InvalidValue> {
    match raw {
        "all" => Ok(STATUSES.to_vec()),
        _ => status(raw).map(|one| vec![one]).ok_or_else(|| {
            super::InvalidValue::new("status", "must be one of pending, approved, rejected, all")
        }),
    }
}

/// Body of `POST /posts/{id}/comments`.
// Parsed by `parse`. The document's `CommentCreate`.
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = CommentCreate, example = json!({"author_name": "Reader", "body": "Nice post!"}))]
pub struct NewComment {
    /// 1 to 100 characters.
    pub author_name: String,
    /// Markdown, 1 to 10,000 characters.
    pub body: String,
}

pub const AUTHOR_MAX: usize = 100;
pub const BODY_MAX: usize = 10_000;

const AUTHOR_NAME: BodyField = BodyField::text("author_name", AUTHOR_MAX);
const BODY: BodyField = BodyField::multiline("body", BODY_MAX);

/// Every field of a new comment's body.
pub const FIELDS: [BodyField; 2] = [AUTHOR_NAME, BODY];
/// The largest comment request body read (413 past it): room for a `BODY_MAX`-character body even when
/// every character is a JSON escape, and nothing like `MAX_BODY_BYTES`.
pub const BODY_BYTES_MAX: usize = 64 * 1024;

impl NewComment {
    pub fn parse(body: &[u8]) -> Result<Self, InputError> {
        let mut object = JsonObject::parse(body, &names(&FIELDS)).map_err(InputError::Malformed)?;
        let author_name = object.text_field(&AUTHOR_NAME);
        let text = object.text_field(&BODY);
        object.require(AUTHOR_NAME.name, &author_name);
        object.require(BODY.name, &text);
        object.finish().map_err(InputError::Invalid)?;
        match (author_name.value(), text.value()) {
            (Some(author_name), Some(body)) => Ok(NewComment { author_name, body }),
            _ => Err(InputError::Invalid(super::input::FieldErrors::default())),
        }
    }
}

/// Body of `PATCH /comments/{id}`.
// Parsed by `parse`. The document's `Moderation`.
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
#[schema(example = json!({"status": "approved"}))]
pub struct Moderation {
    /// `pending`, `approved` or `rejected`.
    #[schema(value_type = String, pattern = "^(pending|approved|rejected)$")]
    pub status: &'static str,
}

impl Moderation {
    pub fn parse(body: &[u8]) -> Result<Self, InputError> {
        let mut object = JsonObject::parse(body, &["status"]).map_err(InputError::Malformed)?;
        let status = object.text("status", 1, 20);
        object.require("status", &status);
        let status = status.value().and_then(|raw| self::status(&raw));
        if status.is_none() && !object.has_error("status") {
            object.error("status", "must be pending, approved or rejected");
        }
        object.finish().map_err(InputError::Invalid)?;
        status
            .map(|status| Moderation { status })
            .ok_or(InputError::Invalid(super::input::FieldErrors::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_needs_an_author_and_a_body() {
        assert!(NewComment::parse(br#"{"author_name": "a", "body": "b"}"#).is_ok());
        let Err(InputError::Invalid(errors)) = NewComment::parse(br#"{"body": ""}"#) else {
            panic!("expected field errors");
        };
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["author_name", "body"]);
    }

    #[test]
    fn moderation_takes_a_known_status() {
        assert_eq!(
            Moderation::parse(br#"{"status": "approved"}"#).map(|m| m.status),
            Ok("approved")
        );
        assert!(Moderation::parse(br#"{"status": "spam"}"#).is_err());
        assert!(Moderation::parse(b"{}").is_err());
    }
}
