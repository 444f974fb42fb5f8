//! URL slugs of posts, categories and tags.

use std::fmt;

use super::InvalidValue;

/// A slug: `[a-z0-9-]`, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 200;

    /// Parses `raw` as the parameter or field `name`.
    pub fn parse(name: &str, raw: &str) -> Result<Self, InvalidValue> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(InvalidValue::new(
                name,
                format!("must be 1 to {} characters long", Self::MAX_LEN),
            ));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if !raw.chars().all(allowed) {
            return Err(InvalidValue::new(
                name,
                format!(
                    "may contain only a-z, 0-9 and '-', got `{}`",
                    super::id::truncate(raw)
                ),
            ));
        }
        Ok(Slug(raw.to_owned()))
    }

    /// A slug made from a title or name (transliterated to ASCII, words joined by `-`), `fallback` when
    /// nothing of it is left.
    pub fn from_text(text: &str, fallback: &str) -> Slug {
        let mut slug = slug::slugify(text);
        if slug.len() > Self::MAX_LEN - 8 {
            // Room for a "-NNN" suffix that makes it unique.
            slug.truncate(Self::MAX_LEN - 8);
            let trimmed = slug.trim_end_matches('-').len();
            slug.truncate(trimmed);
        }
        if slug.is_empty() {
            fallback.clone_into(&mut slug);
        }
        Slug(slug)
    }

    /// This slug with `-n` appended.
    pub fn numbered(&self, n: u32) -> Slug {
        Slug(format!("{}-{n}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_words_digits_and_dashes() {
        assert_eq!(
            Slug::parse("slug", "hello-world-2").map(Slug::into_inner),
            Ok("hello-world-2".to_owned())
        );
    }

    #[test]
    fn slugs_made_from_text_are_valid() {
        assert_eq!(
            Slug::from_text("Hello, Wörld! 2026", "post").as_str(),
            "hello-world-2026"
        );
        assert_eq!(Slug::from_text("!!!", "post").as_str(), "post");
        let long = Slug::from_text(&"word ".repeat(100), "post");
        assert!(Slug::parse("slug", long.numbered(999).as_str()).is_ok());
    }

    #[test]
    fn rejects_empty_long_uppercase_spaces_and_unicode() {
        let too_long = "a".repeat(Slug::MAX_LEN + 1);
        for raw in ["", "Hello", "a b", "é", "a/b", "a_b", too_long.as_str()] {
            assert!(Slug::parse("slug", raw).is_err(), "{raw:?}");
        }
        assert!(Slug::parse("slug", &"a".repeat(Slug::MAX_LEN)).is_ok());
    }
}
