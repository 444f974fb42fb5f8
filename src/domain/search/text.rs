//! How text becomes search words, the same way for what is indexed, what is asked and what is marked:
//! runs of letters and digits are words, folded to lower-case ASCII where a transliteration exists (`Café`
//! and `cafe`, `Καφές` and `καφες` are one word); Chinese, Japanese and Korean, written without spaces, are
//! cut into overlapping pairs of characters (`東京都` is `東京` and `京都`); each emoji is a word of its own.

use std::ops::Range;

/// A word of some text: what it is matched as, and where it stands in the text (bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub word: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    Cjk,
    Emoji,
    Other,
}

fn class(c: char) -> Class {
    let code = u32::from(c);
    if is_cjk(code) {
        Class::Cjk
    } else if c.is_alphanumeric() {
        Class::Word
    } else if is_emoji(code) {
        Class::Emoji
    } else {
        Class::Other
    }
}

/// Han ideographs, kana and Hangul: scripts written without spaces between words.
fn is_cjk(code: u32) -> bool {
    matches!(code,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF
        | 0xAC00..=0xD7AF | 0xFF66..=0xFF9F | 0x20000..=0x2FA1F)
}

/// Pictographs, symbols and dingbats that are written as emoji.
fn is_emoji(code: u32) -> bool {
    matches!(code, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF)
}

/// The word a run of letters and digits is matched as: lower-case ASCII when it transliterates to letters
/// and digits (accents and non-Latin alphabets folded), else its lower-case form.
pub fn fold(run: &str) -> String {
    let ascii = deunicode::deunicode(run);
    let folded: String = ascii
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if folded.is_empty() {
        run.to_lowercase()
    } else {
        folded
    }
}

/// The words of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut found = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match class(c) {
            Class::Other => {}
            Class::Emoji => found.push(Token {
                word: c.to_string(),
                span: start..start + c.len_utf8(),
            }),
            kind @ (Class::Word | Class::Cjk) => {
                let mut run = vec![(start, c)];
                while let Some(&(at, next)) = chars.peek() {
                    // Combining marks belong to the word they follow.
                    let mark = kind == Class::Word
                        && unicode_properties::UnicodeGeneralCategory::general_category_group(next)
                            == unicode_properties::GeneralCategoryGroup::Mark;
                    if class(next) != kind && !mark {
                        break;
                    }
                    run.push((at, next));
                    chars.next();
                }
                let end = run.last().map_or(start, |(at, c)| at + c.len_utf8());
                if kind == Class::Word {
                    found.push(Token {
                        word: fold(&text[start..end]),
                        span: start..end,
                    });
                } else {
                    push_pairs(&run, &mut found);
                }
            }
        }
    }
    found
}

/// Overlapping pairs of a run of CJK characters (a lone character stands alone).
fn push_pairs(run: &[(usize, char)], found: &mut Vec<Token>) {
    if let [(at, c)] = run {
        found.push(Token {
            word: c.to_string(),
            span: *at..at + c.len_utf8(),
        });
        return;
    }
    for pair in run.windows(2) {
        if let [(at, first), (second_at, second)] = pair {
            found.push(Token {
                word: [*first, *second].iter().collect(),
                span: *at..second_at + second.len_utf8(),
            });
        }
    }
}

/// How many typos a query word of this many characters forgives: none below 4, one up to 7, two from 8
/// (Meilisearch's and Typesense's rule). Words with digits (a version, a year) and words outside ASCII
/// (pairs of CJK characters, emoji) forgive none.
pub fn typo_budget(word: &str) -> u8 {
    if !word.is_ascii() || word.bytes().any(|byte| byte.is_ascii_digit()) {
        return 0;
    }
    match word.len() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The edit distance between two ASCII words (insertions, deletions, substitutions and swaps of neighbours
/// each count one), if it is at most `max`; `None` beyond.
pub fn distance_within(a: &str, b: &str, max: u8) -> Option<u8> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let max = usize::from(max);
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Three rows of the optimal-string-alignment table; a cell outside the table counts as too far.
    let far = max + 1;
    let cell = |row: &[usize], j: usize| row.get(j).copied().unwrap_or(far);
    let mut before: Vec<usize> = vec![far; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![far; b.len() + 1];
    for (i, a_char) in a.iter().enumerate() {
        let a_before = i.checked_sub(1).and_then(|k| a.get(k));
        let mut row: Vec<usize> = Vec::with_capacity(b.len() + 1);
        row.push(i + 1);
        for (j, b_char) in b.iter().enumerate() {
            let cost = usize::from(a_char != b_char);
            let left = row.last().copied().unwrap_or(far);
            let mut best = (cell(&previous, j + 1) + 1)
                .min(left + 1)
                .min(cell(&previous, j) + cost);
            let b_before = j.checked_sub(1).and_then(|k| b.get(k));
            if a_before == Some(b_char) && b_before == Some(a_char) {
                best = best.min(cell(&before, j - 1) + 1);
            }
            row.push(best);
        }
        if row.iter().all(|value| *value > max) {
            return None;
        }
        current.clone_from(&row);
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    u8::try_from(cell(&previous, b.len()))
        .ok()
        .filter(|distance| usize::from(*distance) <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|token| token.word).collect()
    }

    #[test]
    fn words_are_folded_and_keep_where_they_stand() {
        let found = tokens("Café, PostgreSQL's \"locks\"");
        let shown: Vec<(&str, &str)> = found
            .iter()
            .map(|token| {
                (
                    token.word.as_str(),
                    &"Café, PostgreSQL's \"locks\""[token.span.clone()],
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("cafe", "Café"),
                ("postgresql", "PostgreSQL"),
                ("s", "s"),
                ("locks", "locks")
            ]
        );
        assert_eq!(words("Καφές ΚΑΦΕΣ"), words("καφες καφες"));
    }

    #[test]
    fn cjk_runs_are_pairs_and_emoji_are_words() {
        assert_eq!(
            words("東京都 ラーメン"),
            ["東京", "京都", "ラー", "ーメ", "メン"]
        );
        assert_eq!(words("猫"), ["猫"]);
        assert_eq!(words("rust🦀crab"), ["rust", "🦀", "crab"]);
    }

    #[test]
    fn typos_are_counted_with_swaps_as_one() {
        assert_eq!(distance_within("postgras", "postgres", 2), Some(1));
        assert_eq!(distance_within("raedis", "redis", 1), Some(1));
        assert_eq!(distance_within("rdeis", "redis", 1), Some(1));
        assert_eq!(distance_within("redis", "redis", 0), Some(0));
        assert_eq!(distance_within("cache", "catch", 1), None);
        assert_eq!(distance_within("a", "abcd", 2), None);
        assert_eq!(
            (
                typo_budget("api"),
                typo_budget("redis"),
                typo_budget("postgres")
            ),
            (0, 1, 2)
        );
    }
}
