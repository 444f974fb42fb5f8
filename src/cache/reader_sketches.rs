//! Each post's readers per UTC day, for the in-process cache: a sorted set of 64-bit hashes while a day
//! has few readers (8 bytes each, and exact), a dense HyperLogLog of 2^14 registers (16 KiB, as Redis's)
//! once it passes [`SPARSE_MAX`]. Days older than `CLICK_STATS_RETENTION` are dropped, so memory is
//! bounded by the posts read per day x the retention in days x 16 KiB at most (README "Unique readers").

use std::collections::HashMap;
use std::hash::BuildHasher as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hyperloglockless::{DefaultHasher, HyperLogLog};

use super::CacheError;

/// 2^14 registers, as Redis's `HyperLogLog`s: a standard error of about 0.81%.
const PRECISION: u8 = 14;

/// Readers a day keeps as hashes before its sketch turns dense (4 KiB of hashes, a quarter of a dense
/// sketch).
pub const SPARSE_MAX: usize = 512;

/// The bytes of a dense sketch.
const DENSE_BYTES: usize = 1 << PRECISION;

enum Sketch {
    /// Sorted, without repeats.
    Sparse(Vec<u64>),
    Dense(HyperLogLog),
}

impl Sketch {
    fn bytes(&self) -> usize {
        match self {
            Sketch::Sparse(hashes) => hashes.capacity() * 8,
            Sketch::Dense(_) => DENSE_BYTES,
        }
    }
}

/// (post id, UTC day) -> its readers.
type Days = HashMap<(i64, i64), Sketch>;

/// Every post's readers by UTC day (see the module's notes).
pub struct ReaderSketches {
    days: Mutex<Days>,
    hasher: DefaultHasher,
    seed: u128,
    retention_days: i64,
    /// The first day kept by the last pruning (`i64::MIN`: none yet).
    kept_from: AtomicI64,
}

impl ReaderSketches {
    /// Sketches kept for `retention` (whole days, at least one) after their day.
    pub fn new(retention: Duration) -> Self {
        let seed: u128 = rand::random();
        ReaderSketches {
            days: Mutex::new(HashMap::new()),
            hasher: DefaultHasher::seeded(&seed.to_be_bytes()),
            seed,
            retention_days: i64::try_from(retention.as_secs() / 86_400)
                .unwrap_or(i64::MAX)
                .max(1),
            kept_from: AtomicI64::new(i64::MIN),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Days>, CacheError> {
        self.days
            .lock()
            .map_err(|_| CacheError::Failed(String::from("the readers lock was poisoned")))
    }

    /// Adds `reader` (already a salted hash of the reader) to post `post_id`'s readers of `day`; drops the
    /// days past the retention when `day` is a new one.
    pub fn add(&self, post_id: i64, day: i64, reader: &str) -> Result<(), CacheError> {
        let hash = self.hasher.hash_one(reader);
        let mut days = self.lock()?;
        let keep_from = day.saturating_sub(self.retention_days);
        if self.kept_from.fetch_max(keep_from, Ordering::Relaxed) < keep_from {
            days.retain(|(_, of), _| *of >= keep_from);
        }
        if day < keep_from {
            return Ok(());
        }
        let sketch = days
            .entry((post_id, day))
            .or_insert_with(|| Sketch::Sparse(Vec::new()));
        match sketch {
            Sketch::Sparse(hashes) => {
                if let Err(at) = hashes.binary_search(&hash) {
                    hashes.insert(at, hash);
                }
                if hashes.len() > SPARSE_MAX {
                    let mut dense = HyperLogLog::seeded(PRECISION, self.seed);
                    for hash in hashes.iter() {
                        dense.insert_hash(*hash);
                    }
                    *sketch = Sketch::Dense(dense);
                }
            }
            Sketch::Dense(dense) => dense.insert_hash(hash),
        }
        Ok(())
    }

    /// Post `post_id`'s readers over each group of days (a reader counted once per group): exact while
    /// every day of the group is sparse, else the HyperLogLog estimate of their union, rounded.
    pub fn count(&self, post_id: i64, groups: &[Vec<i64>]) -> Result<Vec<u64>, CacheError> {
        let days = self.lock()?;
        Ok(groups
            .iter()
            .map(|group| {
                let sketches: Vec<&Sketch> = group
                    .iter()
                    .filter_map(|day| days.get(&(post_id, *day)))
                    .collect();
                self.union_count(&sketches)
            })
            .collect())
    }

    /// About the bytes the sketches take.
    pub fn bytes(&self) -> usize {
        self.lock().map_or(0, |days| {
            days.values().map(|sketch| 32 + sketch.bytes()).sum()
        })
    }

    /// How many (post, day) sketches are kept.
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |days| days.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn union_count(&self, sketches: &[&Sketch]) -> u64 {
        if sketches
            .iter()
            .all(|sketch| matches!(sketch, Sketch::Sparse(_)))
        {
            let mut all: Vec<u64> = sketches
                .iter()
                .filter_map(|sketch| match sketch {
                    Sketch::Sparse(hashes) => Some(hashes.iter().copied()),
                    Sketch::Dense(_) => None,
                })
                .flatten()
                .collect();
            all.sort_unstable();
            all.dedup();
            return u64::try_from(all.len()).unwrap_or(u64::MAX);
        }
        // By hand (the register-wise maximum, then the crate's estimate of that): `HyperLogLog::union` of
        // hyperloglockless 0.4 miscounts (a union into a fresh sketch of 1,000 readers estimates 12,000).
        let mut registers = vec![0_u8; DENSE_BYTES];
        for sketch in sketches {
            let dense;
            let sketch = match sketch {
                Sketch::Dense(sketch) => sketch,
                Sketch::Sparse(hashes) => {
                    let mut made = HyperLogLog::seeded(PRECISION, self.seed);
                    for hash in hashes {
                        made.insert_hash(*hash);
                    }
                    dense = made;
                    &dense
                }
            };
            for (register, value) in registers.iter_mut().zip(sketch.iter()) {
                *register = (*register).max(value);
            }
        }
        #[expect(
            clippy::naive_bytecount,
            reason = "16 KiB once per stats read: not worth a crate"
        )]
        let zeros = registers.iter().filter(|register| **register == 0).count();
        let sum: f64 = registers
            .iter()
            .map(|register| 2_f64.powi(-i32::from(*register)))
            .sum();
        let hasher = DefaultHasher::seeded(&self.seed.to_be_bytes());
        rounded(
            HyperLogLog::from_parts(registers.into_boxed_slice(), hasher, zeros, sum).raw_count(),
        )
    }
}

