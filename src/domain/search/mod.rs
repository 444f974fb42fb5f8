//! Full-text search: what a reader typed (`q`), how text becomes words ([`text`]), the in-memory index
//! that ranks posts ([`index`]) and the marks that show why a result matched ([`highlight`]).

pub mod highlight;
pub mod index;
pub mod text;

use super::InvalidValue;

/// A search query: 1 to 200 characters with at least one word (letters, digits, CJK text or an emoji).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    raw: String,
    words: Vec<QueryWord>,
}

/// One word of a query and how it may match a word of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    pub word: String,
    /// How many typos it forgives (none inside quotes).
    pub typos: u8,
    /// Whether it also matches as the start of a longer word: the last word, as typed, not quoted.
    pub prefix: bool,
}

impl SearchQuery {
    pub const MAX_LEN: usize = 200;
    /// The words of a query that are matched; any further ones are ignored.
    pub const MAX_WORDS: usize = 10;

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
        let words = query_words(trimmed);
        if words.is_empty() {
            return Err(InvalidValue::new("q", "must contain at least one word"));
        }
        Ok(SearchQuery {
            raw: trimmed.to_owned(),
            words,
        })
    }

    /// The text as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The words matched, at most [`Self::MAX_WORDS`], each once.
    pub fn words(&self) -> &[QueryWord] {
        &self.words
    }
}

/// How many suggestions to return: `limit` in 1..=10 (default 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuggestLimit(u32);

impl SuggestLimit {
    pub const DEFAULT: u32 = 5;
    pub const MAX: u32 = 10;

    pub fn parse(raw: Option<&str>) -> Result<Self, InvalidValue> {
        Ok(SuggestLimit(match raw {
            None => Self::DEFAULT,
            Some(raw) => super::page::parse_in_range("limit", raw, 1, Self::MAX)?,
        }))
    }

    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// The words of `raw`: a word inside double quotes matches exactly (no typo, no prefix); the last word
/// matches as a prefix too when the query ends with it (the reader may still be typing it).
fn query_words(raw: &str) -> Vec<QueryWord> {
    let mut words: Vec<QueryWord> = Vec::new();
    let mut offset = 0;
    for (index, part) in raw.split('"').enumerate() {
        let quoted = index % 2 == 1;
        for token in text::tokens(part) {
            let ends_query = offset + token.span.end == raw.len();
            let word = QueryWord {
                typos: if quoted {
                    0
                } else {
                    text::typo_budget(&token.word)
                },
                prefix: !quoted && ends_query,
                word: token.word,
            };
            if let Some(same) = words.iter_mut().find(|seen| seen.word == word.word) {
                same.prefix |= word.prefix;
                same.typos = same.typos.min(word.typos);
            } else if words.len() < SearchQuery::MAX_WORDS {
                words.push(word);
            }
        }
        offset += part.len() + 1;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(raw: &str) -> Vec<(String, u8, bool)> {
        SearchQuery::parse(raw)
            .map(|query| {
                query
                    .words()
                    .iter()
                    .map(|word| (word.word.clone(), word.typos, word.prefix))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn the_last_word_is_a_prefix_and_quoted_words_are_exact() {
        assert_eq!(
            shown("Redis postg"),
            [("redis".into(), 1, false), ("postg".into(), 1, true)]
        );
        assert_eq!(
            shown("\"click counter\""),
            [("click".into(), 0, false), ("counter".into(), 0, false)]
        );
        assert_eq!(shown("redis,"), [("redis".into(), 1, false)]);
        assert_eq!(shown("a a A"), [("a".into(), 0, true)]);
    }

    #[test]
    fn operators_are_words_and_emoji_count() {
        assert_eq!(shown("redis OR -lua*").len(), 3);
        assert_eq!(shown("🦀"), [("🦀".into(), 0, true)]);
    }

    #[test]
    fn rejects_queries_without_words_or_too_long() {
        assert!(SearchQuery::parse("").is_err());
        assert!(SearchQuery::parse(" *** ").is_err());
        assert!(SearchQuery::parse(&"a".repeat(SearchQuery::MAX_LEN + 1)).is_err());
    }
}
