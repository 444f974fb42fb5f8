//! A subscription: what the API shows of it, its secret, its target URL checked for form, and the body
//! that creates or changes it.

use std::net::IpAddr;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::EventType;
use crate::domain::input::{FieldErrors, JsonObject};
use crate::domain::post_input::InputError;

/// A subscription as the API shows it. `secret` appears only in the answers that make one (create and
/// rotate): it is shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": 1, "url": "https://hooks.example.com/blog", "events": ["post.published", "post.updated"], "active": true, "created_at": "2026-12-04T09:00:00Z", "updated_at": "2026-12-04T09:00:00Z"}))]
pub struct Subscription {
    pub id: i64,
    pub url: String,
    pub events: Vec<EventType>,
    /// Inactive subscriptions get no new deliveries (pending ones are still attempted).
    pub active: bool,
    /// `whsec_` + base64: the key of the `webhook-signature` HMAC. Only in the 201 of `POST /webhooks` and
    /// in the answer of `POST /webhooks/{id}/rotate-secret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A subscription's signing secret, `whsec_` + base64 of 32 random bytes (the Standard Webhooks form).
pub fn new_secret() -> String {
    use rand::RngCore as _;
    let mut key = [0_u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// The longest target URL accepted.
pub const URL_MAX: usize = 2000;

/// The target of a subscription body, with its limit (for the OpenAPI document).
pub const URL: crate::domain::input::BodyField = crate::domain::input::BodyField {
    name: "url",
    rule: crate::domain::input::FieldRule::Url { max: URL_MAX },
};

/// A subscription's target, checked for form: `http` or `https`, a host, no credentials, no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl {
    url: url::Url,
}

impl TargetUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > URL_MAX {
            return Err(format!("must be at most {URL_MAX} characters long"));
        }
        let url = url::Url::parse(text)
            .map_err(|error| format!("must be an absolute http(s) URL ({error})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(String::from("must be an http:// or https:// URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(String::from("must name a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(String::from(
                "must not carry credentials (the signature authenticates the sender)",
            ));
        }
        if url.fragment().is_some() {
            return Err(String::from("must not have a #fragment"));
        }
        Ok(TargetUrl { url })
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The host, and the address when the host is one (brackets of IPv6 removed).
    pub fn host(&self) -> Option<(String, Option<IpAddr>)> {
        match self.url.host()? {
            url::Host::Domain(name) => Some((name.to_owned(), None)),
            url::Host::Ipv4(v4) => Some((v4.to_string(), Some(IpAddr::V4(v4)))),
            url::Host::Ipv6(v6) => Some((v6.to_string(), Some(IpAddr::V6(v6)))),
        }
    }

    /// The port a connection goes to.
    pub fn port(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(80)
    }
}

/// Body of `POST /webhooks` (`url` and `events` required) and `PATCH /webhooks/{id}`.
// Parsed by `for_create` and `for_update`. The document's `WebhookBody`.
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = WebhookBody, example = json!({"url": "https://hooks.example.com/blog", "events": ["post.published", "post.updated", "post.deleted"]}))]
pub struct SubscriptionChanges {
    /// An `http://` or `https://` URL without credentials, at most 2,000 characters; refused when it is, or
    /// resolves to, a loopback, private or link-local address (unless `WEBHOOKS_ALLOW_PRIVATE=true`).
    #[schema(nullable = false, value_type = Option<String>, format = "uri")]
    pub url: Option<TargetUrl>,
    /// The event types to receive (at least one).
    #[schema(nullable = false, min_items = 1)]
    pub events: Option<Vec<EventType>>,
    /// Default true; an inactive subscription gets no new deliveries.
    #[schema(nullable = false)]
    pub active: Option<bool>,
}

impl SubscriptionChanges {
    pub fn for_create(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, true)
    }

    pub fn for_update(body: &[u8]) -> Result<Self, InputError> {
        Self::read(body, false)
    }

    fn read(body: &[u8], create: bool) -> Result<Self, InputError> {
        let mut object =
            JsonObject::parse(body, &["url", "events", "active"]).map_err(InputError::Malformed)?;
        let url = match object.get("url") {
            None if create => {
                object.error("url", "is required");
                None
            }
            None => None,
            Some(Value::String(text)) => match TargetUrl::parse(text.trim()) {
                Ok(url) => Some(url),
                Err(message) => {
                    object.error("url", message);
                    None
                }
            },
            Some(_) => {
                object.error("url", "must be a string");
                None
            }
        };
        let events = match object.get("events") {
            None if create => {
                object.error("events", "is required");
                None
            }
            None => None,
            Some(Value::Array(items)) => read_events(&mut object, &items),
            Some(_) => {
                object.error("events", "must be an array of event types");
                None
            }
        };
        let active = match object.get("active") {
            None => None,
            Some(Value::Bool(active)) => Some(active),
            Some(_) => {
                object.error("active", "must be true or false");
                None
            }
        };
        object.finish().map_err(InputError::Invalid)?;
        Ok(SubscriptionChanges {
            url,
            events,
            active,
        })
    }
}

fn read_events(object: &mut JsonObject, items: &[Value]) -> Option<Vec<EventType>> {
    if items.is_empty() {
        object.error("events", "must name at least one event type");
        return None;
    }
    let mut events = Vec::new();
    let mut errors = FieldErrors::new();
    for (index, item) in items.iter().enumerate() {
        match item.as_str().map(EventType::parse) {
            Some(Some(event)) => {
                if !events.contains(&event) {
                    events.push(event);
                }
            }
            _ => errors
                .entry(String::from("events"))
                .or_default()
                .push(format!("[{index}] must be one of {}", EventType::names())),
        }
    }
    if errors.is_empty() {
        Some(events)
    } else {
        for message in errors.into_values().flatten() {
            object.error("events", message);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_body_reports_every_bad_field() {
        let Err(InputError::Invalid(errors)) = SubscriptionChanges::for_create(
            br#"{"url": "ftp://example.com", "events": ["post.published", "post.exploded"], "active": "yes"}"#,
        ) else {
            panic!("invalid");
        };
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["active", "events", "url"]
        );
    }
}
