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

const RATE: &str = concat!(include_str!("lua/gcra.lua"), include_str!("lua/rate.lua"));
/// The script that reads (or makes) the salt of client keys.
pub(super) const SALT: &str = include_str!("lua/salt.lua");
const SOURCES: &[&str] = &[RATE, SALT];

/// Rate limits in Redis (`REDIS_URL` or the cluster), under `REDIS_KEY_PREFIX`.
pub struct RedisRateStore {
    client: RedisClient,
    prefix: String,
    salt: Salt,
    rate_sha: String,
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
        Ok(RedisRateStore {
            client: RedisClient::new(&settings.endpoint, settings.timeout, SOURCES)?,
            prefix: settings.key_prefix.clone(),
            salt: Salt::default(),
            rate_sha: redis::Script::new(RATE).get_hash().to_owned(),
        })
    }
}

/// The salt of every client key, kept in Redis (made by the first instance that asks), read once per
/// process. A client that loads it must have [`SALT`] among its scripts.
pub(super) struct Salt {
    value: OnceCell<String>,
    sha: String,
}

impl Default for Salt {
    fn default() -> Self {
        Salt {
            value: OnceCell::new(),
            sha: redis::Script::new(SALT).get_hash().to_owned(),
        }
    }
}

impl Salt {
    /// The salt, read (or made) on first use.
    pub(super) async fn get(&self, client: &RedisClient, prefix: &str) -> Result<&str, CacheError> {
        let salt = self
            .value
            .get_or_try_init(|| async {
                let mut command = redis::cmd("EVALSHA");
                command
                    .arg(&self.sha)
                    .arg(1)
                    .arg(format!("{prefix}:rate:salt"))
                    .arg(uuid::Uuid::new_v4().simple().to_string());
                let reply = client.run(&[Call::command(0, command)], true).await?;
                let salt = first(&reply)?;
                text(salt).ok_or_else(|| protocol("salt", salt))
            })
            .await?;
        Ok(salt.as_str())
    }
}

/// The interval between two allowed calls and the burst tolerance, in ms, of a per-minute rate (the GCRA's
/// parameters).
pub(super) fn gcra(per_minute: u32) -> (u64, u64) {
    let interval = (60_000 / u64::from(per_minute.max(1))).max(1);
    (interval, 60_000_u64.saturating_sub(interval))
}

/// The key of a client's allowance: the SHA-256 of the salt and the client, so Redis never holds an address.
pub(super) fn client_key(prefix: &str, action: &str, salt: &str, client: &str) -> String {
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
        let salt = self.salt.get(&self.client, &self.prefix).await?;
        let (interval, tolerance) = gcra(per_minute);
        let mut command = redis::cmd("EVALSHA");
        command
            .arg(&self.rate_sha)
            .arg(1)
            .arg(client_key(&self.prefix, action, salt, client))
            .arg(interval)
            .arg(tolerance);
        // Not repeated: a call that may have run already took its unit.
        let reply = self.client.run(&[Call::command(0, command)], false).await?;
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
