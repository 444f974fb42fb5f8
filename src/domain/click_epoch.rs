//! The click epoch as this instance knows it (README "Click counting", cached totals): the database bumps it
//! whenever a post's synced count changes without the click cache (a click counted in the database while the
//! cache was down, a deleted post). Every call to the click cache carries it, and the cache drops the totals
//! it holds under an older epoch. Learnt from the version watcher or listener, and at once from this
//! instance's own database-side counting.

use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Default)]
pub struct ClickEpoch(AtomicI64);

impl ClickEpoch {
    /// The newest epoch seen so far.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    /// An epoch read from the database: kept if it is newer (a read that raced a later one never moves it back).
    pub fn observe(&self, epoch: i64) {
        self.0.fetch_max(epoch, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_only_moves_forward() {
        let epoch = ClickEpoch::default();
        epoch.observe(3);
        epoch.observe(2);
        assert_eq!(epoch.get(), 3);
    }
}
