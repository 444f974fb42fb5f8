//! Entity tags for content (not for click counts, which change on every view): a post's id and the
//! instant it was last written.

use chrono::{DateTime, Utc};

/// The strong `ETag` of a post version.
pub fn post_etag(id: i64, updated_at: DateTime<Utc>) -> String {
    format!("\"p{id}-{}\"", updated_at.timestamp_micros())
}

/// Whether an `If-Match` header value names `current` (strong comparison: weak tags never match; `*`
/// matches any existing version).
pub fn if_match_allows(header: &str, current: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || (!tag.starts_with("W/") && tag == current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_strongly() {
        let current = "\"p1-5\"";
        assert!(if_match_allows("\"p1-5\"", current));
        assert!(if_match_allows("\"p1-4\", \"p1-5\"", current));
        assert!(if_match_allows("*", current));
        assert!(!if_match_allows("W/\"p1-5\"", current));
        assert!(!if_match_allows("\"p1-4\"", current));
    }
}
