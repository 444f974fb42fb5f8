//! Deliveries and their attempts: the Standard Webhooks signature, what an attempt's result means, and when
//! the next attempt is due.

use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

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
}
