//! Preview links: a secret URL that shows one post as it is now (draft, scheduled or published) to a
//! reviewer without a token. The secret is shown once; only its hash is stored.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::input::{names, BodyField, Field, JsonObject};
use super::post_input::InputError;

/// What every preview secret starts with, so that one found in a log or a chat is recognised.
pub const TOKEN_PREFIX: &str = "prv_";

/// A new preview secret: the prefix and 32 random bytes, URL-safe base64.
pub fn new_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

const EXPIRES_AT: BodyField = BodyField::timestamp("expires_at");

/// Every field of a preview link's body.
pub const FIELDS: [BodyField; 1] = [EXPIRES_AT];

/// Body of `POST /posts/{id}/preview-links` (optional: without it, the link lasts `PREVIEW_LINK_TTL`).
// Parsed by `parse`. The document's `PreviewLinkRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, ToSchema)]
#[schema(as = PreviewLinkRequest, example = json!({"expires_at": "2026-12-08T09:00:00Z"}))]
pub struct PreviewLinkRequest {
    /// RFC 3339, in the future and at most `PREVIEW_LINK_TTL` (default 7 days) away; absent or null: that
    /// maximum.
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<NaiveDateTime>,
}

impl PreviewLinkRequest {
    /// The body as sent; an empty body asks for the defaults.
    pub fn parse(body: &[u8]) -> Result<Self, InputError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(PreviewLinkRequest::default());
        }
        let mut object = JsonObject::parse(body, &names(&FIELDS)).map_err(InputError::Malformed)?;
        let expires_at = object.timestamp(EXPIRES_AT.name);
        object.finish().map_err(InputError::Invalid)?;
        Ok(PreviewLinkRequest {
            expires_at: match expires_at {
                Field::Value(at) => Some(at),
                Field::Absent | Field::Null => None,
            },
        })
    }

    /// When the link stops working: the time asked for, or `now` plus `ttl`. A time not after `now`, or past
    /// `now + ttl`, is refused with the message for `expires_at`.
    pub fn expiry(&self, now: NaiveDateTime, ttl: Duration) -> Result<NaiveDateTime, String> {
        let longest = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(7));
        match self.expires_at {
            None => Ok(longest),
            Some(at) if at <= now => Err(String::from("must be in the future")),
            Some(at) if at > longest => Err(format!(
                "must be at most PREVIEW_LINK_TTL ({}) from now, that is not after {}",
                describe(ttl),
                longest
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )),
            Some(at) => Ok(at),
        }
    }
}

/// `ttl` as a person reads it: whole days, hours, minutes or seconds.
fn describe(ttl: Duration) -> String {
    let seconds = ttl.as_secs();
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A preview link as editors list it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "created_at": "2026-12-07T09:00:00Z", "expires_at": "2026-12-14T09:00:00Z", "expired": false}))]
pub struct PreviewLink {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// True once `expires_at` has passed: the link answers 404.
    pub expired: bool,
}

/// A link just made: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "url": "https://api.example.com/preview/prv_3q2-7wEjc0Wbc0gYkPqDtd2gUVM9iVsDPhEuxtY1g4c", "token": "prv_3q2-7wEjc0Wbc0gYkPqDtd2gUVM9iVsDPhEuxtY1g4c", "expires_at": "2026-12-14T09:00:00Z"}))]
pub struct CreatedPreviewLink {
    pub id: i64,
    /// Where a reviewer opens the preview: `PREVIEW_URL_PATTERN` with the token, else this API's
    /// `/preview/{token}`.
    pub url: String,
    /// The secret: shown here once, stored only as a hash.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap_or_default()
            .naive_utc()
    }

    const WEEK: Duration = Duration::from_secs(7 * 86_400);

    #[test]
    fn an_empty_body_asks_for_the_longest_link() {
        let request = PreviewLinkRequest::parse(b"").expect("empty is fine");
        assert_eq!(request.expiry(at(0), WEEK), Ok(at(7 * 86_400)));
        let request = PreviewLinkRequest::parse(b"{}").expect("no field is fine");
        assert_eq!(request.expires_at, None);
    }

    #[test]
    fn expiry_is_in_the_future_and_within_the_ttl() {
        let request = |seconds: i64| PreviewLinkRequest {
            expires_at: Some(at(seconds)),
        };
        assert_eq!(request(3600).expiry(at(0), WEEK), Ok(at(3600)));
        assert!(request(0).expiry(at(0), WEEK).is_err());
        assert!(request(-5).expiry(at(0), WEEK).is_err());
        assert!(request(7 * 86_400 + 1).expiry(at(0), WEEK).is_err());
        assert_eq!(request(7 * 86_400).expiry(at(0), WEEK), Ok(at(7 * 86_400)));
    }

    #[test]
    fn tokens_are_long_unique_and_prefixed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 43);
    }
}
