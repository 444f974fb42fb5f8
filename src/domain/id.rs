//! Resource ids as they arrive in paths.

use std::fmt;

use super::InvalidValue;

/// A positive 64-bit id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(i64);

impl ResourceId {
    /// Parses `raw` as the parameter `name`: a decimal integer from 1 to 2^63-1.
    pub fn parse(name: &str, raw: &str) -> Result<Self, InvalidValue> {
        match raw.parse::<i64>() {
            Ok(id) if id >= 1 => Ok(ResourceId(id)),
            Ok(_) => Err(InvalidValue::new(name, "must be a positive integer")),
            Err(_) => Err(InvalidValue::new(
                name,
                format!("must be a positive integer, got `{}`", truncate(raw)),
            )),
        }
    }

    /// An id the database handed out (always positive; `id` names it in the error otherwise).
    pub fn new(id: i64) -> Result<Self, InvalidValue> {
        if id >= 1 {
            Ok(ResourceId(id))
        } else {
            Err(InvalidValue::new("id", "must be a positive integer"))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Echoes at most 40 characters of a rejected value.
pub(crate) fn truncate(raw: &str) -> String {
    match raw.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &raw[..end]),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_positive_integers() {
        assert_eq!(ResourceId::parse("id", "42").map(ResourceId::get), Ok(42));
    }

    #[test]
    fn rejects_zero_negatives_text_and_overflow_naming_the_parameter() {
        for raw in ["0", "-1", "abc", "1.5", "", "99999999999999999999", " 1"] {
            let error = ResourceId::parse("id", raw).err();
            assert_eq!(error.map(|e| e.name), Some("id".to_owned()), "{raw:?}");
        }
    }
}
