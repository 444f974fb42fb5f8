//! Settings: read once from the environment (and `.env`), then passed around as a value.

use std::num::NonZeroU32;

use crate::db::{DatabaseUrl, InvalidDatabaseUrl};

/// Everything the service is configured by. Tests build one directly.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://PATH` or `postgres://...`. Default `sqlite://blog.db`.
    pub database_url: DatabaseUrl,
    /// `DATABASE_POOL_SIZE`: connections kept per instance. Default 10.
    pub database_pool_size: NonZeroU32,
    /// `BIND`: the address to listen on, `HOST:PORT` (port 0 picks a free one). Default `127.0.0.1:8080`.
    pub bind: String,
}

/// A setting that is present but unusable; the message names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    DatabaseUrl(#[from] InvalidDatabaseUrl),
    #[error("{name} must be {expected}, got `{value}`")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
}

impl Settings {
    pub const DEFAULT_DATABASE_URL: &'static str = "sqlite://blog.db";
    pub const DEFAULT_BIND: &'static str = "127.0.0.1:8080";

    /// Reads the process environment (after `.env`, which never overrides a variable already set).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported by the variables it leaves unset.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any variable source (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = lookup("DATABASE_URL")
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| Self::DEFAULT_DATABASE_URL.to_owned());
        let database_pool_size = match lookup("DATABASE_POOL_SIZE") {
            None => NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            Some(value) => value
                .parse::<NonZeroU32>()
                .ok()
                .filter(|size| size.get() <= 1000)
                .ok_or(ConfigError::Invalid {
                    name: "DATABASE_POOL_SIZE",
                    expected: "an integer from 1 to 1000",
                    value,
                })?,
        };
        let bind = lookup("BIND").unwrap_or_else(|| Self::DEFAULT_BIND.to_owned());
        if !bind.contains(':') {
            return Err(ConfigError::Invalid {
                name: "BIND",
                expected: "HOST:PORT",
                value: bind,
            });
        }
        Ok(Settings {
            database_url: DatabaseUrl::parse(&database_url)?,
            database_pool_size,
            bind,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_serve_the_embedded_sqlite_database_on_localhost() {
        let settings = settings(&[]).expect("defaults are valid");
        assert_eq!(settings.database_url, DatabaseUrl::Sqlite("blog.db".into()));
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(settings.database_pool_size.get(), 10);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let error = settings(&[("DATABASE_POOL_SIZE", "0")])
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("DATABASE_POOL_SIZE")));
        let error = settings(&[("DATABASE_URL", "mysql://x")])
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("DATABASE_URL")));
        let error = settings(&[("BIND", "8080")]).err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("BIND")));
    }
}
