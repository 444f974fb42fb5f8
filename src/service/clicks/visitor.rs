//! Who a reader is, for counting unique readers: a hash of the client's address and User-Agent under a
//! secret salt that changes every UTC day. Nothing that identifies a person is stored or logged: the hash
//! alone goes into the HyperLogLog, and tomorrow the same reader hashes to something unrelated.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// Hashes readers with this deployment's secret (every instance on one database shares it).
pub struct Visitors {
    secret: Vec<u8>,
}

impl Visitors {
    pub fn new(secret: &[u8]) -> Self {
        Visitors {
            secret: secret.to_vec(),
        }
    }

    /// The reader's hash on UTC day `day` (days since the Unix epoch): 128 bits, URL-safe base64.
    pub fn hash(&self, address: IpAddr, user_agent: &str, day: i64) -> String {
        let digest = Sha256::new()
            .chain_update(&self.secret)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_reader_hashes_alike_within_a_day_and_apart_across_days() {
        let visitors = Visitors::new(b"secret");
        let address: IpAddr = "203.0.113.9".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let today = visitors.hash(address, "Firefox", 20_000);
        assert_eq!(today, visitors.hash(address, "Firefox", 20_000));
        assert_ne!(today, visitors.hash(address, "Firefox", 20_001));
        assert_ne!(today, visitors.hash(address, "Chrome", 20_000));
        assert_ne!(
            today,
            Visitors::new(b"other").hash(address, "Firefox", 20_000)
        );
        assert!(!today.contains("203.0.113.9") && today.len() == 22);
    }
}
