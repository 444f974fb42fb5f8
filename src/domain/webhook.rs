//! Webhooks (README "Webhooks"): the event types, the events written to the outbox, the subscription body,
//! the Standard Webhooks signature, and the rules for retrying and for which addresses may be called.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;

use super::input::{FieldErrors, JsonObject};
use super::post_input::InputError;

/// What a subscription can ask to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum EventType {
    /// A post became public: written public, or a scheduled post whose time has come.
    #[serde(rename = "post.published")]
    PostPublished,
    /// A public post changed (and stays public).
    #[serde(rename = "post.updated")]
    PostUpdated,
    /// A public post became a draft or was scheduled again.
    #[serde(rename = "post.unpublished")]
    PostUnpublished,
    /// A public post was deleted.
    #[serde(rename = "post.deleted")]
    PostDeleted,
    /// A reader posted a comment (pending moderation).
    #[serde(rename = "comment.created")]
    CommentCreated,
    /// A comment became visible to readers.
    #[serde(rename = "comment.approved")]
    CommentApproved,
    /// A category or tag was created, renamed, re-slugged or deleted.
    #[serde(rename = "taxonomy.changed")]
    TaxonomyChanged,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        EventType::PostPublished,
        EventType::PostUpdated,
        EventType::PostUnpublished,
        EventType::PostDeleted,
        EventType::CommentCreated,
        EventType::CommentApproved,
        EventType::TaxonomyChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PostPublished => "post.published",
            EventType::PostUpdated => "post.updated",
            EventType::PostUnpublished => "post.unpublished",
            EventType::PostDeleted => "post.deleted",
            EventType::CommentCreated => "comment.created",
            EventType::CommentApproved => "comment.approved",
            EventType::TaxonomyChanged => "taxonomy.changed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == name)
    }

    /// Every name, comma-separated, for messages.
    pub fn names() -> String {
        Self::ALL.map(EventType::as_str).join(", ")
    }
}

/// One event as the outbox stores it: its id (the `webhook-id` header, the same on every attempt) and the
/// exact body every subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub event_type: EventType,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

impl Event {
    /// An event of `event_type` about `data`, happening at `at`: the body is `{"type", "timestamp", "data"}`.
    pub fn new(event_type: EventType, data: &impl Serialize, at: NaiveDateTime) -> Self {
        let body = json!({
            "type": event_type.as_str(),
            "timestamp": at.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": data,
        });
        Event {
            id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            event_type,
            payload: body.to_string(),
            created_at: at,
        }
    }
}

/// What a post event says about the post: enough to rebuild or purge its page.
#[derive(Debug, Clone, Serialize)]
pub struct PostEventData {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// On `post.updated` when the slug changed: the old page to purge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_slug: Option<String>,
}

/// What a comment event says.
#[derive(Debug, Clone, Serialize)]
pub struct CommentEventData {
    pub id: i64,
    pub post_id: i64,
    pub author_name: String,
    pub body: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// What `taxonomy.changed` says: which term, and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct TaxonomyEventData {
    /// `category` or `tag`.
    pub taxonomy: &'static str,
    /// `created`, `updated` or `deleted`.
    pub action: &'static str,
    pub id: i64,
    pub slug: String,
    pub name: String,
}

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

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt, or being attempted now.
    Pending,
    /// A 2xx answered.
    Delivered,
    /// Given up: refused with a status not worth retrying, or still failing `WEBHOOK_MAX_AGE` after it began.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        }
    }
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AttemptRecord {
    /// 1 for the first attempt.
    pub number: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// The receiver's status, `null` when none came (time-out, refused connection...).
    pub response_status: Option<i64>,
    /// Why no usable answer came, or why the status is not a success.
    pub error: Option<String>,
    /// The start of the receiver's body (at most 1 KiB).
    pub response_body: Option<String>,
}

/// One event's delivery to one subscription, with every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// The `webhook-id` header: the same on every attempt, for receivers to deduplicate on.
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up.
    pub finished_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub attempt_log: Vec<AttemptRecord>,
}

