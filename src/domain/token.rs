//! API tokens: random secrets shown once, stored only as their SHA-256.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::InvalidValue;

/// The prefix of every token, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "blog_";

/// A new token: 256 random bits, hex-encoded after the prefix.
pub fn generate() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{TOKEN_PREFIX}{}", hex(&bytes))
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two token hashes in constant time.
pub fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// A token's name: 1 to 100 characters of letters, digits, `-`, `_` and `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if raw.is_empty() || raw.len() > 100 || !raw.chars().all(ok) {
            return Err(InvalidValue::new(
                "name",
                "must be 1 to 100 characters of letters, digits, '-', '_' and '.'",
            ));
        }
        Ok(TokenName(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
    }

    #[test]
    fn the_hash_is_stable_and_not_the_token() {
        let token = generate();
        assert_eq!(hash(&token), hash(&token));
        assert_ne!(hash(&token), token);
        assert!(hashes_match(&hash(&token), &hash(&token)));
        assert!(!hashes_match(&hash(&token), &hash("other")));
    }

    #[test]
    fn names_are_simple_words() {
        assert!(TokenName::parse("ci-deploy_2.0").is_ok());
        for bad in ["", "a b", "ä", &"a".repeat(101)] {
            assert!(TokenName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
