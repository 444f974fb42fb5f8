//! The settings of feeds and the sitemap, of webhook deliveries, of preview links and of media, read from
//! their variables.

use std::time::Duration;

use super::read::{flag, invalid, millis, parse_duration, whole};
use super::{ConfigError, MediaSettings, PreviewSettings, SiteSettings, WebhookSettings};
use crate::media::{Rules, S3Location, StoreLocation};

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

pub(super) fn media_settings(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<MediaSettings, ConfigError> {
    let store = media_store(lookup)?;
    let public_url = match lookup("MEDIA_PUBLIC_URL").filter(|value| !value.is_empty()) {
        None => None,
        Some(url)
            if (url.starts_with("http://") || url.starts_with("https://"))
                && url.len() > "https://".len()
                && !url.contains([' ', '?', '#', '"', '<', '>']) =>
        {
            Some(url.trim_end_matches('/').to_owned())
        }
        Some(url) => {
            return Err(invalid(
                "MEDIA_PUBLIC_URL",
                "an http:// or https:// URL, like https://cdn.example.com/media",
                url,
            ))
        }
    };
    let widths = match lookup("MEDIA_WIDTHS") {
        None => vec![320, 640, 1024, 1600],
        Some(list) => {
            let mut widths = list
                .split(',')
                .map(|width| {
                    width
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|w| (16..=8192).contains(w))
                })
                .collect::<Option<Vec<u32>>>()
                .filter(|widths| (1..=12).contains(&widths.len()))
                .ok_or_else(|| {
                    invalid(
                        "MEDIA_WIDTHS",
                        "1 to 12 widths from 16 to 8192, comma-separated, like 320,640,1024,1600",
                        list.clone(),
                    )
                })?;
            widths.sort_unstable();
            widths.dedup();
            widths
        }
    };
    Ok(MediaSettings {
        store,
        public_url,
        max_bytes: whole(lookup, "MEDIA_MAX_BYTES", 20 << 20, 1024..=(1 << 30))?,
        rules: Rules {
            max_pixels: whole(lookup, "MEDIA_MAX_PIXELS", 50_000_000, 1..=1_000_000_000)?,
            widths,
        },
        timeout: millis(lookup, "MEDIA_TIMEOUT_MS", 30_000, 100..=600_000)?,
        workers: match lookup("MEDIA_WORKERS").filter(|value| !value.is_empty()) {
            None => super::cores(),
            Some(_) => whole(lookup, "MEDIA_WORKERS", 0, 1..=256)?,
        },
        worker_priority: worker_priority(lookup)?,
    })
}

/// `MEDIA_WORKER_NICE`: `idle` (the default) or a niceness from 0 to 19.
fn worker_priority(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<crate::media::WorkerPriority, ConfigError> {
    const NAME: &str = "MEDIA_WORKER_NICE";
    match lookup(NAME).filter(|value| !value.is_empty()) {
        None => Ok(crate::media::WorkerPriority::Idle),
        Some(value) if value.eq_ignore_ascii_case("idle") => Ok(crate::media::WorkerPriority::Idle),
        Some(value) => value
            .parse::<i32>()
            .ok()
            .filter(|nice| (0..=19).contains(nice))
            .map(crate::media::WorkerPriority::Nice)
            .ok_or_else(|| {
                invalid(
                    NAME,
                    String::from("idle, or a whole number from 0 to 19"),
                    value,
                )
            }),
    }
}

/// `MEDIA_STORE`, with `MEDIA_S3_ENDPOINT` and the `AWS_*` variables for a bucket (read, and the endpoint
/// checked, whichever store is chosen: a typo is found before the day the bucket is switched on).
fn media_store(lookup: &impl Fn(&str) -> Option<String>) -> Result<StoreLocation, ConfigError> {
    let set = |name: &str| lookup(name).filter(|value| !value.is_empty());
    let endpoint = match set("MEDIA_S3_ENDPOINT") {
        None => None,
        Some(url)
            if (url.starts_with("http://") || url.starts_with("https://"))
                && url.len() > "https://".len()
                && !url.contains([' ', '?', '#']) =>
        {
            Some(url.trim_end_matches('/').to_owned())
        }
        Some(url) => {
            return Err(invalid(
                "MEDIA_S3_ENDPOINT",
                "an http:// or https:// URL, like http://127.0.0.1:9000",
                url,
            ))
        }
    };
    let region = set("AWS_REGION").unwrap_or_else(|| String::from("us-east-1"));
    let access_key_id = set("AWS_ACCESS_KEY_ID");
    let secret_access_key = set("AWS_SECRET_ACCESS_KEY");
    let session_token = set("AWS_SESSION_TOKEN");
    let raw = set("MEDIA_STORE").unwrap_or_else(|| String::from(MediaSettings::DEFAULT_STORE));
    if let Some(path) = raw.strip_prefix("file://").filter(|path| !path.is_empty()) {
        return Ok(StoreLocation::Directory(std::path::PathBuf::from(path)));
    }
    let bucket = raw
        .strip_prefix("s3://")
        .map(|bucket| bucket.trim_end_matches('/'))
        .filter(|bucket| {
            (3..=63).contains(&bucket.len())
                && bucket
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        })
        .ok_or_else(|| {
            invalid(
                "MEDIA_STORE",
                "file://PATH (like file://./media) or s3://BUCKET (a bucket name: 3 to 63 of a-z, 0-9, - and .)",
                raw.clone(),
            )
        })?;
    Ok(StoreLocation::S3(S3Location {
        bucket: bucket.to_owned(),
        endpoint,
        region,
        access_key_id,
        secret_access_key,
        session_token,
    }))
}
