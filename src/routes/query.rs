//! Query strings, parsed strictly: a parameter the route does not know, or one given twice, is a 400 that
//! names it, never silently ignored.

use crate::domain::InvalidValue;

/// The decoded parameters of one request, each known to the route and given at most once.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub fn parse(query: &str, allowed: &[&str]) -> Result<Self, InvalidValue> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if !allowed.contains(&name.as_ref()) {
                let message = if allowed.is_empty() {
                    String::from("unknown parameter; this route takes none")
                } else {
                    format!("unknown parameter; allowed: {}", allowed.join(", "))
                };
                return Err(InvalidValue::new(name, message));
            }
            if pairs.iter().any(|(seen, _)| *seen == name) {
                return Err(InvalidValue::new(name, "given more than once"));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(QueryParams { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The query string again, with `name` set to `value` (appended if absent), other parameters in order.
    pub fn with(&self, name: &str, value: &str) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        let mut replaced = false;
        for (key, current) in &self.pairs {
            if key == name {
                serializer.append_pair(key, value);
                replaced = true;
            } else {
                serializer.append_pair(key, current);
            }
        }
        if !replaced {
            serializer.append_pair(name, value);
        }
        serializer.finish()
    }

    /// The query string again without `name`, other parameters in order.
    pub fn without(&self, name: &str) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (key, value) in &self.pairs {
            if key != name {
                serializer.append_pair(key, value);
            }
        }
        serializer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_known_parameters() {
        let params = QueryParams::parse("q=hello+world&tag=a%2Db", &["q", "tag"]).expect("valid");
        assert_eq!(params.get("q"), Some("hello world"));
        assert_eq!(params.get("tag"), Some("a-b"));
        assert_eq!(params.get("page"), None);
    }

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let error = QueryParams::parse("pge=2", &["page"]).err();
        assert_eq!(error.map(|e| e.name), Some("pge".to_owned()));
        let error = QueryParams::parse("page=1&page=2", &["page"]).err();
        assert_eq!(
            error.map(|e| (e.name, e.message)),
            Some(("page".into(), "given more than once".into()))
        );
    }

    #[test]
    fn with_replaces_or_appends_a_parameter() {
        let params = QueryParams::parse("tag=x&page=2", &["tag", "page"]).expect("valid");
        assert_eq!(params.with("page", "3"), "tag=x&page=3");
        assert_eq!(QueryParams::default().with("page", "1"), "page=1");
    }
}
