//! How an attempt reaches a receiver: the HTTP client (no redirects, no proxies, time-outs), the resolver
//! that refuses non-public addresses at every connection, and the request itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::{Deliverer, BODY_KEPT};
use crate::config::WebhookSettings;
use crate::domain::webhook::{
    is_public_address, parse_retry_after, signature, AttemptResult, ClaimedDelivery, TargetUrl,
};
use crate::telemetry::error_chain;

/// Resolves receivers' names for the HTTP client, refusing every address a target may not have (unless
/// `WEBHOOKS_ALLOW_PRIVATE`): checked at each connection, so a name that resolved to a public address
/// when the subscription was made cannot be turned to an internal one later.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found
                .filter(|address| allow_private || is_public_address(address.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{} resolves to no public address (refused: WEBHOOKS_ALLOW_PRIVATE is off)",
                    name.as_str()
                )
                .into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}

/// The client attempts are sent with.
pub(super) fn http_client(settings: &WebhookSettings) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("blog-api-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: settings.allow_private,
        }))
        .build()
}

impl Deliverer {
    /// Posts the signed body: the status (if any answer came), why it failed, the start of the answer,
    /// and the `Retry-After` it asked for.
    pub(super) async fn send(
        &self,
        delivery: &ClaimedDelivery,
        at: chrono::DateTime<Utc>,
    ) -> (
        Option<u16>,
        Option<String>,
        Option<String>,
        Option<Duration>,
    ) {
        if let Err(refused) = self.allowed(&delivery.url) {
            return (None, Some(refused), None, None);
        }
        let timestamp = at.timestamp();
        let Some(signed) = signature(
            &delivery.secret,
            &delivery.event_id,
            timestamp,
            &delivery.payload,
        ) else {
            return (
                None,
                Some(String::from("the subscription's secret is malformed")),
                None,
                None,
            );
        };
        let sent = self
            .client
            .post(&delivery.url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(delivery.payload.clone())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return (None, Some(describe(&error)), None, None),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, self.clocks.real.now().and_utc()));
        let mut kept = Vec::new();
        let mut error = None;
        while kept.len() < BODY_KEPT {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(failed) => {
                    error = Some(describe(&failed));
                    break;
                }
            }
        }
        kept.truncate(BODY_KEPT);
        let body = (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned());
        let error = error.or_else(|| match AttemptResult::of(Some(status)) {
            AttemptResult::Delivered => None,
            AttemptResult::Retryable => Some(format!("the receiver answered {status}")),
            AttemptResult::Refused if (300..400).contains(&status) => Some(format!(
                "the receiver answered {status}; redirects are not followed"
            )),
            AttemptResult::Refused => Some(format!(
                "the receiver answered {status}: refused, not retried"
            )),
        });
        (Some(status), error, body, retry_after)
    }

    /// A target given as an address is checked here (names are checked as they resolve).
    fn allowed(&self, url: &str) -> Result<(), String> {
        let target = TargetUrl::parse(url)?;
        match target.host() {
            Some((_, Some(address)))
                if !self.settings.allow_private && !is_public_address(address) =>
            {
                Err(format!(
                    "{address} is not a public address (refused: WEBHOOKS_ALLOW_PRIVATE is off)"
                ))
            }
            _ => Ok(()),
        }
    }
}

/// A client error as one line: what failed, with its causes.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    format!("{kind}: {}", error_chain(error))
}
