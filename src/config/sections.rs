//! The settings of feeds and the sitemap, of webhook deliveries and of preview links, read from their
//! variables.

use std::time::Duration;

use super::read::{flag, invalid, millis, parse_duration, whole};
use super::{ConfigError, PreviewSettings, SiteSettings, WebhookSettings};

pub(super) fn webhook_settings(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<WebhookSettings, ConfigError> {
    let max_age = match lookup("WEBHOOK_MAX_AGE") {
        None => Duration::from_secs(86_400),
        Some(value) => parse_duration(&value)
            .filter(|age| *age >= Duration::from_secs(60))
            .ok_or_else(|| {
                invalid(
                    "WEBHOOK_MAX_AGE",
                    "a duration of at least 1m, like 24h, 3d or 90m",
                    value,
                )
            })?,
    };
    Ok(WebhookSettings {
        allow_private: flag(lookup, "WEBHOOKS_ALLOW_PRIVATE", false)?,
        retry_base: millis(lookup, "WEBHOOK_RETRY_BASE_MS", 2000, 10..=3_600_000)?,
        max_age,
        timeout: millis(lookup, "WEBHOOK_TIMEOUT_MS", 10_000, 100..=120_000)?,
        poll_interval: millis(lookup, "WEBHOOK_POLL_INTERVAL_MS", 1000, 10..=60_000)?,
    })
}

pub(super) fn preview_settings(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<PreviewSettings, ConfigError> {
    let ttl = match lookup("PREVIEW_LINK_TTL") {
        None => Duration::from_secs(7 * 86_400),
        Some(value) => parse_duration(&value)
            .filter(|ttl| {
                (Duration::from_secs(60)..=Duration::from_secs(365 * 86_400)).contains(ttl)
            })
            .ok_or_else(|| {
                invalid(
                    "PREVIEW_LINK_TTL",
                    "a duration from 1m to 365d, like 7d, 48h or 90m",
                    value,
                )
            })?,
    };
    let url_pattern = match lookup("PREVIEW_URL_PATTERN").filter(|value| !value.is_empty()) {
        None => None,
        Some(value)
            if (value.starts_with("http://") || value.starts_with("https://"))
                && value.contains("{token}")
                && !value.contains([' ', '"', '<', '>']) =>
        {
            Some(value)
        }
        Some(value) => {
            return Err(invalid(
                "PREVIEW_URL_PATTERN",
                "an http:// or https:// URL containing {token}",
                value,
            ))
        }
    };
    Ok(PreviewSettings { ttl, url_pattern })
}

pub(super) fn site_settings(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<SiteSettings, ConfigError> {
    let is_url = |value: &str| {
        (value.starts_with("http://") || value.starts_with("https://"))
            && !value.contains(['?', '#', ' ', '"', '<', '>'])
    };
    let url = match lookup("SITE_URL").filter(|url| !url.is_empty()) {
        None => None,
        Some(url) if is_url(&url) && url.len() > "https://".len() => {
            Some(url.trim_end_matches('/').to_owned())
        }
        Some(url) => {
            return Err(invalid(
                "SITE_URL",
                "an http:// or https:// URL without query or fragment",
                url,
            ))
        }
    };
    let pattern = |name: &'static str, default: &str, placeholders: &[&str]| {
        let value = lookup(name).unwrap_or_else(|| default.to_owned());
        let well_formed = (value.starts_with('/') || is_url(&value))
            && placeholders
                .iter()
                .any(|placeholder| value.contains(placeholder));
        if well_formed {
            Ok(value)
        } else {
            Err(invalid(
                name,
                format!(
                    "a path (or http(s) URL) containing {}",
                    placeholders.join(" or ")
                ),
                value,
            ))
        }
    };
    Ok(SiteSettings {
        url,
        title: lookup("SITE_TITLE")
            .map(|title| title.trim().to_owned())
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| String::from("Blog")),
        post_url_pattern: pattern("POST_URL_PATTERN", "/posts/{slug}", &["{slug}", "{id}"])?,
        category_url_pattern: pattern("CATEGORY_URL_PATTERN", "/categories/{slug}", &["{slug}"])?,
        tag_url_pattern: pattern("TAG_URL_PATTERN", "/tags/{slug}", &["{slug}"])?,
        author_url_pattern: match lookup("AUTHOR_URL_PATTERN").filter(|value| !value.is_empty()) {
            None => None,
            Some(_) => Some(pattern("AUTHOR_URL_PATTERN", "", &["{slug}"])?),
        },
        feed_items: whole(lookup, "FEED_ITEMS", 20, 1..=100)?,
        sitemap_max_urls: whole(lookup, "SITEMAP_MAX_URLS", 50_000, 1..=50_000)?,
    })
}
