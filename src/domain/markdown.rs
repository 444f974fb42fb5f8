//! Markdown bodies: rendered and sanitized once, when a post is written, never per request.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The longest derived excerpt, in characters.
pub const EXCERPT_MAX_CHARS: usize = 300;

/// Renders Markdown to HTML and removes everything unsafe: scripts, event handlers, `javascript:` URLs and
/// any tag or attribute outside ammonia's allow-list. Links get `rel="noopener noreferrer"`.
pub fn render_html(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
    ammonia::clean(&html)
}

/// Renders a reader's comment like a post body, with links marked `nofollow ugc` (spam earns no rank) and
/// no images: a remote image in a comment would let its author track every reader who opens the page.
pub fn render_comment_html(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
    ammonia::Builder::default()
        .link_rel(Some("nofollow ugc noopener noreferrer"))
        .rm_tags(["img", "picture", "source", "video", "audio"])
        .clean(&html)
        .to_string()
}

/// A stored comment's HTML: rows written before comments were rendered at write time have none yet, and
/// get it rendered from their Markdown.
pub fn comment_html(markdown: &str, stored_html: String) -> String {
    if stored_html.is_empty() {
        render_comment_html(markdown)
    } else {
        stored_html
    }
}

/// The first paragraph as plain text, whitespace collapsed, cut at a word boundary to at most
/// [`EXCERPT_MAX_CHARS`] characters (an ellipsis marks a cut). Falls back to the first text of any kind.
pub fn derive_excerpt(markdown: &str) -> String {
    let mut paragraph = String::new();
    let mut fallback = String::new();
    let mut in_paragraph = false;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(TagEnd::Paragraph) if !paragraph.trim().is_empty() => break,
            Event::End(TagEnd::Paragraph) => in_paragraph = false,
            Event::Text(text) | Event::Code(text) => {
                let target = if in_paragraph {
                    &mut paragraph
                } else {
                    &mut fallback
                };
                target.push_str(&text);
            }
            Event::SoftBreak | Event::HardBreak => paragraph.push(' '),
            _ => {}
        }
    }
    let source = if paragraph.trim().is_empty() {
        &fallback
    } else {
        &paragraph
    };
    truncate_words(
        &source.split_whitespace().collect::<Vec<_>>().join(" "),
        EXCERPT_MAX_CHARS,
    )
}

/// The text a reader sees of a body (code included; markup, link targets and images not), whitespace
/// collapsed: what search indexes and quotes from.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    let mut in_image = 0_u32;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
            Event::Text(part) | Event::Code(part) if in_image == 0 => text.push_str(&part),
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link,
            ) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) | Event::Rule => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words a reader reads per minute, for [`Reading::minutes`].
pub const WORDS_PER_MINUTE: i64 = 230;

/// How long a body is to read: its words (the text a reader sees, code included; markup, link targets and
/// images' alt text not), and the minutes they take at [`WORDS_PER_MINUTE`], rounded up (0 for an empty body). Derived when a
/// post is written, like its HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub words: i64,
    pub minutes: i64,
}

impl Reading {
    pub fn of(markdown: &str) -> Self {
        let text = plain_text(markdown);
        let words = i64::try_from(text.split_whitespace().count()).unwrap_or(i64::MAX);
        Reading {
            words,
            minutes: (words + WORDS_PER_MINUTE - 1) / WORDS_PER_MINUTE,
        }
    }
}

fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    // Leave room for the ellipsis, then back off to the last space.
    let cut: String = text.chars().take(max_chars - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > 0 => &cut[..space],
        _ => cut.as_str(),
    };
    format!(
        "{}…",
        cut.trim_end_matches(|c: char| c.is_ascii_punctuation())
    )
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_to_html() {
        let html = render_html("## Title\n\nSome *text* and `code`.");
        assert!(html.contains("<h2>Title</h2>"), "{html}");
        assert!(html.contains("<em>text</em>"), "{html}");
    }

    #[test]
    fn removes_scripts_event_handlers_and_javascript_links() {
        let html = render_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[click](javascript:alert(3))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn comments_carry_no_images_and_posts_may() {
        let markdown =
            "Look ![pixel](https://tracker.example/p.gif?u=1) <img src=\"https://t.example/x\">";
        let comment = render_comment_html(markdown);
        assert!(
            !comment.contains("<img") && !comment.contains("tracker"),
            "{comment}"
        );
        assert!(comment.contains("Look"), "{comment}");
        assert!(render_html(markdown).contains("<img"));
    }

    #[test]
    fn excerpt_is_the_first_paragraph_in_plain_text() {
        let excerpt = derive_excerpt("## Heading\n\nFirst *para*\ngraph.\n\nSecond.");
        assert_eq!(excerpt, "First para graph.");
    }

    #[test]
    fn long_excerpts_are_cut_at_a_word_with_an_ellipsis() {
        let excerpt = derive_excerpt(&"word ".repeat(200));
        assert!(
            excerpt.chars().count() <= EXCERPT_MAX_CHARS,
            "{}",
            excerpt.len()
        );
        assert!(excerpt.ends_with("word…"), "{excerpt}");
    }

    #[test]
    fn reading_counts_the_words_a_reader_sees() {
        let reading = Reading::of(
            "## Two words\n\nFirst *para*graph with [a link](https://example.com/x).\n\n```\nlet x = 1;\n```",
        );
        // Two words (2), First paragraph with a link. (5), let x = 1; (4)
        assert_eq!(reading.words, 11);
        assert_eq!(reading.minutes, 1);
        assert_eq!(
            Reading::of(""),
            Reading {
                words: 0,
                minutes: 0
            }
        );
        assert_eq!(Reading::of(&"word ".repeat(230)).minutes, 1);
        assert_eq!(Reading::of(&"word ".repeat(231)).minutes, 2);
    }

    #[test]
    fn excerpt_falls_back_to_any_text_when_there_is_no_paragraph() {
        assert_eq!(derive_excerpt("# Only a heading"), "Only a heading");
        assert_eq!(derive_excerpt(""), "");
    }
}
