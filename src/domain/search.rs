//! Full-text search terms (`q`).

use super::InvalidValue;

/// A search query: 1 to 200 characters with at least one letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(String);

impl SearchQuery {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(InvalidValue::new(
                "q",
                format!("must be at most {} characters long", Self::MAX_LEN),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(InvalidValue::new(
                "q",
                "must not contain control characters",
            ));
        }
        if !trimmed.chars().any(char::is_alphanumeric) {
            return Err(InvalidValue::new("q", "must contain at least one word"));
        }
        Ok(SearchQuery(trimmed.to_owned()))
    }

    /// The text as typed, for PostgreSQL's `websearch_to_tsquery` (which accepts any input).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An FTS5 query matching every word of the input: each word is quoted, so no input can be read as FTS5
    /// syntax (`AND`, `NEAR`, `*`, column filters) or make the query fail.
    pub fn fts5_query(&self) -> String {
        self.0
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(|word| format!("\"{word}\""))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_word_for_fts5() {
        let query = SearchQuery::parse("  redis: NEAR(click*) \"x\" ").map(|q| q.fts5_query());
        assert_eq!(query, Ok(r#""redis" "NEAR" "click" "x""#.to_owned()));
    }

    #[test]
    fn rejects_queries_without_words_or_too_long() {
        assert!(SearchQuery::parse("").is_err());
        assert!(SearchQuery::parse(" *** ").is_err());
        assert!(SearchQuery::parse(&"a".repeat(SearchQuery::MAX_LEN + 1)).is_err());
    }
}
