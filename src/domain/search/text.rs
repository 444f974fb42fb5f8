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
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            Class::Word
        } else {
            Class::Other
        };
    }
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
    let mut word = String::with_capacity(run.len());
    fold_into(run, &mut word);
    word
}

/// [`fold`] into `word` (cleared first).
fn fold_into(run: &str, word: &mut String) {
    word.clear();
    if run.is_ascii() {
        word.extend(run.chars().map(|c| c.to_ascii_lowercase()));
        return;
    }
    let ascii = deunicode::deunicode(run);
    word.extend(
        ascii
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase()),
    );
    if word.is_empty() {
        word.push_str(&run.to_lowercase());
    }
}

/// The words of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut found = Vec::new();
    each_token(text, |word, span| {
        found.push(Token {
            word: word.to_owned(),
            span,
        });
    });
    found
}

/// Calls `found` with each word of `text` and where it stands, in order, without keeping them.
pub fn each_token(text: &str, mut found: impl FnMut(&str, Range<usize>)) {
    let mut word = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match class(c) {
            Class::Other => {}
            Class::Emoji => {
                word.clear();
                word.push(c);
                found(&word, start..start + c.len_utf8());
            }
            Class::Word => {
                let mut end = start + c.len_utf8();
                while let Some(&(at, next)) = chars.peek() {
                    // Combining marks belong to the word they follow.
                    let joins = class(next) == Class::Word
                        || (!next.is_ascii()
                            && unicode_properties::UnicodeGeneralCategory::general_category_group(
                                next,
                            ) == unicode_properties::GeneralCategoryGroup::Mark);
                    if !joins {
                        break;
                    }
                    end = at + next.len_utf8();
                    chars.next();
                }
                fold_into(&text[start..end], &mut word);
                found(&word, start..end);
            }
            Class::Cjk => {
                let mut run = vec![(start, c)];
                while let Some(&(at, next)) = chars.peek() {
                    if class(next) != Class::Cjk {
                        break;
                    }
                    run.push((at, next));
                    chars.next();
                }
                for token in pairs(&run) {
                    found(&token.word, token.span);
                }
            }
        }
    }
}

/// Overlapping pairs of a run of CJK characters (a lone character stands alone).
fn pairs(run: &[(usize, char)]) -> Vec<Token> {
    let mut found = Vec::new();
    if let [(at, c)] = run {
        found.push(Token {
            word: c.to_string(),
            span: *at..at + c.len_utf8(),
        });
        return found;
    }
    for pair in run.windows(2) {
        if let [(at, first), (second_at, second)] = pair {
            found.push(Token {
                word: [*first, *second].iter().collect(),
                span: *at..second_at + second.len_utf8(),
            });
        }
    }
    found
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

/// The letters a word holds, one bit each (`a` to `z`), for [`distance_within`]'s quick refusal.
pub fn letters(word: &str) -> u32 {
    word.bytes()
        .filter(u8::is_ascii_lowercase)
        .fold(0, |set, byte| set | 1 << (byte - b'a'))
}

/// The longest word whose typos are counted (longer ones match only themselves).
const MAX_TYPO_WORD: usize = 32;

/// The edit distance between two ASCII words (insertions, deletions, substitutions and swaps of neighbours
/// each count one), if it is at most `max`; `None` beyond. No allocation: the three rows it needs of the
/// optimal-string-alignment table live on the stack.
pub fn distance_within(a: &str, b: &str, max: u8) -> Option<u8> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let max = usize::from(max);
    if a.len().abs_diff(b.len()) > max || a.len() > MAX_TYPO_WORD || b.len() > MAX_TYPO_WORD {
        return None;
    }
    let far = max + 1;
    let width = b.len() + 1;
    let mut before = [far; MAX_TYPO_WORD + 1];
    let mut previous = [far; MAX_TYPO_WORD + 1];
    let mut current = [far; MAX_TYPO_WORD + 1];
    for (j, cell) in previous.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    let cell = |row: &[usize; MAX_TYPO_WORD + 1], j: usize| row.get(j).copied().unwrap_or(far);
    for (i, a_char) in a.iter().enumerate() {
        let a_before = i.checked_sub(1).and_then(|k| a.get(k));
        current[0] = i + 1;
        let mut row_min = current[0];
        for (j, b_char) in b.iter().enumerate() {
            let cost = usize::from(a_char != b_char);
            let mut best = (cell(&previous, j + 1) + 1)
                .min(cell(&current, j) + 1)
                .min(cell(&previous, j) + cost);
            let b_before = j.checked_sub(1).and_then(|k| b.get(k));
            if a_before == Some(b_char) && b_before == Some(a_char) {
                best = best.min(cell(&before, j - 1) + 1);
            }
            if let Some(slot) = current.get_mut(j + 1) {
                *slot = best;
            }
            row_min = row_min.min(best);
        }
        if row_min > max {
            return None;
        }
        before = previous;
        previous = current;
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