/// A delivery a worker has claimed: everything needed to attempt it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub payload: String,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    /// When the give-up clock (`WEBHOOK_MAX_AGE`) started.
    pub retry_from: NaiveDateTime,
    /// The claim's token: only its holder records the outcome.
    pub claim: String,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    RetryAt(NaiveDateTime),
    GiveUp,
}

/// The outbox's backlog: pending deliveries and when the oldest was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub pending: i64,
    pub oldest: Option<NaiveDateTime>,
}

/// Which post event a write causes, from whether the post was announced public before it and whether it is
/// public after it; `None` for changes readers cannot see (drafts and scheduled posts).
pub fn post_write_event(announced_before: bool, public_after: bool) -> Option<EventType> {
    match (announced_before, public_after) {
        (false, true) => Some(EventType::PostPublished),
        (true, true) => Some(EventType::PostUpdated),
        (true, false) => Some(EventType::PostUnpublished),
        (false, false) => None,
    }
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

/// The `webhook-signature` header of a message: `v1,` + base64 of HMAC-SHA256 under the secret's key over
/// `{id}.{timestamp}.{body}`. `None` when the secret is not of the `whsec_` form.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// How one attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// A 2xx.
    Delivered,
    /// Worth trying again: a 5xx, 408, 429, a time-out or a connection error.
    Retryable,
    /// Another status (4xx, a 3xx redirect, which is not followed): the receiver refused it.
    Refused,
}

impl AttemptResult {
    /// The verdict on an answer with `status`, or on no answer at all (`None`).
    pub fn of(status: Option<u16>) -> Self {
        match status {
            Some(200..=299) => AttemptResult::Delivered,
            None | Some(408 | 429 | 500..=599) => AttemptResult::Retryable,
            Some(_) => AttemptResult::Refused,
        }
    }
}

/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// The wait before attempt `attempts + 1` after `attempts` failed ones: `base` doubled per failure after the
/// first, at most an hour, with up to a quarter more or less of jitter (`jitter` in 0..1) so that a
/// receiver coming back is not hit by every retry at once. A `Retry-After` the receiver sent wins when it
/// asks for longer (up to the hour).
pub fn retry_delay(
    base: Duration,
    attempts: u32,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Duration {
    let doubled = base
        .saturating_mul(1_u32 << attempts.saturating_sub(1).min(20))
        .min(MAX_RETRY_DELAY);
    let factor = 0.75 + jitter.clamp(0.0, 1.0) / 2.0;
    let delay = doubled.mul_f64(factor).min(MAX_RETRY_DELAY);
    match retry_after {
        Some(asked) if asked > delay => asked.min(MAX_RETRY_DELAY),
        _ => delay,
    }
}

/// A `Retry-After` value (seconds, or an HTTP date) as a wait from `now`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&Utc) - now).to_std().ok()
}

