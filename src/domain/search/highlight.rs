//! What a result shows of why it matched: its title and a passage of its body, HTML-escaped, with each
//! word the query matched wrapped in `<mark>` and `</mark>`.

use std::ops::Range;

use serde::Serialize;
use utoipa::ToSchema;

use super::text::{distance_within, each_token, letters};
use super::SearchQuery;

/// The longest passage, in characters (an ellipsis at either end included).
pub const PASSAGE_MAX_CHARS: usize = 300;

/// `highlights` of a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"title": "Tuning <mark>Redis</mark> latency",
    "excerpt": "… keeps <mark>Redis</mark> answering in under a millisecond …"}))]
pub struct Highlights {
    /// The title, HTML-escaped, with the matched words marked.
    pub title: String,
    /// A passage of the body around its best match (at most 300 characters of text), HTML-escaped, with
    /// the matched words marked; the body's beginning when only the title or tags matched.
    pub excerpt: String,
}

impl Highlights {
    /// The highlights of a post with `title` and a body whose plain text is `body`.
    pub fn of(query: &SearchQuery, title: &str, body: &str) -> Self {
        Highlights {
            title: marked(query, title, &(0..title.len())),
            excerpt: passage(query, body),
        }
    }
}

/// Which query word a word of a post matches, if any (the index's rules: the word itself, within the query
/// word's typos, or starting with the last word typed).
fn matched_by(query: &SearchQuery, word: &str) -> Option<usize> {
    query.words().iter().position(|wanted| {
        word == wanted.word
            || (wanted.prefix && word.starts_with(&wanted.word))
            || (wanted.typos > 0
                && word.is_ascii()
                && word.len().abs_diff(wanted.word.len()) <= usize::from(wanted.typos)
                && (letters(word) ^ letters(&wanted.word)).count_ones()
                    <= 2 * u32::from(wanted.typos)
                && distance_within(word, &wanted.word, wanted.typos).is_some())
    })
}

/// The matched words of `text`: where each stands and which query word it matches, overlapping ones (pairs
/// of CJK characters) joined.
fn match_spans(query: &SearchQuery, text: &str) -> Vec<(Range<usize>, usize)> {
    let mut spans: Vec<(Range<usize>, usize)> = Vec::new();
    each_token(text, |word, span| {
        let Some(which) = matched_by(query, word) else {
            return;
        };
        match spans.last_mut() {
            Some((last, _)) if span.start < last.end => last.end = last.end.max(span.end),
            _ => spans.push((span, which)),
        }
    });
    spans
}