/// An estimated count as a whole number (the crate's own `count` truncates: one reader would show 0).
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "an estimate of a count, clamped at 0 and rounded: far inside u64"
)]
fn rounded(estimate: f64) -> u64 {
    estimate.max(0.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_posts_read_by_one_reader_take_kilobytes_not_megabytes() {
        let sketches = ReaderSketches::new(Duration::from_secs(400 * 86_400));
        for post in 0..1000 {
            sketches.add(post, 20_000, "reader").expect("added");
        }
        // Dense sketches would take 16 MiB.
        assert!(sketches.bytes() < 100 * 1024, "{} bytes", sketches.bytes());
        assert_eq!(sketches.count(7, &[vec![20_000]]).expect("counted"), [1]);
    }

    #[test]
    fn a_busy_day_turns_dense_and_still_counts_within_two_percent() {
        let sketches = ReaderSketches::new(Duration::from_secs(400 * 86_400));
        for reader in 0..5000 {
            sketches
                .add(1, 20_000, &format!("reader-{reader}"))
                .expect("added");
            if reader < 300 {
                sketches
                    .add(1, 20_001, &format!("reader-{reader}"))
                    .expect("added");
            }
        }
        let counts = sketches
            .count(1, &[vec![20_000], vec![20_001], vec![20_000, 20_001]])
            .expect("counted");
        assert!((4900..=5100).contains(&counts[0]), "{counts:?}");
        assert_eq!(counts[1], 300, "a sparse day is exact");
        assert!((4900..=5100).contains(&counts[2]), "the union: {counts:?}");
    }

    #[test]
    fn days_past_the_retention_are_dropped() {
        let sketches = ReaderSketches::new(Duration::from_secs(90 * 86_400));
        sketches.add(1, 20_000, "a").expect("added");
        sketches.add(2, 20_050, "a").expect("added");
        assert_eq!(sketches.len(), 2);
        sketches.add(3, 20_091, "a").expect("added");
        assert_eq!(sketches.len(), 2, "day 20,000 is past 90 days and went");
        assert_eq!(sketches.count(1, &[vec![20_000]]).expect("counted"), [0]);
        assert_eq!(sketches.count(2, &[vec![20_050]]).expect("counted"), [1]);
    }
}
