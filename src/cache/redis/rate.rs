//! Per-client rate limits shared by every instance: one counter per client and action in Redis (one script
//! call per check), keyed by a salted hash of the client's address, never the address itself.

use std::fmt::Write as _;
use std::time::Duration;

use deadpool_redis::redis::{self, Value};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use super::client::{Call, RedisClient};
use super::reply::{first, int, protocol, text};
use super::RedisSettings;
use crate::cache::{CacheError, RateStore};

const RATE: &str = include_str!("lua/rate.lua");
const SALT: &str = include_str!("lua/salt.lua");
const SOURCES: &[&str] = &[RATE, SALT];

/// Rate limits in Redis (`REDIS_URL` or the cluster), under `REDIS_KEY_PREFIX`.
pub struct RedisRateStore {
    client: RedisClient,
    prefix: String,
    salt: OnceCell<String>,
    rate_sha: String,
    salt_sha: String,
}

impl std::fmt::Debug for RedisRateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRateStore {
    pub fn new(settings: &RedisSettings) -> Result<Self, CacheError> {
        let sha = |source: &str| redis::Script::new(source).get_hash().to_owned();
        Ok(RedisRateStore {
            client: RedisClient::new(&settings.endpoint, settings.timeout, SOURCES)?,
            prefix: settings.key_prefix.clone(),
            salt: OnceCell::new(),
            rate_sha: sha(RATE),
            salt_sha: sha(SALT),
        })
    }

    /// The salt, read (or made) once per process.
    async fn salt(&self) -> Result<&str, CacheError> {
        let salt = self
            .salt
            .get_or_try_init(|| async {
                let mut command = redis::cmd("EVALSHA");
                command
                    .arg(&self.salt_sha)
                    .arg(1)
                    .arg(format!("{}:rate:salt", self.prefix))
                    .arg(uuid::Uuid::new_v4().simple().to_string());
                let reply = self.client.run(&[Call { shard: 0, command }], true).await?;
                let salt = first(&reply)?;
                text(salt).ok_or_else(|| protocol("salt", salt))
            })
            .await?;
        Ok(salt.as_str())
    }
}

/// The key of a client's allowance: the SHA-256 of the salt and the client, so Redis never holds an address.
fn client_key(prefix: &str, action: &str, salt: &str, client: &str) -> String {
    let digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(b"|")
        .chain_update(client.as_bytes())
        .finalize();
    let hex = digest
        .iter()
        .take(16)
        .fold(String::with_capacity(32), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        });
    format!("{prefix}:rate:{action}:{hex}")
}

#[async_trait::async_trait]
impl RateStore for RedisRateStore {
    async fn take(
        &self,
        action: &str,
        client: &str,
        per_minute: u32,
    ) -> Result<Option<Duration>, CacheError> {
        let salt = self.salt().await?;
        let interval = (60_000 / u64::from(per_minute.max(1))).max(1);
        let tolerance = 60_000_u64.saturating_sub(interval);
        let mut command = redis::cmd("EVALSHA");
        command
            .arg(&self.rate_sha)
            .arg(1)
            .arg(client_key(&self.prefix, action, salt, client))
            .arg(interval)
            .arg(tolerance);
        // Not repeated: a call that may have run already took its unit.
        let reply = self
            .client
            .run(&[Call { shard: 0, command }], false)
            .await?;
        match first(&reply)? {
            Value::Int(0) => Ok(None),
            value => match int(value) {
                Some(wait) if wait > 0 => Ok(Some(Duration::from_millis(wait.unsigned_abs()))),
                _ => Err(protocol("rate", value)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hide_the_address_and_differ_by_salt_and_action() {
        let key = client_key("blog", "comment", "s1", "203.0.113.7");
        assert!(key.starts_with("blog:rate:comment:"));
        assert!(!key.contains("203.0.113.7"));
        assert_eq!(key.len(), "blog:rate:comment:".len() + 32);
        assert_ne!(key, client_key("blog", "comment", "s2", "203.0.113.7"));
        assert_ne!(key, client_key("blog", "view", "s1", "203.0.113.7"));
        assert_eq!(key, client_key("blog", "comment", "s1", "203.0.113.7"));
    }
}