/// `text[within]`, escaped, with the matched words marked.
fn marked(query: &SearchQuery, text: &str, within: &Range<usize>) -> String {
    let part = &text[within.clone()];
    let spans = match_spans(query, part);
    let mut out = String::with_capacity(part.len() + 13 * spans.len());
    let mut at = 0;
    for (span, _) in spans {
        escape_into(&part[at..span.start], &mut out);
        out.push_str("<mark>");
        escape_into(&part[span.clone()], &mut out);
        out.push_str("</mark>");
        at = span.end;
    }
    escape_into(&part[at..], &mut out);
    out
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// The passage of `body` with the most different matched words within [`PASSAGE_MAX_CHARS`], starting a
/// little before the first of them, cut at word boundaries, marked.
fn passage(query: &SearchQuery, body: &str) -> String {
    let matched = match_spans(query, body);
    // The window (in bytes, a near bound for characters) starting at each match, scored by the distinct
    // query words in it; the first best wins.
    let reach = PASSAGE_MAX_CHARS * 3 / 4;
    let mut best: Option<(usize, u32)> = None;
    for (index, (first, _)) in matched.iter().enumerate() {
        let distinct = matched
            .iter()
            .skip(index)
            .take_while(|(span, _)| span.end - first.start <= reach)
            .fold(0_u32, |words, (_, which)| words | 1 << which)
            .count_ones();
        if best.is_none_or(|(_, score)| distinct > score) {
            best = Some((first.start, distinct));
        }
    }
    let start = best.map_or(0, |(start, _)| lead_in(body, start));
    cut(query, body, start)
}

/// Where a passage whose first match is at `at` starts: up to about 40 characters before it, at the start
/// of a word (or of the body).
fn lead_in(body: &str, at: usize) -> usize {
    let earliest = body[..at]
        .char_indices()
        .rev()
        .nth(40)
        .map_or(0, |(index, _)| index);
    if earliest == 0 {
        return 0;
    }
    body[earliest..at]
        .find(char::is_whitespace)
        .map_or(at, |space| earliest + space + 1)
}

/// At most [`PASSAGE_MAX_CHARS`] characters of `body` from `start`, cut at a word boundary, with an
/// ellipsis where text was left out, marked.
fn cut(query: &SearchQuery, body: &str, start: usize) -> String {
    let lead = if start > 0 { "… " } else { "" };
    let room = PASSAGE_MAX_CHARS - lead.chars().count();
    let rest = &body[start..];
    let end = if rest.char_indices().nth(room).is_none() {
        body.len()
    } else {
        // Leave room for the closing ellipsis, and end at a word boundary.
        let limit = rest
            .char_indices()
            .nth(room - 2)
            .map_or(rest.len(), |(index, _)| index);
        let boundary = rest[..limit]
            .rfind(char::is_whitespace)
            .filter(|at| *at > 0)
            .unwrap_or(limit);
        start + boundary
    };
    let mut out = String::from(lead);
    out.push_str(&marked(query, body, &(start..end)));
    if end < body.len() {
        out.push_str(" …");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> SearchQuery {
        SearchQuery::parse(raw).expect("a query")
    }

    #[test]
    fn marks_matched_words_typos_and_prefixes_and_escapes_the_rest() {
        let shown = Highlights::of(&query("redis postg"), "<Redis> & PostgreSQL", "");
        assert_eq!(
            shown.title,
            "&lt;<mark>Redis</mark>&gt; &amp; <mark>PostgreSQL</mark>"
        );
        assert_eq!(
            Highlights::of(&query("raedis"), "Redis rocks", "").title,
            "<mark>Redis</mark> rocks"
        );
        assert_eq!(
            Highlights::of(&query("東京"), "東京都の猫", "").title,
            "<mark>東京</mark>都の猫"
        );
    }

    #[test]
    fn the_excerpt_is_a_passage_around_the_best_match_within_300_characters() {
        let body = format!(
            "{} the lonely redis mention. {} redis latency tuning here. {}",
            "filler ".repeat(60),
            "padding ".repeat(40),
            "tail ".repeat(80)
        );
        let shown = Highlights::of(&query("redis latency"), "Title", &body);
        assert!(shown.excerpt.starts_with("… "), "{}", shown.excerpt);
        assert!(shown.excerpt.ends_with(" …"), "{}", shown.excerpt);
        assert!(
            shown
                .excerpt
                .contains("<mark>redis</mark> <mark>latency</mark> tuning"),
            "{}",
            shown.excerpt
        );
        let text = shown.excerpt.replace("<mark>", "").replace("</mark>", "");
        assert!(
            text.chars().count() <= PASSAGE_MAX_CHARS,
            "{}",
            text.chars().count()
        );
    }

    #[test]
    fn without_a_match_in_the_body_the_excerpt_is_its_beginning() {
        let shown = Highlights::of(&query("zebra"), "Zebra", "A short body.");
        assert_eq!(shown.excerpt, "A short body.");
        let long = "word ".repeat(100);
        let cut = Highlights::of(&query("zebra"), "Zebra", &long).excerpt;
        assert!(
            cut.ends_with(" …") && cut.chars().count() <= PASSAGE_MAX_CHARS,
            "{cut}"
        );
    }
}