/// Whether a receiver at `address` may be called without `WEBHOOKS_ALLOW_PRIVATE`: not loopback, private,
/// link-local, shared (CGNAT), unspecified, multicast, broadcast, documentation or otherwise reserved, in
/// IPv4 or IPv6. An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:0:0/96`, IPv4-translated
/// `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32`) is public only if that
/// IPv4 address is; the local-use NAT64 prefix `64:ff9b:1::/48` never is.
pub fn is_public_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let octets = v6.octets();
            let v4_at = |at: usize| {
                let byte = |i: usize| octets.get(at + i).copied().unwrap_or(0);
                Ipv4Addr::new(byte(0), byte(1), byte(2), byte(3))
            };
            match segments {
                // IPv4-mapped and IPv4-translated.
                [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0xffff, 0, ..] => {
                    is_public_v4(v4_at(12))
                }
                // NAT64, well-known prefix; its local-use prefix is never public.
                [0x0064, 0xff9b, 0, 0, 0, 0, ..] => is_public_v4(v4_at(12)),
                [0x0064, 0xff9b, 0x0001, ..] => false,
                // 6to4: the relay's IPv4 address in bits 16 to 48.
                [0x2002, ..] => is_public_v4(v4_at(2)),
                // Teredo: the server's IPv4 address in bits 32 to 64, the client's inverted in the last 32.
                [0x2001, 0x0000, ..] => {
                    let client = v4_at(12).to_bits() ^ u32::MAX;
                    is_public_v4(v4_at(4)) && is_public_v4(Ipv4Addr::from_bits(client))
                }
                [first, ..] => {
                    !(v6.is_loopback()
                        || v6.is_unspecified()
                        || v6.is_multicast()
                        || (first & 0xfe00) == 0xfc00
                        || (first & 0xffc0) == 0xfe80
                        || (first & 0xffc0) == 0xfec0
                        || (first == 0x2001 && segments.get(1) == Some(&0x0db8))
                        || segments.iter().take(6).all(|segment| *segment == 0))
                }
            }
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

/// The longest target URL accepted.
pub const URL_MAX: usize = 2000;

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

/// What a subscription write asks to set (all present on create; `events` and `url` required there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionChanges {
    pub url: Option<TargetUrl>,
    pub events: Option<Vec<EventType>>,
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

/// The stored form of an event list: names between commas, so that `LIKE '%,name,%'` finds subscribers.
pub fn stored_events(events: &[EventType]) -> String {
    format!(
        ",{},",
        events
            .iter()
            .map(|event| event.as_str())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// The event list of a stored form (unknown names, which no version wrote, are skipped).
pub fn events_of(stored: &str) -> Vec<EventType> {
    stored.split(',').filter_map(EventType::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1_614_265_330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn retries_double_from_the_base_up_to_an_hour() {
        let base = Duration::from_secs(2);
        assert_eq!(retry_delay(base, 1, 0.5, None), Duration::from_secs(2));
        assert_eq!(retry_delay(base, 2, 0.5, None), Duration::from_secs(4));
        assert_eq!(retry_delay(base, 3, 0.5, None), Duration::from_secs(8));
        assert_eq!(retry_delay(base, 30, 1.0, None), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(base, 1, 0.0, None), Duration::from_millis(1500));
        assert_eq!(
            retry_delay(base, 1, 0.5, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
            .expect("a date")
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Fri, 04 Dec 2026 10:05:00 GMT", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            parse_retry_after("Fri, 04 Dec 2026 09:00:00 GMT", now),
            None
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn only_failures_worth_repeating_are_retried() {
        assert_eq!(AttemptResult::of(Some(204)), AttemptResult::Delivered);
        for retried in [None, Some(500), Some(503), Some(408), Some(429)] {
            assert_eq!(AttemptResult::of(retried), AttemptResult::Retryable);
        }
        for refused in [Some(400), Some(404), Some(410), Some(301)] {
            assert_eq!(AttemptResult::of(refused), AttemptResult::Refused);
        }
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
            // 6to4 of 127.0.0.1 and 192.168.1.1; Teredo whose server or client is inside; NAT64 local use;
            // IPv4-translated loopback.
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2001:0:a00:1::5db8:d822",
            "2001:0:5db8:d822::f5fe:fffe",
            "64:ff9b:1::a00:1",
            "64:ff9b:1::5db8:d822",
            "::ffff:0:7f00:1",
        ] {
            let address: IpAddr = private.parse().expect("an address");
            assert!(!is_public_address(address), "{private} is not public");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "2002:5db8:d822::1",
            "64:ff9b::5db8:d822",
            "::ffff:93.184.216.34",
            // Teredo with a public server (93.184.216.34) and a public client (1.1.1.1, inverted).
            "2001:0:5db8:d822::fefe:fefe",
        ] {
            let address: IpAddr = public.parse().expect("an address");
            assert!(is_public_address(address), "{public} is public");
        }
    }

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
