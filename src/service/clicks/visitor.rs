//! Who a reader is, for counting unique readers: a hash of the client's address and User-Agent under a
//! secret salt of the UTC day (`reader_salts`, shared by every instance on the database, made by the first
//! that needs it). Nothing that identifies a person is stored or logged: the hash alone goes into the
//! HyperLogLog; tomorrow the same reader hashes to something unrelated, and once the click sync deletes a
//! day's salt (when the day after it has passed) nobody can test whether an address read a post that day.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::db::{self, run_query, DbPool};

/// Hashes readers under the salt of their day, kept in memory once read.
pub struct Visitors {
    pool: DbPool,
    /// Day -> its salt: today's, and yesterday's while requests of that day may still arrive.
    salts: Mutex<HashMap<i64, Arc<[u8]>>>,
    /// Held by the one request reading a missing salt; the others wait for it, then find it kept.
    loading: tokio::sync::Mutex<()>,
}

impl Visitors {
    pub fn new(pool: DbPool) -> Self {
        Visitors {
            pool,
            salts: Mutex::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads the salt of `day` now (at start-up), so that the first views of the day do not wait for it.
    /// A failure is only logged: the first view tries again.
    pub async fn prepare(&self, day: i64) {
        let _ = self.salt(day).await;
    }

    fn kept(&self, day: i64) -> Option<Arc<[u8]>> {
        self.salts
            .lock()
            .ok()
            .and_then(|salts| salts.get(&day).cloned())
    }

    /// The reader's hash on UTC day `day` (days since the Unix epoch). `None` when the day's salt cannot be
    /// read (the database is down): the view still counts, as a reader nobody can tell apart.
    pub async fn hash(&self, address: IpAddr, user_agent: &str, day: i64) -> Option<String> {
        let salt = self.salt(day).await?;
        Some(reader_hash(&salt, address, user_agent, day))
    }

    async fn salt(&self, day: i64) -> Option<Arc<[u8]>> {
        if let Some(salt) = self.kept(day) {
            return Some(salt);
        }
        let _turn = self.loading.lock().await;
        if let Some(salt) = self.kept(day) {
            return Some(salt);
        }
        let made = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
        };
        let salt = run_query(&self.pool, move |conn| {
            db::secrets::reader_salt(conn, day, &made)
        })
        .await;
        match salt {
            Ok(salt) => {
                let salt: Arc<[u8]> = Arc::from(salt.into_bytes());
                if let Ok(mut salts) = self.salts.lock() {
                    salts.retain(|kept, _| *kept >= day - 1);
                    salts.insert(day, salt.clone());
                }
                Some(salt)
            }
            Err(error) => {
                tracing::warn!(%error, "the readers' salt of the day cannot be read: this view joins no unique readers");
                None
            }
        }
    }
}

/// The reader's hash under `salt` on `day`: 128 bits, URL-safe base64.
fn reader_hash(salt: &[u8], address: IpAddr, user_agent: &str, day: i64) -> String {
    let digest = Sha256::new()
        .chain_update(salt)
        .chain_update(day.to_be_bytes())
        .chain_update(address.to_string())
        .chain_update([0])
        .chain_update(user_agent)
        .finalize();
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        digest.get(..16).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_reader_hashes_alike_within_a_day_and_apart_across_days() {
        let address: IpAddr = "203.0.113.9".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let today = reader_hash(b"salt", address, "Firefox", 20_000);
        assert_eq!(today, reader_hash(b"salt", address, "Firefox", 20_000));
        assert_ne!(today, reader_hash(b"salt", address, "Firefox", 20_001));
        assert_ne!(today, reader_hash(b"salt", address, "Chrome", 20_000));
        assert_ne!(today, reader_hash(b"other", address, "Firefox", 20_000));
        assert!(!today.contains("203.0.113.9") && today.len() == 22);
    }
}
