//! Reading one variable: flags, whole numbers in a range, milliseconds, durations, the Redis endpoint; a
//! present but unusable value is a `ConfigError` naming the variable.

use std::num::NonZeroU32;
use std::time::Duration;

use super::ConfigError;
use crate::cache::RedisEndpoint;

/// `true`/`1`/`yes` or `false`/`0`/`no`.
pub(super) fn flag(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match lookup(name).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(invalid(name, "true or false", other.to_owned())),
    }
}

/// `REDIS_CLUSTER_URLS` (seed nodes, comma-separated) if set, else `REDIS_URL`, else none.
pub(super) fn redis_endpoint(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<RedisEndpoint>, ConfigError> {
    let redis_url = |name: &'static str, url: &str| {
        if url.starts_with("redis://") {
            Ok(url.to_owned())
        } else {
            Err(invalid(
                name,
                "redis://[:PASSWORD@]HOST:PORT[/DB]",
                crate::db::redact(url),
            ))
        }
    };
    if let Some(urls) = lookup("REDIS_CLUSTER_URLS").filter(|urls| !urls.trim().is_empty()) {
        let seeds = urls
            .split(',')
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(|url| redis_url("REDIS_CLUSTER_URLS", url))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Some(RedisEndpoint::Cluster(seeds)));
    }
    match lookup("REDIS_URL").filter(|url| !url.is_empty()) {
        None => Ok(None),
        Some(url) => Ok(Some(RedisEndpoint::Single(redis_url("REDIS_URL", &url)?))),
    }
}

pub(super) fn invalid(
    name: &'static str,
    expected: impl Into<String>,
    value: String,
) -> ConfigError {
    ConfigError::Invalid {
        name,
        expected: expected.into(),
        value,
    }
}

pub(super) fn whole<T: TryFrom<u64>>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<T, ConfigError> {
    let expected = || format!("a whole number from {} to {}", range.start(), range.end());
    let value = lookup(name).unwrap_or_else(|| default.to_string());
    value
        .parse::<u64>()
        .ok()
        .filter(|number| range.contains(number))
        .and_then(|number| T::try_from(number).ok())
        .ok_or_else(|| invalid(name, expected(), value))
}

/// A rate per minute: 1 to `max`.
pub(super) fn per_minute(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
    max: u32,
) -> Result<NonZeroU32, ConfigError> {
    let number: u32 = whole(lookup, name, u64::from(default), 1..=u64::from(max))?;
    NonZeroU32::new(number)
        .ok_or_else(|| invalid(name, format!("from 1 to {max}"), number.to_string()))
}

pub(super) fn millis(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    match lookup(name) {
        None => Ok(Duration::from_millis(default)),
        Some(value) => value
            .parse::<u64>()
            .ok()
            .filter(|ms| range.contains(ms))
            .map(Duration::from_millis)
            .ok_or_else(|| {
                let expected = format!("milliseconds, from {} to {}", range.start(), range.end());
                invalid(name, expected, value)
            }),
    }
}

/// `90s`, `15m`, `12h`, `7d`, or plain seconds.
pub(super) fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(split) => value.split_at(split),
        None => (value, "s"),
    };
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number
        .parse::<u64>()
        .ok()?
        .checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
}
