//! Entity tags for content (not for click counts, which change on every view): a post's id and the
//! instant it was last written.

use chrono::{DateTime, Utc};

/// The strong `ETag` of a post version.
pub fn post_etag(id: i64, updated_at: DateTime<Utc>) -> String {
    format!("\"p{id}-{}\"", updated_at.timestamp_micros())
}

/// Whether an `If-Match` header value names `current` (strong comparison: weak tags never match; `*`
/// matches any existing version). A read's tag carries the content version followed by a digest of the
/// representation (`"p2-1700-ab12.."`): it names the content version it starts with.
pub fn if_match_allows(header: &str, current: &str) -> bool {
    let with_digest = current.strip_suffix('"').map(|open| format!("{open}-"));
    header.split(',').map(str::trim).any(|tag| {
        tag == "*"
            || (!tag.starts_with("W/")
                && (tag == current
                    || with_digest
                        .as_deref()
                        .is_some_and(|prefix| tag.starts_with(prefix) && tag.ends_with('"'))))
    })
}

/// Whether an `If-None-Match` header value names `current` (weak comparison: `W/` is ignored on both
/// sides; `*` matches).
pub fn if_none_match_allows(header: &str, current: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let current = opaque(current);
    header
        .split(',')
        .any(|tag| tag.trim() == "*" || opaque(tag) == current)
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
        assert!(
            if_match_allows("\"p1-5-0a1b2c3d\"", current),
            "a read's tag names its version"
        );
        assert!(!if_match_allows("\"p1-50-0a1b2c3d\"", current));
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(if_none_match_allows("W/\"ab\"", "W/\"ab\""));
        assert!(if_none_match_allows("\"x\", \"ab\"", "W/\"ab\""));
        assert!(if_none_match_allows("*", "\"p1-5-ab\""));
        assert!(!if_none_match_allows("W/\"ac\"", "W/\"ab\""));
    }
}
